package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/example/quickstart"
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
		t.writeLat = append(t.writeLat, lat)
	} else {
		t.reads++
		t.readLat = append(t.readLat, lat)
	}
	v := violation{Phase: c.r.phaseLabel(phase), Method: method, Path: path}
	if err != nil {
		v.Kind, v.Detail = vTransport, err.Error()
		c.r.viol.add(v)
		return response{}, false
	}
	out := response{status: res.StatusCode, header: res.Header, body: got, xcache: res.Header.Get(gincache.HeaderXCache), phase: v.Phase}
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
func (c *client) malformed(method, path string, res response, format string, args ...any) {
	c.r.viol.add(violation{Kind: vMalformed, Phase: res.phase, Method: method, Path: path, XCache: res.xcache,
		Detail: fmt.Sprintf(format, args...) + fmt.Sprintf(": %.200s", res.body)})
}

// stale reports each staleness found in a read.
func (c *client) stale(kind, path string, res response, found ...staleness) {
	for _, s := range found {
		d := fmt.Sprintf("%s: version %d returned, but version %d was acknowledged at tick %d, before this read started (tick %d)", s.what, s.got, s.want, s.ackedAt, s.startsAt)
		if s.got == 0 {
			d = fmt.Sprintf("%s: absent, but its creation was acknowledged at tick %d, before this read started (tick %d)", s.what, s.ackedAt, s.startsAt)
		}
		c.r.viol.add(violation{Kind: kind, Phase: res.phase, Method: http.MethodGet, Path: path, XCache: res.xcache, Detail: d})
	}
}

func decode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

type spaceBody struct {
	Space       *quickstart.Space `json:"space"`
	GeneratedAt string            `json:"generated_at"`
}

type itemBody struct {
	Item        *quickstart.Item `json:"item"`
	GeneratedAt string           `json:"generated_at"`
}

type itemsBody struct {
	Items       *[]quickstart.Item `json:"items"`
	Page        int                `json:"page"`
	Limit       int                `json:"limit"`
	Total       int                `json:"total"`
	GeneratedAt string             `json:"generated_at"`
}

type spacesBody struct {
	Spaces      *[]quickstart.Space `json:"spaces"`
	GeneratedAt string              `json:"generated_at"`
}

type profileBody struct {
	UserID      string `json:"user_id"`
	Secret      string `json:"secret"`
	GeneratedAt string `json:"generated_at"`
}

func (c *client) readSpace() {
	id, ok := c.r.oracle.pickSpace(c.rng)
	if !ok {
		return
	}
	path := "/spaces/" + id
	s := c.r.oracle.now()
	res, ok := c.send(http.MethodGet, path, nil, http.StatusOK)
	if !ok {
		return
	}
	var b spaceBody
	if err := decode(res.body, &b); err != nil || b.Space == nil || b.Space.ID != id {
		c.malformed(http.MethodGet, path, res, "want space %s (%v)", id, err)
		return
	}
	c.r.checked.versionReads.Add(1)
	if st := c.r.oracle.checkSpace(id, b.Space.Version, s); st != nil {
		c.stale(vStale, path, res, *st)
	}
}

func (c *client) readItem() {
	ref, ok := c.r.oracle.pickItem(c.rng)
	if !ok {
		return
	}
	path := "/spaces/" + ref.space + "/items/" + ref.item
	s := c.r.oracle.now()
	res, ok := c.send(http.MethodGet, path, nil, http.StatusOK)
	if !ok {
		return
	}
	var b itemBody
	if err := decode(res.body, &b); err != nil || b.Item == nil || b.Item.ID != ref.item || b.Item.SpaceID != ref.space {
		c.malformed(http.MethodGet, path, res, "want item %s of space %s (%v)", ref.item, ref.space, err)
		return
	}
	c.r.checked.versionReads.Add(1)
	if st := c.r.oracle.checkItem(ref, b.Item.Version, s); st != nil {
		c.stale(vStale, path, res, *st)
	}
}

func (c *client) readSpaceItems() {
	id, ok := c.r.oracle.pickSpace(c.rng)
	if !ok {
		return
	}
	path := "/spaces/" + id + "/items"
	s := c.r.oracle.now()
	res, ok := c.send(http.MethodGet, path, nil, http.StatusOK)
	if !ok {
		return
	}
	var b itemsBody
	if err := decode(res.body, &b); err != nil || b.Items == nil {
		c.malformed(http.MethodGet, path, res, "want the items of space %s (%v)", id, err)
		return
	}
	shown := make(map[string]bool, len(*b.Items))
	var found []staleness
	for _, it := range *b.Items {
		if it.SpaceID != id {
			c.malformed(http.MethodGet, path, res, "item %s of space %q in the list of space %s", it.ID, it.SpaceID, id)
			return
		}
		shown[it.ID] = true
		c.r.checked.versionReads.Add(1)
		if st := c.r.oracle.checkItem(itemRef{id, it.ID}, it.Version, s); st != nil {
			found = append(found, *st)
		}
	}
	c.stale(vStale, path, res, found...)
	c.r.checked.listsComplete.Add(1)
	c.stale(vMissing, path, res, c.r.oracle.missingMembers(id, shown, s)...)
}

func (c *client) readSpaces() {
	const path = "/spaces"
	s := c.r.oracle.now()
	res, ok := c.send(http.MethodGet, path, nil, http.StatusOK)
	if !ok {
		return
	}
	var b spacesBody
	if err := decode(res.body, &b); err != nil || b.Spaces == nil {
		c.malformed(http.MethodGet, path, res, "want the spaces (%v)", err)
		return
	}
	shown := make(map[string]bool, len(*b.Spaces))
	var found []staleness
	for _, sp := range *b.Spaces {
		shown[sp.ID] = true
		c.r.checked.versionReads.Add(1)
		if st := c.r.oracle.checkSpace(sp.ID, sp.Version, s); st != nil {
			found = append(found, *st)
		}
	}
	c.stale(vStale, path, res, found...)
	c.r.checked.listsComplete.Add(1)
	c.stale(vMissing, path, res, c.r.oracle.missingSpaces(shown, s)...)
}

// readItems reads a page of the top-level items, which nobody writes: the
// page and limit echoed in the body show that the response is the one for
// this query and not another query's.
func (c *client) readItems() {
	page, limit := 1+c.rng.IntN(3), 1+c.rng.IntN(3)
	path := "/items?page=" + strconv.Itoa(page) + "&limit=" + strconv.Itoa(limit)
	res, ok := c.send(http.MethodGet, path, nil, http.StatusOK)
	if !ok {
		return
	}
	var b itemsBody
	if err := decode(res.body, &b); err != nil || b.Items == nil || b.Page != page || b.Limit != limit || len(*b.Items) > limit {
		c.malformed(http.MethodGet, path, res, "want page %d of %d items (%v)", page, limit, err)
	}
}

// readProfile reads the per-user route as a random user: the body must be
// that user's.
func (c *client) readProfile() {
	user := "user-" + strconv.Itoa(c.rng.IntN(c.r.cfg.users))
	res, ok := c.send(http.MethodGet, profilePath, nil, http.StatusOK, headerUser, user)
	if !ok {
		return
	}
	var b profileBody
	if err := decode(res.body, &b); err != nil {
		c.malformed(http.MethodGet, profilePath, res, "want a profile (%v)", err)
		return
	}
	c.r.checked.profileReads.Add(1)
	if b.UserID != user || b.Secret != "private notes of "+user {
		c.r.viol.add(violation{Kind: vCrossUser, Phase: res.phase, Method: http.MethodGet, Path: profilePath, XCache: res.xcache,
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
	path := "/spaces/" + id
	res, ok := c.send(http.MethodPatch, path, c.name(), http.StatusOK)
	if !ok {
		return
	}
	var b spaceBody
	if err := decode(res.body, &b); err != nil || b.Space == nil || b.Space.ID != id {
		c.malformed(http.MethodPatch, path, res, "want space %s (%v)", id, err)
		return
	}
	c.r.oracle.ackSpace(id, b.Space.Version)
	c.r.checked.acks.Add(1)
}

func (c *client) patchItem() {
	ref, ok := c.r.oracle.pickItem(c.rng)
	if !ok {
		return
	}
	path := "/spaces/" + ref.space + "/items/" + ref.item
	res, ok := c.send(http.MethodPatch, path, c.name(), http.StatusOK)
	if !ok {
		return
	}
	var b itemBody
	if err := decode(res.body, &b); err != nil || b.Item == nil || b.Item.ID != ref.item || b.Item.SpaceID != ref.space {
		c.malformed(http.MethodPatch, path, res, "want item %s of space %s (%v)", ref.item, ref.space, err)
		return
	}
	c.r.oracle.ackItem(ref, b.Item.Version, false)
	c.r.checked.acks.Add(1)
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
	path := "/spaces/" + id + "/items"
	res, ok := c.send(http.MethodPost, path, c.name(), http.StatusCreated)
	if !ok {
		return
	}
	var b itemBody
	if err := decode(res.body, &b); err != nil || b.Item == nil || b.Item.SpaceID != id || b.Item.ID == "" {
		c.malformed(http.MethodPost, path, res, "want a new item of space %s (%v)", id, err)
		return
	}
	c.r.oracle.ackItem(itemRef{id, b.Item.ID}, b.Item.Version, true)
	c.r.checked.acks.Add(1)
}
