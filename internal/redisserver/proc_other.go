//go:build !linux

package redisserver

import "syscall"

// childAttr: no parent-death signal outside Linux; Close stops servers.
func childAttr() *syscall.SysProcAttr { return nil }
