// Package backendtest is a conformance suite for implementations of
// backend.Backend, in the way testing/fstest checks an fs.FS: a backend's
// own test calls Run once and gets a subtest for every rule of the
// contract.
//
// # Use
//
//	func TestConformance(t *testing.T) {
//		clock := newFakeClock()
//		backendtest.Run(t, backendtest.Harness{
//			New: func(t *testing.T) backend.Backend {
//				b, err := mybackend.New(mybackend.Options{Now: clock.Now})
//				if err != nil {
//					t.Fatal(err)
//				}
//				return b
//			},
//			Advance: clock.Advance,
//		})
//	}
//
// Run closes every backend New returns. Subtests run one after another,
// never in parallel, so one clock shared by every backend New returns is
// enough for Advance.
//
// # What it checks
//
// Every rule written in the doc comments of package backend: what Lookup
// reports on a miss and that it never creates tokens; that Store creates
// absent tokens, reports their values back and gives up with
// backend.ErrConflict when a write raced the fill; that renewing any one
// token an entry was stored under invalidates it and renewing others does
// not; TTLs; Delete; Scan's pagination while keys come and go, its pattern
// filtering and its page sizes; ClearPattern; that tokens live in a
// namespace of their own; that entries come back exactly as stored; that
// keys and slices the caller reuses after a call do not change what was
// stored; concurrent use (run the suite under -race); and Close.
//
// # Where it is stricter than the contract's wording
//
//   - A miss on a healthy backend is backend.ErrNotFound, not another error.
//   - Store with a ttl that is not positive is an error and stores nothing.
//   - After Close, every method returns an error wrapping
//     backend.ErrClosed, and a second Close does not panic.
//   - Times (StoredAt, Expires) come back equal to the nanosecond
//     (time.Time.Equal; the location and monotonic reading may be lost).
//   - Scan pages hold at most 4*count+16 keys: count is a hint, as Redis's
//     COUNT is, but it is not ignored.
//
// # Expiry without a controllable clock
//
// A backend whose clock cannot be moved (a real Redis server) leaves
// Harness.Advance nil. The suite never sleeps: it then checks expiry
// through the TTLs Scan reports, and leaves out the checks that need time
// to pass (an entry gone after its TTL, tokens living as long as their
// renewal or their entries need, a token that expired between a fill's
// Lookup and its Store), saying so in the test log.
package backendtest
