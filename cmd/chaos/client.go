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
		{"GET /spaces/:id", 20, (*client).readSpace},
		{"GET /spaces/:id/items", 15, (*client).readSpaceItems},
		{"GET /spaces/:id/items/:id", 30, (*client).readItem},
		{"GET /spaces", 10, (*client).readSpaces},
		{"GET /items", 10, (*client).readItems},
		{"GET " + profilePath, 15, (*client).readProfile},
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
}

// send performs one request and checks what every response must satisfy:
// an answer (no transport error), no 5xx, the expected status, and a body
// matching its checksum. It records the latency and the X-Cache outcome
// under the phase the request started in. ok is false if the response is
// not worth looking at further.
func (c *client) send(method, path string, body []byte, want int, header ...string) (response, bool) {
	phase := c.r.phase.Load()
	t := c.tallies[phase]
	req, err := http.NewRequest(method, c.r.app.base+path, bytes.NewReader(body))
	if err != nil {
		panic(err) // the harness built a bad URL: a bug here, not in the cache
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
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
	v := violation{Phase: c.r.phaseLabel(phase), Method: method, Path: path}
	if err != nil {
		v.Kind, v.Detail = vTransport, err.Error()
		c.r.viol.add(v)
		return response{}, false
	}
	out := response{method: method, path: path, status: res.StatusCode, header: res.Header, body: got,
		xcache: res.Header.Get(gincache.HeaderXCache), phase: v.Phase}
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
	c.r.viol.add(violation{Kind: vMalformed, Phase: res.phase, Method: res.method, Path: res.path, XCache: res.xcache,
		Detail: fmt.Sprintf(format, args...) + fmt.Sprintf(": %.200s", res.body)})
}

// stale reports each staleness found in a read.
func (c *client) stale(kind string, res response, found ...staleness) {
	for _, s := range found {
		d := fmt.Sprintf("%s: version %d returned, but version %d was acknowledged at tick %d, before this read started (tick %d)", s.what, s.got, s.want, s.ackedAt, s.startsAt)
		if s.got == 0 {
			d = fmt.Sprintf("%s: absent, but its creation was acknowledged at tick %d, before this read started (tick %d)", s.what, s.ackedAt, s.startsAt)
		}
		c.r.viol.add(violation{Kind: kind, Phase: res.phase, Method: res.method, Path: res.path, XCache: res.xcache, Detail: d})
	}
}

func (c *client) readSpace() {
	id, ok := c.r.oracle.pickSpace(c.rng)
	if !ok {
		return
	}
	s := c.r.oracle.now()
	res, ok := c.send(http.MethodGet, "/spaces/"+id, nil, http.StatusOK)
	if !ok {
		return
	}
	if sp, ok := c.spaceIn(res, id); ok {
		c.r.checked.versionReads.Add(1)
		if st := c.r.oracle.checkSpace(id, sp.Version, s); st != nil {
			c.stale(vStale, res, *st)
		}
	}
}

func (c *client) readItem() {
	ref, ok := c.r.oracle.pickItem(c.rng)
	if !ok {
		return
	}
	s := c.r.oracle.now()
	res, ok := c.send(http.MethodGet, ref.path(), nil, http.StatusOK)
	if !ok {
		return
	}
	if it, ok := c.itemIn(res, ref); ok {
		c.r.checked.versionReads.Add(1)
		if st := c.r.oracle.checkItem(ref, it.Version, s); st != nil {
			c.stale(vStale, res, *st)
		}
	}
}

func (c *client) readSpaceItems() {
	id, ok := c.r.oracle.pickSpace(c.rng)
	if !ok {
		return
	}
	s := c.r.oracle.now()
	res, ok := c.send(http.MethodGet, "/spaces/"+id+"/items", nil, http.StatusOK)
	if !ok {
		return
	}
	items, ok := c.itemsIn(res, id)
	if !ok {
		return
	}
	shown := make(map[string]bool, len(items))
	var found []staleness
	for _, it := range items {
		shown[it.ID] = true
		c.r.checked.versionReads.Add(1)
		if st := c.r.oracle.checkItem(itemRef{id, it.ID}, it.Version, s); st != nil {
			found = append(found, *st)
		}
	}
	c.stale(vStale, res, found...)
	c.r.checked.listsComplete.Add(1)
	c.stale(vMissing, res, c.r.oracle.missingMembers(id, shown, s)...)
}

func (c *client) readSpaces() {
	s := c.r.oracle.now()
	res, ok := c.send(http.MethodGet, "/spaces", nil, http.StatusOK)
	if !ok {
		return
	}
	spaces, ok := c.spacesIn(res)
	if !ok {
		return
	}
	shown := make(map[string]bool, len(spaces))
	var found []staleness
	for _, sp := range spaces {
		shown[sp.ID] = true
		c.r.checked.versionReads.Add(1)
		if st := c.r.oracle.checkSpace(sp.ID, sp.Version, s); st != nil {
			found = append(found, *st)
		}
	}
	c.stale(vStale, res, found...)
	c.r.checked.listsComplete.Add(1)
	c.stale(vMissing, res, c.r.oracle.missingSpaces(shown, s)...)
}

// readItems reads a page of the top-level items, which nobody writes: the
// page and limit echoed in the body show that the response is the one for
// this query and not another query's.
func (c *client) readItems() {
	page, limit := 1+c.rng.IntN(3), 1+c.rng.IntN(3)
	res, ok := c.send(http.MethodGet, "/items?page="+strconv.Itoa(page)+"&limit="+strconv.Itoa(limit), nil, http.StatusOK)
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
	c.readProfileOf("user-" + strconv.Itoa(c.rng.IntN(c.r.cfg.users)))
}

// readProfileOf reads the per-user route as user: the body must be that
// user's.
func (c *client) readProfileOf(user string) {
	res, ok := c.send(http.MethodGet, profilePath, nil, http.StatusOK, headerUser, user)
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
		c.r.viol.add(violation{Kind: vCrossUser, Phase: res.phase, Method: res.method, Path: res.path, XCache: res.xcache,
			Detail: fmt.Sprintf("%s asked, got the profile of %q", user, b.UserID)})
	}
}

// name returns a fresh name for a write's body.
func (c *client) name() []byte {
	c.writes++
	return []byte(`{"name":"c` + strconv.Itoa(c.id) + `-` + strconv.Itoa(c.writes) + `"}`)
}

func (c *client) patchSpace() {
	id, ok := c.r.oracle.pickSpace(c.rng)
	if !ok {
		return
	}
	res, ok := c.send(http.MethodPatch, "/spaces/"+id, c.name(), http.StatusOK)
	if !ok {
		return
	}
	if sp, ok := c.spaceIn(res, id); ok {
		c.r.oracle.ackSpace(id, sp.Version)
		c.r.checked.acks.Add(1)
	}
}

func (c *client) patchItem() {
	ref, ok := c.r.oracle.pickItem(c.rng)
	if !ok {
		return
	}
	res, ok := c.send(http.MethodPatch, ref.path(), c.name(), http.StatusOK)
	if !ok {
		return
	}
	if it, ok := c.itemIn(res, ref); ok {
		c.r.oracle.ackItem(ref, it.Version, false)
		c.r.checked.acks.Add(1)
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
	res, ok := c.send(http.MethodPost, "/spaces/"+id+"/items", c.name(), http.StatusCreated)
	if !ok {
		return
	}
	if it, ok := c.itemIn(res, itemRef{space: id}); ok {
		c.r.oracle.ackItem(itemRef{id, it.ID}, it.Version, true)
		c.r.checked.acks.Add(1)
	}
}
