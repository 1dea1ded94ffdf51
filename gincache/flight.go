package gincache

import (
	"encoding/binary"
	"strings"
	"sync"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

// flightGroup coalesces concurrent misses: the first request for a key
// runs the handler, the others wait for its result.
//
// A flight is keyed by the entry key and the token values its lookup saw.
// A request that arrives after a write sees the renewed tokens, so it
// starts a flight of its own rather than joining one that began before
// the write.
type flightGroup struct {
	mu      sync.Mutex
	flights map[string]*flight
}

type flight struct {
	// done is closed when the leader has published its result. It is
	// made by the first waiter, under the group's lock: a flight nobody
	// waits on (the common miss) allocates no channel, and goes back to
	// flightPool when it ends.
	done chan struct{}
	// waiters counts the requests waiting on the leader, under the
	// group's lock.
	waiters int
	// entry is the stored result, or nil when the leader's response was
	// not stored (not cacheable, over the cap, failed, panicked): then
	// every waiter runs the handler for itself, since a response that was
	// not stored may hold what belongs to one user only.
	entry *backend.Entry
	// ready: entry was published before the flight ends (publish), under
	// the group's lock; readers counts the requests that joined it then.
	ready   bool
	readers int
}

// closedChan is what join returns to a request that joins a flight whose
// entry is published already: it has nothing to wait for.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// flightPool recycles the flights that ended with no waiter: no one else
// ever held them.
var flightPool = sync.Pool{New: func() any { return new(flight) }}

// appendFlightKey appends to a key a 0 byte and the token values: the
// flight key of the key and vals.
func appendFlightKey(b []byte, vals []backend.Token) []byte {
	b = append(b, 0)
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	return b
}

// join returns the flight for fk and whether the caller leads it; a
// waiter also gets the channel the leader closes when its result is
// published (read f.entry after it is closed). A flight whose entry is
// published already (ready) gives it at once: the caller reads f.entry
// without waiting.
func (g *flightGroup) join(fk string) (f *flight, done <-chan struct{}, leader, ready bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f, ok := g.flights[fk]; ok {
		if f.ready {
			f.readers++
			return f, closedChan, false, true
		}
		f.waiters++
		if f.done == nil {
			f.done = make(chan struct{})
		}
		return f, f.done, false, false
	}
	return g.start(fk), nil, true, false
}

// lead starts the flight for fk if none is under way; it never waits.
// The flight it starts may outlive the caller's request (a stale entry's
// refresh), so it is registered under a copy of fk, which lead returns:
// fk may be a view of the request's pooled buffers (missIn), and a
// request that finds a flight under way allocates nothing.
func (g *flightGroup) lead(fk string) (*flight, string, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.flights[fk]; ok {
		return nil, "", false
	}
	own := strings.Clone(fk)
	return g.start(own), own, true
}

// start registers a new flight for fk; the caller holds g.mu.
func (g *flightGroup) start(fk string) *flight {
	if g.flights == nil {
		g.flights = make(map[string]*flight)
	}
	f := flightPool.Get().(*flight)
	g.flights[fk] = f
	return f
}

// publish hands the leader's entry to its waiters, and to every request
// that joins from now on, before the flight ends: a store after the
// response (storeLater) publishes its entry as the response goes out and
// finishes the flight when the store ends. Sharing it before it is
// stored is safe: a request that joins read the same token values as the
// leader, so no write it must see had been answered when it looked up;
// and the entry is one the store may keep (storable, for every user of
// the key).
func (g *flightGroup) publish(f *flight, e *backend.Entry) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f.entry, f.ready = e, true
	if f.done != nil {
		close(f.done)
	}
}

// finish publishes the leader's result and releases the waiters, unless
// publish did already. A flight that nobody joined is recycled: once it
// is out of the map, no one can join it.
func (g *flightGroup) finish(fk string, f *flight, e *backend.Entry) {
	g.mu.Lock()
	delete(g.flights, fk)
	done, ready, readers := f.done, f.ready, f.readers
	g.mu.Unlock()
	switch {
	case done == nil && readers == 0:
		*f = flight{}
		flightPool.Put(f)
	case ready: // the waiters have the entry publish gave them
	default:
		f.entry = e
		close(done)
	}
}

// waiting reports how many requests wait on flights, for tests and stats.
func (g *flightGroup) waiting() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, f := range g.flights {
		n += f.waiters
	}
	return n
}
