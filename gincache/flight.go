package gincache

import (
	"encoding/binary"
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
	done chan struct{}
	// waiters counts the requests waiting on the leader, under the
	// group's lock.
	waiters int
	// entry is the stored result, or nil when the leader's response was
	// not stored (not cacheable, over the cap, failed, panicked): then
	// every waiter runs the handler for itself, since a response that was
	// not stored may hold what belongs to one user only.
	entry *backend.Entry
}

// flightKey is the key followed by the token values, in one allocation
// that is never written again: its first len(key) bytes are the key as a
// string of its own (see newMiss).
func flightKey(key []byte, vals []backend.Token) string {
	b := make([]byte, 0, len(key)+1+8*len(vals))
	b = append(b, key...)
	b = append(b, 0)
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	return unsafeString(b)
}

// join returns the flight for fk and whether the caller leads it.
func (g *flightGroup) join(fk string) (*flight, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f, ok := g.flights[fk]; ok {
		f.waiters++
		return f, false
	}
	if g.flights == nil {
		g.flights = make(map[string]*flight)
	}
	f := &flight{done: make(chan struct{})}
	g.flights[fk] = f
	return f, true
}

// lead starts the flight for fk if none is under way; it never waits.
func (g *flightGroup) lead(fk string) (*flight, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.flights[fk]; ok {
		return nil, false
	}
	if g.flights == nil {
		g.flights = make(map[string]*flight)
	}
	f := &flight{done: make(chan struct{})}
	g.flights[fk] = f
	return f, true
}

// finish publishes the leader's result and releases the waiters.
func (g *flightGroup) finish(fk string, f *flight, e *backend.Entry) {
	g.mu.Lock()
	delete(g.flights, fk)
	g.mu.Unlock()
	f.entry = e
	close(f.done)
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
