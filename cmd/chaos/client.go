package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

// checked counts what the clients verified, so the report can say "0 of
// N" rather than just "0".
type checked struct {
	responses     atomic.Int64 // bodies checked against their checksum
	hitResponses  atomic.Int64 // of which served by the cache (HIT, STALE)
	versionReads  atomic.Int64 // resources whose version a read returned and was compared
	acks          atomic.Int64 // writes acknowledged
	followUps     atomic.Int64 // reads through another instance right after a write's 2xx
	profileReads  atomic.Int64 // per-user reads compared with their user
	listsComplete atomic.Int64 // lists checked for acknowledged creations
}

// op is one kind of request a client sends.
type op struct {
	name   string
	weight int
	run    func(c *client)
}

// The mixes: reads, and writes (a -writes share of all requests).
var (
	readOps = []op{
		{"GET /spaces/:id", 20, (*client).readRandomSpace},
		{"GET /spaces/:id/items", 15, (*client).readRandomSpaceItems},
		{"GET /spaces/:id/items/:id", 30, (*client).readRandomItem},
		{"GET /spaces", 10, func(c *client) { c.readSpaces(c.anyInstance()) }},
		{"GET /items", 10, (*client).readItems},
		{"GET " + profilePath, 15, (*client).readProfile},
		{"GET " + digestPath, 5, func(c *client) { c.readDigest(c.anyInstance()) }},
	}
	writeOps = []op{
		{"PATCH /spaces/:id", 25, (*client).patchSpace},
		{"PATCH /spaces/:id/items/:id", 50, (*client).patchItem},
		{"POST /spaces/:id/items", 25, (*client).createItem},
	}
)

func pick(rng *rand.Rand, ops []op) op {
	total := 0
	for _, o := range ops {
		total += o.weight
	}
	n := rng.IntN(total)
	for _, o := range ops {
		if n < o.weight {
			return o
		}
		n -= o.weight
	}
	return ops[len(ops)-1]
}

// client is one of the concurrent clients. Only its own goroutine uses it.
type client struct {
	r       *runner
	rng     *rand.Rand
	tallies []*tally // one per phase, and one for the final sweep
	id      int
	writes  int
	// pinned, when set, receives every request (the final sweep reads
	// through each instance in turn).
	pinned *instance
}

// response is what one request got.
type response struct {
	method string
	path   string
	status int
	header http.Header
	body   []byte
	xcache string
	phase  string // the phase the request started in
	via    string // the instance that answered ("#2")
	// tally is the phase's tally the request was counted in.
	tally *tally
	// start is when the request was about to be sent.
	start time.Time
	// lost: the instance was killed by a crash fault before it answered.
	lost bool
}

// anyInstance picks the instance a request goes to.
func (c *client) anyInstance() *instance {
	if c.pinned != nil {
		return c.pinned
	}
	return c.r.instance(c.rng.IntN(c.r.cfg.instances))
}

// otherInstance picks an instance other than in, if there is one: where a
// write's follow-up reads go.
func (c *client) otherInstance(in *instance) *instance {
	n := c.r.cfg.instances
	if n == 1 {
		return in
	}
	i := (in.id - 1 + 1 + c.rng.IntN(n-1)) % n
	return c.r.instance(i)
}

// send performs one request through in and checks what every response
// must satisfy: an answer (no transport error), no 5xx, the expected
// status, and a body matching its checksum. It records the latency and
// the X-Cache outcome under the phase the request started in. ok is false
// if the response is not worth looking at further.
func (c *client) send(in *instance, method, path string, body []byte, want int, header ...string) (response, bool) {
	phase := c.r.phase.Load()
	t := c.tallies[phase]
	req, err := http.NewRequest(method, in.base+path, bytes.NewReader(body))
	if err != nil {
		panic(err) // the harness built a bad URL: a bug here, not in the cache
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c.r.issued.Add(1)
	if method == http.MethodGet {
		c.r.readStarted(phase)
	}
	start := time.Now()
	res, err := c.r.http.Do(req)
	var got []byte
	if err == nil {
		got, err = io.ReadAll(res.Body)
		res.Body.Close()
	}
	lat := time.Since(start)
	write := method != http.MethodGet
	if write {
		t.writes++
		t.writeLat.add(lat)
	} else {
		t.reads++
		t.readLat.add(lat)
	}
	v := violation{Phase: c.r.phaseLabel(phase), Method: method, Path: path, Instance: in.name()}
	if err != nil && in.crashed.Load() {
		t.lost++ // the crash fault's doing: no answer is what a crash gives
		return response{lost: true}, false
	}
	if err != nil {
		t.transport++
		v.Kind, v.Detail = vTransport, err.Error()
		c.r.viol.add(v)
		return response{}, false
	}
	out := response{method: method, path: path, status: res.StatusCode, header: res.Header, body: got,
		xcache: res.Header.Get(gincache.HeaderXCache), phase: v.Phase, via: in.name(), tally: t, start: start}
	v.XCache = out.xcache
	if !write {
		xc := out.xcache
		if xc == "" {
			xc = "none"
		}
		t.xcache[xc]++
		if d := cacheDetail(res.Header.Get(gincache.HeaderCacheStatus)); d != "" {
			t.skipDetail[xc+" "+d]++
		}
	}
	c.verifyChecksum(out, v)
	switch {
	case out.status >= 500:
		t.serverErrors++
		v.Kind, v.Detail = vServerError, fmt.Sprintf("status %d: %.200s", out.status, got)
		c.r.viol.add(v)
		return out, false
	case out.status != want:
		v.Kind, v.Detail = vStatus, fmt.Sprintf("status %d, want %d: %.200s", out.status, want, got)
		c.r.viol.add(v)
		return out, false
	}
	return out, true
}

// verifyChecksum compares the body with the X-Body-SHA256 the
// application computed when the handler wrote it.
func (c *client) verifyChecksum(res response, v violation) {
	c.r.checked.responses.Add(1)
	if res.xcache == "HIT" || res.xcache == "STALE" {
		c.r.checked.hitResponses.Add(1)
	}
	want := res.header.Get(headerChecksum)
	sum := sha256.Sum256(res.body)
	got := hex.EncodeToString(sum[:])
	switch {
	case want == "":
		v.Kind, v.Detail = vChecksum, fmt.Sprintf("no %s header (status %d, %d bytes)", headerChecksum, res.status, len(res.body))
	case want != got:
		v.Kind, v.Detail = vChecksum, fmt.Sprintf("body SHA-256 %s, header says %s (status %d, %d bytes: %.120q)", got, want, res.status, len(res.body), res.body)
	default:
		return
	}
	c.r.viol.add(v)
}

// malformed reports a body that is not the resource asked for.
func (c *client) malformed(res response, format string, args ...any) {
	c.r.viol.add(violation{Kind: vMalformed, Phase: res.phase, Method: res.method, Path: res.path, Instance: res.via, XCache: res.xcache,
		Detail: fmt.Sprintf(format, args...) + fmt.Sprintf(": %.200s", res.body)})
}

// stale reports a read of route kind that returned something older than
// what was acknowledged before it started (vStale), or that left out an
// acknowledged creation (vMissing): one violation per read and check,
// one stale read per read in the phase's counts.
func (c *client) stale(kind string, res response, versions, missing []staleness) {
	if len(versions) == 0 && len(missing) == 0 {
		return
	}
	res.tally.stale[kind]++
	for _, s := range append(versions, missing...) {
		if !s.since.IsZero() {
			res.tally.window = max(res.tally.window, res.start.Sub(s.since))
		}
	}
	report := func(v string, found []staleness) {
		if len(found) == 0 {
			return
		}
		s := found[0]
		d := fmt.Sprintf("%s: version %d returned, but version %d was acknowledged (by %s) at tick %d, %s before this read started (tick %d)",
			s.what, s.got, s.want, s.via, s.ackedAt, res.start.Sub(s.since).Round(time.Microsecond), s.startsAt)
		if s.got == 0 {
			d = fmt.Sprintf("%s: absent, but its creation was acknowledged (by %s) at tick %d, %s before this read started (tick %d)",
				s.what, s.via, s.ackedAt, res.start.Sub(s.since).Round(time.Microsecond), s.startsAt)
		}
		if len(found) > 1 {
			d += fmt.Sprintf(" (and %d more)", len(found)-1)
		}
		c.r.viol.add(violation{Kind: v, Phase: res.phase, Method: res.method, Path: res.path, Instance: res.via, XCache: res.xcache, Detail: d})
	}
	report(vStale, versions)
	report(vMissing, missing)
}

// lostTracker notes, for one read that started at tick s, the resources
// it showed older than what the store held after a write to them was
// lost with a crashed instance: not a violation (no client holds a 2xx
// for such a write), but the window a crash leaves open, measured.
type lostTracker struct {
	c     *client
	s     tick
	first time.Time
}

func (c *client) trackLost(s tick) *lostTracker { return &lostTracker{c: c, s: s} }

func (l *lostTracker) check(key string, got int) {
	if when, ok := l.c.r.oracle.olderThanLost(key, got, l.s); ok && (l.first.IsZero() || when.Before(l.first)) {
		l.first = when
	}
}

// done counts the read once if it showed anything behind a lost write.
func (l *lostTracker) done(res response) {
	if l.first.IsZero() {
		return
	}
	res.tally.behindLost++
	res.tally.lostWindow = max(res.tally.lostWindow, res.start.Sub(l.first))
}

func (c *client) readRandomSpace() {
	if id, ok := c.r.oracle.pickSpace(c.rng); ok {
		c.readSpace(c.anyInstance(), id)
	}
}

func (c *client) readRandomItem() {
	if ref, ok := c.r.oracle.pickItem(c.rng); ok {
		c.readItem(c.anyInstance(), ref)
	}
}

func (c *client) readRandomSpaceItems() {
	if id, ok := c.r.oracle.pickSpace(c.rng); ok {
		c.readSpaceItems(c.anyInstance(), id)
	}
}

func (c *client) readSpace(in *instance, id string) {
	s := c.r.oracle.now()
	res, ok := c.send(in, http.MethodGet, "/spaces/"+id, nil, http.StatusOK)
	if !ok {
		return
	}
	if sp, ok := c.spaceIn(res, id); ok {
		c.r.checked.versionReads.Add(1)
		if st := c.r.oracle.checkSpace(id, sp.Version, s); st != nil {
			c.stale(kindItem, res, []staleness{*st}, nil)
		}
		l := c.trackLost(s)
		l.check(spaceKey(id), sp.Version)
		l.done(res)
	}
}

func (c *client) readItem(in *instance, ref itemRef) {
	s := c.r.oracle.now()
	res, ok := c.send(in, http.MethodGet, ref.path(), nil, http.StatusOK)
	if !ok {
		return
	}
	if it, ok := c.itemIn(res, ref); ok {
		c.r.checked.versionReads.Add(1)
		if st := c.r.oracle.checkItem(ref, it.Version, s); st != nil {
			c.stale(kindItem, res, []staleness{*st}, nil)
		}
		l := c.trackLost(s)
		l.check(itemKey(ref), it.Version)
		l.done(res)
	}
}

func (c *client) readSpaceItems(in *instance, id string) {
	s := c.r.oracle.now()
	res, ok := c.send(in, http.MethodGet, "/spaces/"+id+"/items", nil, http.StatusOK)
	if !ok {
		return
	}
	items, ok := c.itemsIn(res, id)
	if !ok {
		return
	}
	shown := make(map[string]bool, len(items))
	var found []staleness
	l := c.trackLost(s)
	for _, it := range items {
		shown[it.ID] = true
		c.r.checked.versionReads.Add(1)
		if st := c.r.oracle.checkItem(itemRef{id, it.ID}, it.Version, s); st != nil {
			found = append(found, *st)
		}
		l.check(itemKey(itemRef{id, it.ID}), it.Version)
	}
	l.done(res)
	c.r.checked.listsComplete.Add(1)
	c.stale(kindList, res, found, c.r.oracle.missingMembers(id, shown, s))
}

func (c *client) readSpaces(in *instance) {
	s := c.r.oracle.now()
	res, ok := c.send(in, http.MethodGet, "/spaces", nil, http.StatusOK)
	if !ok {
		return
	}
	spaces, ok := c.spacesIn(res)
	if !ok {
		return
	}
	shown := make(map[string]bool, len(spaces))
	var found []staleness
	l := c.trackLost(s)
	for _, sp := range spaces {
		shown[sp.ID] = true
		c.r.checked.versionReads.Add(1)
		if st := c.r.oracle.checkSpace(sp.ID, sp.Version, s); st != nil {
			found = append(found, *st)
		}
		l.check(spaceKey(sp.ID), sp.Version)
	}
	l.done(res)
	c.r.checked.listsComplete.Add(1)
	c.stale(kindList, res, found, c.r.oracle.missingSpaces(shown, s))
}

// readDigest reads the root, which shows the version of every space and
// item.
func (c *client) readDigest(in *instance) {
	s := c.r.oracle.now()
	res, ok := c.send(in, http.MethodGet, digestPath, nil, http.StatusOK)
	if !ok {
		return
	}
	d, ok := c.digestIn(res)
	if !ok {
		return
	}
	var found []staleness
	l := c.trackLost(s)
	for id, v := range d.Spaces {
		c.r.checked.versionReads.Add(1)
		if st := c.r.oracle.checkSpace(id, v, s); st != nil {
			found = append(found, *st)
		}
		l.check(spaceKey(id), v)
	}
	shown := make(map[string]bool, len(d.Items))
	for key, v := range d.Items {
		shown[key] = true
		space, item, _ := strings.Cut(key, "/")
		c.r.checked.versionReads.Add(1)
		if st := c.r.oracle.checkItem(itemRef{space, item}, v, s); st != nil {
			found = append(found, *st)
		}
		l.check(itemKey(itemRef{space, item}), v)
	}
	l.done(res)
	c.r.checked.listsComplete.Add(1)
	c.stale(kindAncestor, res, found, c.r.oracle.missingAnywhere(shown, s))
}

// readItems reads a page of the top-level items, which nobody writes: the
// page and limit echoed in the body show that the response is the one for
// this query and not another query's.
func (c *client) readItems() {
	page, limit := 1+c.rng.IntN(3), 1+c.rng.IntN(3)
	res, ok := c.send(c.anyInstance(), http.MethodGet, "/items?page="+strconv.Itoa(page)+"&limit="+strconv.Itoa(limit), nil, http.StatusOK)
	if !ok {
		return
	}
	var b itemsBody
	if err := decode(res.body, &b); err != nil || b.Items == nil || b.Page != page || b.Limit != limit || len(*b.Items) > limit {
		c.malformed(res, "want page %d of %d items (%v)", page, limit, err)
	}
}

// readProfile reads the per-user route as a random user.
func (c *client) readProfile() {
	c.readProfileOf(c.anyInstance(), "user-"+strconv.Itoa(c.rng.IntN(c.r.cfg.users)))
}

// readProfileOf reads the per-user route as user: the body must be that
// user's.
func (c *client) readProfileOf(in *instance, user string) {
	res, ok := c.send(in, http.MethodGet, profilePath, nil, http.StatusOK, headerUser, user)
	if !ok {
		return
	}
	var b profileBody
	if err := decode(res.body, &b); err != nil {
		c.malformed(res, "want a profile (%v)", err)
		return
	}
	c.r.checked.profileReads.Add(1)
	if b.UserID != user || b.Secret != "private notes of "+user {
		c.r.viol.add(violation{Kind: vCrossUser, Phase: res.phase, Method: res.method, Path: res.path, Instance: res.via, XCache: res.xcache,
			Detail: fmt.Sprintf("%s asked, got the profile of %q", user, b.UserID)})
	}
}

// name returns a fresh name for a write's body.
func (c *client) name() []byte {
	c.writes++
	return []byte(`{"name":"c` + strconv.Itoa(c.id) + `-` + strconv.Itoa(c.writes) + `"}`)
}

// pair picks the instance a write goes through and another one, where
// the reads around it go (the same one when there is only one).
func (c *client) pair() (write, other *instance) {
	write = c.anyInstance()
	return write, c.otherInstance(write)
}

// warm reads, through other, what a write is about to change, so that the
// other instance has it cached when the write lands: a write that failed
// to invalidate it then shows as a stale read. With one instance there is
// no other, and the mix of reads stays as it was.
func (c *client) warm(other *instance, reads ...func(*instance)) {
	if c.r.cfg.instances == 1 {
		return
	}
	for _, read := range reads {
		read(other)
	}
}

// followUp reads, through another instance right after a write's 2xx,
// the resource it changed, a list that shows it and the root: read your
// writes across instances.
func (c *client) followUp(other *instance, item, list func(in *instance)) {
	if c.r.cfg.instances == 1 {
		return
	}
	for _, read := range []func(*instance){item, list, c.readDigest} {
		phase := c.r.phase.Load()
		c.tallies[phase].followUps++
		c.r.followUpStarted(phase)
		c.r.checked.followUps.Add(1)
		read(other)
	}
}

func (c *client) patchSpace() {
	id, ok := c.r.oracle.pickSpace(c.rng)
	if !ok {
		return
	}
	in, other := c.pair()
	item, list := func(o *instance) { c.readSpace(o, id) }, c.readSpaces
	c.warm(other, item, list)
	res, ok := c.send(in, http.MethodPatch, "/spaces/"+id, c.name(), http.StatusOK)
	if res.lost {
		truth, _ := c.r.store.Space(id)
		c.r.oracle.loseWrite(spaceKey(id), "", truth.Version)
	}
	if !ok {
		return
	}
	if sp, ok := c.spaceIn(res, id); ok {
		c.r.oracle.ackSpace(id, sp.Version, in.name())
		c.r.checked.acks.Add(1)
		c.followUp(other, item, list)
	}
}

func (c *client) patchItem() {
	ref, ok := c.r.oracle.pickItem(c.rng)
	if !ok {
		return
	}
	in, other := c.pair()
	item, list := func(o *instance) { c.readItem(o, ref) }, func(o *instance) { c.readSpaceItems(o, ref.space) }
	c.warm(other, item, list)
	res, ok := c.send(in, http.MethodPatch, ref.path(), c.name(), http.StatusOK)
	if res.lost {
		truth, _ := c.r.store.SpaceItem(ref.space, ref.item)
		c.r.oracle.loseWrite(itemKey(ref), ref.space, truth.Version)
	}
	if !ok {
		return
	}
	if it, ok := c.itemIn(res, ref); ok {
		c.r.oracle.ackItem(ref, it.Version, false, in.name())
		c.r.checked.acks.Add(1)
		c.followUp(other, item, list)
	}
}

// createItem adds an item to a space, or updates one if the space is
// full (-max-items), so that lists stay small.
func (c *client) createItem() {
	id, ok := c.r.oracle.pickSpace(c.rng)
	if !ok {
		return
	}
	if !c.r.oracle.reserveCreate(id, c.r.cfg.maxItems) {
		c.patchItem()
		return
	}
	in, other := c.pair()
	list := func(o *instance) { c.readSpaceItems(o, id) }
	c.warm(other, list)
	res, ok := c.send(in, http.MethodPost, "/spaces/"+id+"/items", c.name(), http.StatusCreated)
	if res.lost {
		c.r.oracle.loseWrite("", id, 0)
	}
	if !ok {
		return
	}
	if it, ok := c.itemIn(res, itemRef{space: id}); ok {
		ref := itemRef{id, it.ID}
		c.r.oracle.ackItem(ref, it.Version, true, in.name())
		c.r.checked.acks.Add(1)
		c.followUp(other, func(o *instance) { c.readItem(o, ref) }, list)
	}
}
