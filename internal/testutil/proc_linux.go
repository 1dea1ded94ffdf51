package testutil

import "syscall"

// childAttr makes the kernel kill the server when the test binary dies, so
// that a crashed or timed-out test leaves no redis-server behind.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
