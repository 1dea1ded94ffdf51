package main

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Kinds of violation, in the order the report lists them.
const (
	vServerError = "5xx"
	vTransport   = "transport"
	vStatus      = "status"
	vStale       = "stale"
	vMissing     = "missing"
	vCrossUser   = "cross-user"
	vChecksum    = "checksum"
	vMalformed   = "malformed"
	vSweep       = "final-sweep"
)

// violationKinds lists every kind with what it means, for the report.
var violationKinds = []struct{ kind, meaning string }{
	{vServerError, "5xx responses"},
	{vTransport, "transport errors (refused, reset, timed out)"},
	{vStatus, "other unexpected statuses"},
	{vStale, "stale reads (older than an acknowledged write)"},
	{vMissing, "acknowledged creations missing from a list"},
	{vCrossUser, "cross-user reads on the per-user route"},
	{vChecksum, "bodies not matching their X-Body-SHA256"},
	{vMalformed, "bodies that are not the resource asked for"},
	{vSweep, "final sweep: reads differing from the store"},
}

// maxExamples bounds the violations kept in full for the report.
const maxExamples = 25

// violation is one thing a client saw that must never happen.
type violation struct {
	Kind     string `json:"kind"`
	Phase    string `json:"phase"`
	Method   string `json:"method"`
	Path     string `json:"path"`
	Instance string `json:"instance,omitempty"` // the instance that answered ("#2")
	XCache   string `json:"x_cache,omitempty"`
	Detail   string `json:"detail"`
}

// violations collects what the clients found, shared by all of them.
type violations struct {
	mu       sync.Mutex
	counts   map[string]int64
	examples []violation
}

func newViolations() *violations { return &violations{counts: map[string]int64{}} }

func (v *violations) add(x violation) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.counts[x.Kind]++
	if len(v.examples) < maxExamples {
		v.examples = append(v.examples, x)
	}
}

func (v *violations) total() int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	var n int64
	for _, c := range v.counts {
		n += c
	}
	return n
}

// Route kinds, as stale reads are counted: the resource a write changed
// read alone (a space, an item), a list that shows it (a space's items,
// the spaces), or an ancestor that shows it (the digest at the root).
const (
	kindItem     = "item"
	kindList     = "list"
	kindAncestor = "ancestor"
)

// routeKinds lists the kinds in report order.
var routeKinds = []string{kindItem, kindList, kindAncestor}

// tally is what one client recorded during one phase; clients keep their
// own, merged at the end, so recording takes no lock.
type tally struct {
	reads, writes int64
	// followUps counts reads sent through another instance right after a
	// write's 2xx.
	followUps  int64
	readLat    histogram
	writeLat   histogram
	xcache     map[string]int64 // HIT, MISS, STALE, SKIP, or "none"
	skipDetail map[string]int64 // Cache-Status detail of SKIPs and unstored MISSes
	// stale counts stale reads by route kind; window is the longest time
	// between an acknowledgement and a read that missed it.
	stale  map[string]int64
	window time.Duration
	// serverErrors and transport count 5xx responses and transport errors.
	serverErrors, transport int64
	// lost counts requests that got no answer because a crash fault
	// killed the instance; behindLost the reads that showed a resource
	// older than what the store held once a write to it was lost so, and
	// lostWindow the longest time from the loss to such a read.
	lost, behindLost int64
	lostWindow       time.Duration
}

func newTally() *tally {
	return &tally{xcache: map[string]int64{}, skipDetail: map[string]int64{}, stale: map[string]int64{}}
}

func (t *tally) merge(o *tally) {
	t.reads += o.reads
	t.writes += o.writes
	t.followUps += o.followUps
	t.readLat.merge(&o.readLat)
	t.writeLat.merge(&o.writeLat)
	for k, n := range o.stale {
		t.stale[k] += n
	}
	t.window = max(t.window, o.window)
	t.serverErrors += o.serverErrors
	t.transport += o.transport
	t.lost += o.lost
	t.behindLost += o.behindLost
	t.lostWindow = max(t.lostWindow, o.lostWindow)
	for k, n := range o.xcache {
		t.xcache[k] += n
	}
	for k, n := range o.skipDetail {
		t.skipDetail[k] += n
	}
}

// cacheDetail extracts the detail parameter of a Cache-Status header
// ("gincache; fwd=bypass; detail=backend-error" gives "backend-error").
func cacheDetail(status string) string {
	for part := range strings.SplitSeq(status, ";") {
		if d, ok := strings.CutPrefix(strings.TrimSpace(part), "detail="); ok {
			return d
		}
	}
	return ""
}

// sortedKeys returns the map's keys in order, for stable output.
func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// formatCounts renders "a=1 b=2".
func formatCounts(m map[string]int64) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}
