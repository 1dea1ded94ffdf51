//go:build unix

package redisserver

import "syscall"

// stop freezes the process (SIGSTOP): it keeps its sockets open and
// answers nothing, like a hung server.
func (p *process) stop() error { return p.cmd.Process.Signal(syscall.SIGSTOP) }

// cont resumes a stopped process (SIGCONT).
func (p *process) cont() error { return p.cmd.Process.Signal(syscall.SIGCONT) }
