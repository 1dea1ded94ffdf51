package main

import (
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// The oracle knows what every client has been told, in the order it was
// told, and decides whether a read returned something older than a write
// acknowledged before the read began.
//
// Order, not time, defines staleness: each acknowledgement (a write's 2xx
// received and parsed) and each read's start takes the next value of one
// logical clock. A read that started at tick s must return, for every
// resource it shows, at least the highest version acknowledged at a tick
// below s. An acknowledgement takes its tick after the client received
// the response, and a read takes its tick before it sends the request, so
// a tick below s means the 2xx arrived before the read was sent: a read
// concurrent with a write is never blamed, and how slow the machine is
// changes nothing.

// tick is a value of the oracle's logical clock.
type tick uint64

// step is one rung of a resource's staircase: version v was acknowledged
// at tick at, wall time when (only to measure how long a stale read came
// after the acknowledgement it missed; order decides staleness).
type step struct {
	version int
	at      tick
	when    time.Time
	via     string // the instance that acknowledged it ("#1"; "" before the run)
}

// resource is the acknowledged history of one space or item, a staircase
// rising in both version and tick: an acknowledgement of a version not
// above the highest so far adds nothing (a later read must return the
// higher one anyway).
type resource struct {
	steps []step
}

// required is the highest version acknowledged before tick s (0: none).
func (r *resource) required(s tick) (int, tick) {
	i := r.before(s)
	if i == 0 {
		return 0, 0
	}
	st := r.steps[i-1]
	return st.version, st.at
}

// before is the number of steps acknowledged before tick s.
func (r *resource) before(s tick) int {
	return sort.Search(len(r.steps), func(i int) bool { return r.steps[i].at >= s })
}

// staleSince is the first version above got to be acknowledged: from its
// acknowledgement on, a read returning got was stale.
func (r *resource) staleSince(got int) step {
	i := sort.Search(len(r.steps), func(i int) bool { return r.steps[i].version > got })
	if i == len(r.steps) {
		return step{}
	}
	return r.steps[i]
}

// member is an item whose creation in a space was acknowledged at a tick
// (wall time when).
type member struct {
	id   string
	at   tick
	when time.Time
	via  string
}

// itemRef names an item of a space.
type itemRef struct{ space, item string }

type oracle struct {
	clock atomic.Uint64

	mu     sync.Mutex
	spaces map[string]*resource
	items  map[itemRef]*resource
	// members lists each space's items in the order their creation was
	// acknowledged (ticks rising).
	members  map[string][]member
	spaceIDs []string
	itemRefs []itemRef
	// creating counts creations sent per space, acknowledged or not, to
	// keep lists from growing past -max-items.
	creating map[string]int
	// lost holds, per resource ("space 4", "item 4/7"), what the store
	// held right after a write to it was lost with a crashed instance
	// (committed perhaps, never acknowledged); lostIn the spaces where an
	// item was written or created by such a write.
	lost   map[string]lostWrite
	lostIn map[string]time.Time
}

// lostWrite is what the store held for a resource once a write to it had
// been lost with a crashed instance: version, at tick at, wall time when.
type lostWrite struct {
	version int
	at      tick
	when    time.Time
}

func newOracle() *oracle {
	return &oracle{
		spaces:   map[string]*resource{},
		items:    map[itemRef]*resource{},
		members:  map[string][]member{},
		creating: map[string]int{},
		lost:     map[string]lostWrite{},
		lostIn:   map[string]time.Time{},
	}
}

// Keys of resources in the lost-write records.
func spaceKey(id string) string  { return "space " + id }
func itemKey(ref itemRef) string { return "item " + ref.space + "/" + ref.item }

// loseWrite records that a write to key, in space, was lost with a
// crashed instance, and that the store then held version of it (0 for a
// creation, whose item is unknown).
func (o *oracle) loseWrite(key, space string, version int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	at, when := o.now(), time.Now()
	if space != "" {
		o.lostIn[space] = when
	}
	if key == "" {
		return
	}
	if l, ok := o.lost[key]; !ok || version > l.version {
		o.lost[key] = lostWrite{version, at, when}
	}
}

// olderThanLost reports whether a read that started at s and returned
// version got of key shows it older than what the store held after a
// lost write, and since when that write was lost.
func (o *oracle) olderThanLost(key string, got int, s tick) (time.Time, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	l, ok := o.lost[key]
	if !ok || l.at >= s || got >= l.version {
		return time.Time{}, false
	}
	return l.when, true
}

// lostCovers reports whether the store's version of key (or, with key
// "", anything in space) may differ from what the cache serves because of
// a lost write, and when that write was lost.
func (o *oracle) lostCovers(key, space string, version int) (time.Time, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if l, ok := o.lost[key]; ok && key != "" && version <= l.version {
		return l.when, true
	}
	if w, ok := o.lostIn[space]; ok && space != "" && key == "" {
		return w, true
	}
	return time.Time{}, false
}

// now takes the next tick: call it when a read is about to be sent.
func (o *oracle) now() tick { return tick(o.clock.Add(1)) }

// ackLocked records an acknowledged version of r and returns its tick.
// The tick is taken under the lock, so that a reader that checks under
// the lock sees every acknowledgement with a smaller tick.
func (o *oracle) ackLocked(r *resource, version int, via string) (tick, time.Time) {
	at, when := o.now(), time.Now()
	if n := len(r.steps); n == 0 || version > r.steps[n-1].version {
		r.steps = append(r.steps, step{version, at, when, via})
	}
	return at, when
}

// ackSpace records that a write to space id was acknowledged with
// version by instance via, and returns the acknowledgement's tick.
func (o *oracle) ackSpace(id string, version int, via string) tick {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.spaces[id]
	if r == nil {
		r = &resource{}
		o.spaces[id] = r
		o.spaceIDs = append(o.spaceIDs, id)
	}
	at, _ := o.ackLocked(r, version, via)
	return at
}

// ackItem records that a write to an item was acknowledged with version
// by instance via; created says the write was its creation.
func (o *oracle) ackItem(ref itemRef, version int, created bool, via string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.items[ref]
	if r == nil {
		r = &resource{}
		o.items[ref] = r
		o.itemRefs = append(o.itemRefs, ref)
	}
	at, when := o.ackLocked(r, version, via)
	if created {
		o.members[ref.space] = append(o.members[ref.space], member{ref.item, at, when, via})
	}
}

// reserveCreate counts a creation about to be sent in space, or refuses
// it when the space has reached max.
func (o *oracle) reserveCreate(space string, max int) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.creating[space] >= max {
		return false
	}
	o.creating[space]++
	return true
}

// pickSpace and pickItem choose a known resource; ok is false when there
// is none yet.
func (o *oracle) pickSpace(rng *rand.Rand) (string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.spaceIDs) == 0 {
		return "", false
	}
	return o.spaceIDs[rng.IntN(len(o.spaceIDs))], true
}

func (o *oracle) pickItem(rng *rand.Rand) (itemRef, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.itemRefs) == 0 {
		return itemRef{}, false
	}
	return o.itemRefs[rng.IntN(len(o.itemRefs))], true
}

// staleness is what a check found wrong with one resource of a read.
type staleness struct {
	what     string // "space 4", "item 7 of space 4"
	got      int    // 0: missing from a list
	want     int
	ackedAt  tick
	startsAt tick
	// since is when the first acknowledged version above got was
	// acknowledged: the read came that long after it; via is the instance
	// that acknowledged it.
	since time.Time
	via   string
}

// checkSpace compares the version a read that started at s returned for a
// space with what was acknowledged before s.
func (o *oracle) checkSpace(id string, got int, s tick) *staleness {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.spaces[id].check("space "+id, got, s)
}

// checkItem is checkSpace for an item.
func (o *oracle) checkItem(ref itemRef, got int, s tick) *staleness {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.items[ref].check("item "+ref.item+" of space "+ref.space, got, s)
}

// check compares a version read at tick s with the resource's history
// (nil: unknown, nothing to compare with). The oracle's lock is held.
func (r *resource) check(what string, got int, s tick) *staleness {
	if r == nil {
		return nil
	}
	if want, at := r.required(s); got < want {
		first := r.staleSince(got)
		return &staleness{what: what, got: got, want: want, ackedAt: at, startsAt: s, since: first.when, via: first.via}
	}
	return nil
}

// missingMembers lists the items of space whose creation was acknowledged
// before s but which a list that started at s did not show.
func (o *oracle) missingMembers(space string, shown map[string]bool, s tick) []staleness {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.missingLocked(nil, space, func(id string) bool { return shown[id] }, s)
}

// missingAnywhere lists the items, of any space, whose creation was
// acknowledged before s but which a digest that started at s did not
// show; shown is keyed "space/item".
func (o *oracle) missingAnywhere(shown map[string]bool, s tick) []staleness {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []staleness
	for space := range o.members {
		out = o.missingLocked(out, space, func(id string) bool { return shown[space+"/"+id] }, s)
	}
	return out
}

// missingLocked appends to out the items of space created before s that
// shown says were not shown. The oracle's lock is held.
func (o *oracle) missingLocked(out []staleness, space string, shown func(id string) bool, s tick) []staleness {
	for _, m := range o.members[space] {
		if m.at >= s {
			break // ticks rise along the list
		}
		if !shown(m.id) {
			out = append(out, staleness{what: "item " + m.id + " of space " + space + " (created)", want: 1, ackedAt: m.at, startsAt: s, since: m.when, via: m.via})
		}
	}
	return out
}

// missingSpaces lists the spaces acknowledged before s that a /spaces
// read that started at s did not show.
func (o *oracle) missingSpaces(shown map[string]bool, s tick) []staleness {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []staleness
	for id, r := range o.spaces {
		if len(r.steps) > 0 && r.steps[0].at < s && !shown[id] {
			out = append(out, staleness{what: "space " + id + " (created)", want: r.steps[0].version, ackedAt: r.steps[0].at, startsAt: s, since: r.steps[0].when, via: r.steps[0].via})
		}
	}
	return out
}

// snapshot lists every space and item known, for the final sweep.
func (o *oracle) snapshot() ([]string, []itemRef) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.spaceIDs), slices.Clone(o.itemRefs)
}
