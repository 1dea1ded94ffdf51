//go:build !linux

package testutil

import "syscall"

// childAttr: no parent-death signal outside Linux; cleanups stop servers.
func childAttr() *syscall.SysProcAttr { return nil }
