package redisserver

import "syscall"

// childAttr makes the kernel kill the server when the program that
// started it dies (a crashed test binary, a harness killed with SIGKILL),
// so that no redis-server is left behind.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
