package redisserver

import "syscall"

// childAttr makes the kernel kill the server when the benchmark binary
// dies, so that a crashed or timed-out run leaves no redis-server behind.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
