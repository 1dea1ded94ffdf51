package gincache

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"log/slog"
	"net/http"
	"net/textproto"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/internal/budget"
)

// storable decides whether a response the handler produced on a miss may
// be kept, following docs/CACHING_LIMITS.md. outer holds the header fields
// middleware outside the cache set before the chain ran.
func (rs *routeState) storable(status int, h http.Header, outer headerSnapshot) (notStoredReason, bool) {
	if status < 200 || status > 299 || status == http.StatusPartialContent {
		return notStoredStatus, false
	}
	// One pass over the map for the four fields read below: a lookup by
	// name costs about as much as the pass, and there were four.
	var setCookie, cc, contentEncoding, vary []string
	for name, vals := range h {
		switch name {
		case "Set-Cookie":
			setCookie = vals
		case "Cache-Control":
			cc = vals
		case "Content-Encoding":
			contentEncoding = vals
		case "Vary":
			vary = vals
		}
	}
	if len(setCookie) > 0 {
		return notStoredCookie, false
	}
	if len(cc) > 0 {
		if hasDirective(cc, "no-store") {
			return notStoredNoStore, false
		}
		if hasDirective(cc, "no-cache") {
			// It may be stored only to be revalidated on every use, which
			// this cache does not do.
			return notStoredNoCache, false
		}
		if hasDirective(cc, "private") && !rs.identity {
			return notStoredPrivate, false
		}
	}
	encoded := false
	for _, ce := range contentEncoding {
		if strings.TrimSpace(ce) != "" && !strings.EqualFold(strings.TrimSpace(ce), "identity") {
			encoded = true
		}
	}
	if encoded && !rs.variesOnHeader("Accept-Encoding") {
		return notStoredEncoding, false
	}
	// A Vary that middleware outside the cache set before it ran (CORS's
	// Vary: Origin) describes what that middleware does on every request,
	// hits included: it runs again for each. Only what the chain inside
	// the cache added decides.
	outerVary := outer.values("Vary")
	for _, line := range vary {
		for line != "" {
			var name string
			name, line, _ = strings.Cut(line, ",")
			name = strings.TrimSpace(name)
			switch {
			case name == "":
			case listHas(outerVary, name):
			case name == "*":
				return notStoredVary, false
			case strings.EqualFold(name, "Accept-Encoding") && !encoded:
				// The body is the same for every encoding: a compressing
				// middleware outside the cache adds this Vary.
			case !rs.variesOnHeader(name):
				return notStoredVary, false
			}
		}
	}
	return 0, true
}

// variesOnHeader reports whether the key holds the named request header.
func (rs *routeState) variesOnHeader(name string) bool {
	canon := canonicalKey(name)
	for _, v := range rs.vary {
		if v.kind == varyHeader && v.name == canon {
			return true
		}
	}
	return false
}

// unstored reports the fields never stored: hop-by-hop fields (RFC 9110
// 7.6.1), fields that describe this very response (Date, Age), the
// cache's own, and Content-Length, which the entry sets itself. canon is
// a canonical name.
func unstored(canon string) bool {
	switch canon {
	case "Connection", "Keep-Alive", "Proxy-Authenticate",
		"Proxy-Authorization", "Proxy-Connection", "Te",
		"Trailer", "Transfer-Encoding", "Upgrade",
		"Date", "Age", "Content-Length", "Set-Cookie",
		HeaderXCache, HeaderCacheStatus:
		return true
	}
	return false
}

// newEntry builds the entry for a stored response, in the form a hit
// replays it: sorted canonical header fields with len == cap value slices,
// Content-Length among them, and a strong ETag (SetETag, apart from the
// fields). The fields are interned (headerSets): entries of a route
// usually carry the same ones, and then share one read-only slice. The
// entry keeps body.
func (rs *routeState) newEntry(status int, h http.Header, body []byte, now time.Time, outer headerSnapshot) *backend.Entry {
	e := &backend.Entry{
		Status:   status,
		Body:     body,
		StoredAt: now,
		Expires:  now.Add(rs.ttl),
		Stale:    rs.stale,
	}
	if e.Body == nil {
		e.Body = []byte{}
	}
	// One pass over the map: the fields to store, and the Etag and
	// Connection fields, found by their canonical names (as Header.Get
	// would find them) without a lookup each.
	var etag string
	var connection []string
	var buf [16]backend.HeaderField
	fields := buf[:0]
	for name, vals := range h {
		canon := canonicalKey(name)
		switch {
		case len(vals) == 0:
		case canon == "Etag":
			if etag == "" || name == "Etag" { // Header.Get's, if both
				etag = vals[0]
			}
		case canon == "Connection":
			connection = append(connection, vals...)
		case unstored(canon) || outer.unchanged(name, vals):
		default:
			fields = append(fields, backend.HeaderField{Name: canon, Values: vals})
		}
	}
	if len(connection) > 0 {
		fields = withoutConnectionFields(fields, connection)
	}
	if etag == "" {
		etag = strongETag(body)
	}
	e.SetETag(etag)
	if bodyAllowed(status) && len(body) > autoLengthLimit {
		// Made here, not as an array declared above: fields' values escape
		// (the compiler cannot see that intern copies them), so such an
		// array was moved to the heap on every miss, needed or not.
		fields = append(fields, backend.HeaderField{Name: "Content-Length", Values: []string{strconv.Itoa(len(body))}})
	}
	slices.SortFunc(fields, func(a, b backend.HeaderField) int { return strings.Compare(a.Name, b.Name) })
	e.Header = rs.headers.intern(fields)
	return e
}

// withoutConnectionFields drops from fields those the Connection field's
// lines name: they are hop-by-hop too (RFC 9110 7.6.1).
func withoutConnectionFields(fields []backend.HeaderField, lines []string) []backend.HeaderField {
	named := map[string]bool{}
	for _, line := range lines {
		for _, f := range strings.Split(line, ",") {
			named[textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(f))] = true
		}
	}
	return slices.DeleteFunc(fields, func(f backend.HeaderField) bool { return named[f.Name] })
}

// canonicalKey is textproto.CanonicalMIMEHeaderKey(name) at a fraction of
// its cost for a name already canonical, as every name set through
// Header.Set is: the standard library checks each byte against the token
// table before it looks at the case, this looks at the case alone. A
// name with a letter in the wrong case goes to the standard library,
// which also leaves a name holding a byte not allowed in a field name
// as it is, as this does.
func canonicalKey(name string) string {
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return textproto.CanonicalMIMEHeaderKey(name)
		}
		upper = c == '-'
	}
	return name
}

// headerSets interns a route's header field sets: entries whose stored
// fields are equal share one read-only slice, so an entry of 1 KiB does
// not carry a few hundred bytes of header fields its neighbours hold too.
// At most maxHeaderSets sets are remembered; past that the table starts
// over (the entries keep theirs), so a route whose every response has
// fields of its own costs a lookup per store and no more memory than
// unshared fields.
type headerSets struct {
	mu   sync.Mutex
	sets map[string][]backend.HeaderField
}

const (
	maxHeaderSets = 64
	// maxHeaderSetKey: sets whose encoding is longer are not interned.
	maxHeaderSetKey = 4 << 10
)

// intern returns fields as a shared set: a copy made with every values
// slice cut from one backing array with len == cap (a later Add on a
// response copies), or the equal set made before. fields is not kept.
func (s *headerSets) intern(fields []backend.HeaderField) []backend.HeaderField {
	if len(fields) == 0 {
		return nil
	}
	var kb [512]byte
	k := kb[:0]
	for _, f := range fields {
		k = binary.AppendUvarint(k, uint64(len(f.Name)))
		k = append(k, f.Name...)
		k = binary.AppendUvarint(k, uint64(len(f.Values)))
		for _, v := range f.Values {
			k = binary.AppendUvarint(k, uint64(len(v)))
			k = append(k, v...)
		}
	}
	if len(k) > maxHeaderSetKey {
		return copyFields(fields)
	}
	s.mu.Lock()
	set, ok := s.sets[string(k)]
	s.mu.Unlock()
	if ok {
		return set
	}
	set = copyFields(fields)
	s.mu.Lock()
	if s.sets == nil || len(s.sets) >= maxHeaderSets {
		s.sets = make(map[string][]backend.HeaderField)
	}
	s.sets[string(k)] = set
	s.mu.Unlock()
	return set
}

// copyFields copies fields into a slice of their own, every field's
// values cut from one backing array with len == cap.
func copyFields(fields []backend.HeaderField) []backend.HeaderField {
	n := 0
	for _, f := range fields {
		n += len(f.Values)
	}
	backing := make([]string, 0, n)
	out := make([]backend.HeaderField, len(fields))
	for i, f := range fields {
		start := len(backing)
		backing = append(backing, f.Values...)
		out[i] = backend.HeaderField{Name: f.Name, Values: backing[start:len(backing):len(backing)]}
	}
	return out
}

// headerSnapshot records the header fields set before the handler chain
// ran, by middleware outside the cache (CORS, request ids, security
// headers). Those middlewares run again on every hit and set them for
// that request; storing their values from the first request would replay
// them to everyone (an Access-Control-Allow-Origin for another origin, a
// request id). A field the handler changed is stored.
type headerSnapshot []outerField

type outerField struct {
	name string
	// vals is the values slice as it was: its identity tells whether the
	// field was replaced, and its elements are the outer values (Header.Add
	// appends past its length, Header.Set replaces it).
	vals []string
}

func snapshotHeader(h http.Header) headerSnapshot {
	if len(h) == 0 {
		return nil
	}
	s := make(headerSnapshot, 0, len(h))
	for name, vals := range h {
		if len(vals) > 0 {
			s = append(s, outerField{name, vals})
		}
	}
	return s
}

// unchanged reports whether the field name still holds exactly what was
// there before the chain ran.
func (s headerSnapshot) unchanged(name string, vals []string) bool {
	for _, f := range s {
		if f.name == name {
			return len(vals) == len(f.vals) && &vals[0] == &f.vals[0]
		}
	}
	return false
}

// values returns what the field held before the chain ran.
func (s headerSnapshot) values(name string) []string {
	for _, f := range s {
		if f.name == name {
			return f.vals
		}
	}
	return nil
}

// listHas reports whether a comma-separated header list holds name,
// case-insensitively.
func listHas(lines []string, name string) bool {
	for _, line := range lines {
		for line != "" {
			var item string
			item, line, _ = strings.Cut(line, ",")
			if strings.EqualFold(strings.TrimSpace(item), name) {
				return true
			}
		}
	}
	return false
}

// autoLengthLimit: net/http sets Content-Length by itself on a response
// written in one piece smaller than its chunking buffer (2048 bytes), so
// entries carry the header only above that, saving a header on small hits.
const autoLengthLimit = 2048

// bodyAllowed reports whether a response with this status carries a body
// (and so a Content-Length).
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

var crcC = crc32.MakeTable(crc32.Castagnoli)

// strongETag is a strong entity tag for body: CRC-32C and CRC-32 IEEE
// (64 bits together, both computed in hardware, so a 16 KiB body costs
// about a microsecond) and the length. It depends only on the bytes, so
// every instance computes the same tag for the same body.
func strongETag(body []byte) string {
	var sum [8]byte
	c := crc32.Checksum(body, crcC)
	k := crc32.ChecksumIEEE(body)
	sum[0], sum[1], sum[2], sum[3] = byte(c>>24), byte(c>>16), byte(c>>8), byte(c)
	sum[4], sum[5], sum[6], sum[7] = byte(k>>24), byte(k>>16), byte(k>>8), byte(k)
	b := make([]byte, 0, 32)
	b = append(b, '"')
	b = hex.AppendEncode(b, sum[:])
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(len(body)), 16)
	b = append(b, '"')
	return string(b)
}

// settle stores e and counts the outcome: whether it was stored and, when
// not, why.
func (c *Cache) settle(rs *routeState, m *miss, e *backend.Entry) (notStoredReason, bool) {
	var reason notStoredReason
	switch err := c.store(rs, m, e); {
	case err == nil:
		rs.stats.stores.Add(1)
		return 0, true
	case errors.Is(err, backend.ErrConflict):
		reason = notStoredConflict
	default:
		reason = notStoredError
		rs.stats.backendErrors.Add(1)
		c.log.Log(slog.LevelError, "store", "gincache: backend store failed", "error", err, "route", rs.path)
	}
	rs.stats.unstored(reason)
	return reason, false
}

// pendingStoreCost is what a store after the response is charged to the
// in-flight cap besides its body: its goroutine and the request state it
// holds. It bounds how many can wait on a slow backend.
const pendingStoreCost = 16 << 10

// storeLater stores a leader's entry on a networked backend after its
// response has gone, on a storer goroutine (an idle one, or one started
// for it), and reports whether it started it (WithStoreBeforeResponse).
// The client does not wait for the store's round trip, and nothing it
// could see changes:
//
//   - the flight stays open until the store ends, with its entry
//     published (flightGroup.publish): a request of the key (and token
//     values) meanwhile gets it at once, as a hit, where it would
//     otherwise have missed in the backend and run the handler again;
//   - the store checks the tokens the lookup read, as before: a write that
//     came between the lookup and the store, before or after the
//     response, makes it refuse the entry;
//   - the body and the pending store count against the in-flight cap
//     until the store ends; past the cap the store runs first, as with
//     WithStoreBeforeResponse(true), which slows requests down instead of
//     piling stores up on a slow backend;
//   - it has what is left of the request's budget (store), and Close
//     waits for it.
//
// The store takes over the request's state (m.st), whose buffers its key
// and token names view, and releases it when done.
func (c *Cache) storeLater(rs *routeState, m *miss, e *backend.Entry) bool {
	if c.local || c.cfg.storeFirst || m.f == nil || m.st == nil {
		return false
	}
	charge := int64(cap(e.Body)) + pendingStoreCost
	if !c.reserve(charge) {
		return false
	}
	c.bgMu.Lock()
	defer c.bgMu.Unlock()
	if c.closed.Load() {
		c.inflight.Add(-charge)
		return false
	}
	job := storeJob{rs: rs, m: miss{key: m.key, tok: m.tok, spent: m.spent, f: m.f, fk: m.fk, st: m.st}, e: e, charge: charge}
	m.f, m.storing = nil, true // the store finishes the flight, not run
	c.flights.publish(job.m.f, e)
	job.m.st.refs.Store(2)
	batch := c.storing
	if batch == nil {
		batch = &storeBatch{done: make(chan struct{})}
		c.storing = batch
		c.open = append(c.open, batch)
	}
	batch.n++
	c.bg.Add(1)
	job.batch = batch
	select {
	case c.storeJobs <- job: // an idle storer takes it
	default:
		c.bg.Add(1)
		go c.storer(job)
	}
	return true
}

// storeJob is one store after the response, as storeLater hands it to a
// storer: the miss's state by value (its key and token names view m.st's
// buffers), so that handing it over allocates nothing.
type storeJob struct {
	rs     *routeState
	m      miss
	e      *backend.Entry
	charge int64
	batch  *storeBatch
}

// idleStorerLimit bounds the storers that wait for the next store after
// theirs: enough for the stores a busy instance has under way at once
// (four per P, at least 16), few enough that an idle instance holds
// little (a parked goroutine and its stack each). Past it a store's
// storer ends with its store, as a goroutine per store did.
func idleStorerLimit() int32 { return int32(max(16, 4*runtime.GOMAXPROCS(0))) }

// storer runs stores after the response: the one it was started with,
// then those storeLater hands it while it waits idle, until more than
// c.maxIdleStorers wait or the cache closes. A goroutine per store would
// start on a small stack and grow it, copying it each time, through the
// backend client's calls: on Redis that was about a twentieth of a miss's
// CPU time end to end (bench/, BenchmarkEndToEnd/case=miss, pprof), and
// a storer pays it once. storeLater counts the storer in c.bg, so Close
// waits for it to end.
func (c *Cache) storer(job storeJob) {
	defer c.bg.Done()
	for {
		c.runStore(job)
		if c.idleStorers.Add(1) > c.maxIdleStorers {
			c.idleStorers.Add(-1)
			return
		}
		select {
		case job = <-c.storeJobs:
			c.idleStorers.Add(-1)
		case <-c.stop:
			c.idleStorers.Add(-1)
			return
		}
	}
}

// runStore runs one store after the response and ends its hold on
// everything storeLater gave it: the flight, the in-flight charge, the
// request's state and its place in its batch.
func (c *Cache) runStore(job storeJob) {
	rs, bg, batch := job.rs, &job.m, job.batch
	defer c.bg.Done()
	defer func() {
		// A backend's Store that panics would otherwise end the
		// process: no recovery middleware runs around this goroutine,
		// as one ran around the request's own store.
		if p := recover(); p != nil {
			rs.stats.unstored(notStoredError)
			rs.stats.backendErrors.Add(1)
			c.log.Log(slog.LevelError, "store-panic", "gincache: backend store panicked", "panic", p, "route", rs.path)
		}
		c.flights.finish(bg.fk, bg.f, nil) // its entry is published
		c.inflight.Add(-job.charge)
		bg.st.done()
		c.bgMu.Lock()
		if batch.n--; batch.n == 0 {
			close(batch.done)
			c.open = slices.DeleteFunc(c.open, func(b *storeBatch) bool { return b == batch })
			if c.storing == batch {
				c.storing = nil
			}
		}
		c.bgMu.Unlock()
	}()
	c.settle(rs, bg, job.e)
}

// store saves the entry within what is left of the request's budget. It
// runs even if the client has gone: waiters may depend on it.
func (c *Cache) store(rs *routeState, m *miss, e *backend.Entry) (err error) {
	defer func(start time.Time) { c.observe(OpStore, rs, start, conflictIsNil(err)) }(c.observeStart())
	ttl := rs.ttl + rs.stale
	if c.local {
		return c.backend.Store(context.Background(), m.key, e, ttl, m.tok)
	}
	left := c.cfg.budget - m.spent
	if left <= 0 {
		return context.DeadlineExceeded
	}
	return c.backend.Store(budget.Context(context.Background(), left), m.key, e, ttl, m.tok)
}

// conflictIsNil keeps a lost store race, which is not a failure, out of
// what observers count as errors.
func conflictIsNil(err error) error {
	if errors.Is(err, backend.ErrConflict) {
		return nil
	}
	return err
}
