package testutil

import (
	"testing"
	"time"
)

// waitTimeout bounds WaitFor: generous, since it only ends a test that
// would otherwise hang.
const waitTimeout = 20 * time.Second

// WaitFor polls cond every 20ms until it holds, and fails the test if it
// does not within 20 seconds. It is for events another process or
// goroutine brings about in its own time (a Sentinel's failover, a
// background check), never for letting TTLs pass: inject a clock for
// those.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("testutil: timed out after %v waiting for %s", waitTimeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
