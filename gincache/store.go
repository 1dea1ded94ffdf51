package gincache

import (
	"context"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

// storable decides whether a response the handler produced on a miss may
// be kept, following docs/CACHING_LIMITS.md. outer holds the header fields
// middleware outside the cache set before the chain ran.
func (rs *routeState) storable(status int, h http.Header, outer headerSnapshot) (notStoredReason, bool) {
	if status < 200 || status > 299 || status == http.StatusPartialContent {
		return notStoredStatus, false
	}
	if len(h["Set-Cookie"]) > 0 {
		return notStoredCookie, false
	}
	if cc := h["Cache-Control"]; len(cc) > 0 {
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
	for _, ce := range h["Content-Encoding"] {
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
	for _, line := range h["Vary"] {
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
	canon := textproto.CanonicalMIMEHeaderKey(name)
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

// smallHeader is an entry's header in one allocation, for the common
// response of up to three stored fields with one value each (a body's
// Content-Type, the ETag and Content-Length): the fields, their values
// and the text of the ETag and Content-Length values (27 and 10 bytes at
// most for a body under 4 GiB; a longer text goes to an array of its
// own). 208 bytes, a size class: what the separate allocations it
// replaces took (a 128-byte field array, a 48-byte value array, the
// 24-byte ETag and 8-byte Content-Length strings).
type smallHeader struct {
	fields [3]backend.HeaderField
	vals   [3]string
	text   [40]byte
}

// smallHeader2 is smallHeader for two fields (a body of 2 KiB or less
// carries no Content-Length): 144 bytes, a size class, where the separate
// allocations took 200.
type smallHeader2 struct {
	fields [2]backend.HeaderField
	vals   [2]string
	text   [32]byte
}

// newEntry builds the entry for a stored response, in the form a hit
// replays it: sorted canonical header fields with len == cap value slices,
// Content-Length and a strong ETag among them. The entry keeps body.
func (rs *routeState) newEntry(status int, h http.Header, body []byte, now time.Time, outer headerSnapshot) *backend.Entry {
	var connection map[string]bool // the fields Connection names: hop-by-hop too
	for _, line := range h["Connection"] {
		for _, f := range strings.Split(line, ",") {
			if connection == nil {
				connection = map[string]bool{}
			}
			connection[textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(f))] = true
		}
	}
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
	withLength := bodyAllowed(status) && len(body) > autoLengthLimit
	// Every field's values are cut from one backing array, each with
	// len == cap (a later Add on a response copies): one allocation for
	// all of them rather than one per field; one for everything when the
	// header is small.
	nvals, nfields := 1, 1
	if withLength {
		nvals, nfields = 2, 2
	}
	for name, vals := range h {
		// The entry sets these itself (counted above); Gin's c.Data sets
		// Content-Length. Only the sizes depend on this count.
		if name != "Content-Length" && name != "Etag" {
			nvals += len(vals)
			nfields++
		}
	}
	var backing []string
	var fields []backend.HeaderField
	var text []byte // where the ETag and Content-Length values are written
	switch {
	case nfields <= 2 && nvals <= 2:
		sh := new(smallHeader2)
		fields, backing, text = sh.fields[:0], sh.vals[:0], sh.text[:0]
	case nfields <= 3 && nvals <= 3:
		sh := new(smallHeader)
		fields, backing, text = sh.fields[:0], sh.vals[:0], sh.text[:0]
	default:
		fields = make([]backend.HeaderField, 0, nfields)
		backing = make([]string, 0, nvals)
	}
	// str returns what was appended to text since len start as a string:
	// the array is never written again. Past its capacity, append copies
	// to a new array of its own, which the string then keeps.
	str := func(start int) string { return unsafeString(text[start:len(text):len(text)]) }
	if v := h["Etag"]; len(v) > 0 { // h.Get("Etag") without canonicalising
		e.ETag = v[0]
	}
	if e.ETag == "" {
		start := len(text)
		text = appendStrongETag(text, body)
		e.ETag = str(start)
	}
	add := func(vals ...string) []string {
		start := len(backing)
		backing = append(backing, vals...)
		return backing[start:len(backing):len(backing)]
	}
	for name, vals := range h {
		canon := textproto.CanonicalMIMEHeaderKey(name)
		if unstored(canon) || connection[canon] || canon == "Etag" || len(vals) == 0 || outer.unchanged(name, vals) {
			continue
		}
		fields = append(fields, backend.HeaderField{Name: canon, Values: add(vals...)})
	}
	fields = append(fields, backend.HeaderField{Name: "Etag", Values: add(e.ETag)})
	if withLength {
		start := len(text)
		text = strconv.AppendInt(text, int64(len(body)), 10)
		fields = append(fields, backend.HeaderField{Name: "Content-Length", Values: add(str(start))})
	}
	slices.SortFunc(fields, func(a, b backend.HeaderField) int { return strings.Compare(a.Name, b.Name) })
	e.Header = fields
	return e
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
	return string(appendStrongETag(make([]byte, 0, 32), body))
}

// appendStrongETag appends body's strongETag to b.
func appendStrongETag(b, body []byte) []byte {
	var sum [8]byte
	c := crc32.Checksum(body, crcC)
	k := crc32.ChecksumIEEE(body)
	sum[0], sum[1], sum[2], sum[3] = byte(c>>24), byte(c>>16), byte(c>>8), byte(c)
	sum[4], sum[5], sum[6], sum[7] = byte(k>>24), byte(k>>16), byte(k>>8), byte(k)
	b = append(b, '"')
	b = hex.AppendEncode(b, sum[:])
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(len(body)), 16)
	return append(b, '"')
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
	ctx, cancel := context.WithTimeout(context.Background(), left)
	defer cancel()
	return c.backend.Store(ctx, m.key, e, ttl, m.tok)
}

// conflictIsNil keeps a lost store race, which is not a failure, out of
// what observers count as errors.
func conflictIsNil(err error) error {
	if errors.Is(err, backend.ErrConflict) {
		return nil
	}
	return err
}

// etagField returns the index of the Etag field among an entry's header
// fields, which newEntry always adds.
func etagField(e *backend.Entry) int {
	return slices.IndexFunc(e.Header, func(f backend.HeaderField) bool { return f.Name == "Etag" })
}
