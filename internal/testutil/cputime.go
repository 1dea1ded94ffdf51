package testutil

import (
	"syscall"
	"time"
)

// CPUTime is the CPU time the process has used, user and system, garbage
// collection included: what benchmarks report as cpu-ns/op, since on a
// shared machine other processes stretch wall time, not this process's
// CPU time. 0 if the system will not say.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
