package testutil

import "time"

// Timeouts for tests whose subject is not speed. The production defaults
// (the Redis backend's 200ms socket timeout, gincache's 50ms budget) are
// tuned for a Redis next door on an idle host; a two-core machine running
// -race beside other builds passes them now and then, and one slow call
// turns a hit into a SKIP, fails a Store, or opens the breaker. Tests of
// those limits (a paused or killed server, the breaker, the budget) set
// their own short values; every other test uses these, which only end a
// test that would otherwise hang.
const (
	// SocketTimeout is the dial, read and write timeout of a test's
	// backend on a server it does not fault.
	SocketTimeout = 5 * time.Second
	// Budget is the gincache budget (WithBudget) of a test that does not
	// test the budget.
	Budget = 5 * time.Second
)
