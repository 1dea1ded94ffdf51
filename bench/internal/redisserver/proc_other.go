//go:build !linux

package redisserver

import "syscall"

// childAttr: without a parent-death signal, Stop is the only way the
// server ends.
func childAttr() *syscall.SysProcAttr { return nil }
