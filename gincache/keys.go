package gincache

import (
	"hash/maphash"
	"math/rand/v2"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/gin-gonic/gin"
)

// Keys look like
//
//	gincache:1:GET:example.com/spaces/123:limit=10&page=1:user_id=42
//
// prefix, key version, method, host immediately followed by the escaped
// path, the canonical query, the vary part. Every component is escaped
// (escape.go) so the ':' separators are unambiguous, and long components
// are replaced by a digest, so a key stays under about 1.5 KiB whatever the
// request.
const (
	maxHostLen  = 255
	maxPathLen  = 512
	pathKeep    = 128
	maxQueryLen = 512
	maxVaryLen  = 256
	// maxQueryPairs bounds the work spent on one query string; more
	// parameters than that and the request is not cached.
	maxQueryPairs = 256
)

// appendKey appends the entry key of the request to b.
func (c *Cache) appendKey(b []byte, rs *routeState, gc *gin.Context, scratch *scratch) ([]byte, skipReason) {
	req := gc.Request
	b = append(b, c.keyHead...)

	start := len(b)
	b = appendHost(b, req.Host)
	b = bound(b, start, maxHostLen, 0)

	start = len(b)
	b = appendPath(b, req.URL)
	b = bound(b, start, maxPathLen, pathKeep)

	b = append(b, ':')
	start = len(b)
	var reason skipReason
	scratch.memo = false
	if b, reason = appendQuery(b, req.URL.RawQuery, rs, scratch); reason != skipNone {
		return b, reason
	}
	scratch.qStart, scratch.qEnd = start, len(b)
	if len(b)-start > maxQueryLen {
		// bound replaces it by its digest: key[qStart:qEnd] will not hold
		// the canonical form a hit would remember.
		scratch.memo = false
	}
	b = bound(b, start, maxQueryLen, 0)

	b = append(b, ':')
	start = len(b)
	if b, reason = appendVary(b, rs, gc); reason != skipNone {
		return b, reason
	}
	return bound(b, start, maxVaryLen, 0), skipNone
}

// appendPath appends the escaped path (u.EscapedPath()) escaped again
// with pathSafe. A path with no RawPath whose bytes neither net/url nor
// pathSafe escapes, the common case, is its own escaped form: it is
// appended whole, without the two scans.
func appendPath(b []byte, u *url.URL) []byte {
	if u.RawPath == "" && plain(u.Path, pathPlain) {
		return append(b, u.Path...)
	}
	return appendEscaped(b, u.EscapedPath(), pathSafe)
}

// plain reports whether every byte of s is in set.
func plain(s string, set *byteSet) bool {
	for i := 0; i < len(s); i++ {
		if !set[s[i]] {
			return false
		}
	}
	return true
}

// appendHost appends the host in lower case (hosts are case-insensitive,
// so EXAMPLE.com and example.com share entries).
func appendHost(b []byte, host string) []byte {
	if plain(host, hostSafeLower) {
		return append(b, host...)
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if hostSafe[c] {
			b = append(b, c)
		} else {
			b = append(b, '%', upperhex[c>>4], upperhex[c&15])
		}
	}
	return b
}

// queryPair is one decoded query parameter.
type queryPair struct {
	name, value string
	plain       bool // both are their own key form (valueSafe bytes only)
}

// scratch is per-request working memory, pooled with the request state.
type scratch struct {
	pairs   []queryPair
	decoded []byte
	// memo: appendQuery computed the canonical query, key[qStart:qEnd],
	// and the route's memo may remember it (no credential parameter, a
	// raw query of at most maxMemoRaw bytes); serveGET does so on a hit,
	// and on a miss into a free slot.
	memo         bool
	qStart, qEnd int
	// parsed: appendQuery split a query into pairs, which release clears
	// (a query the memo answered writes none).
	parsed bool
}

// queryMemo remembers, per route, the canonical form of the raw queries
// its recent hits came with: the same URL requested again skips the
// split, decode, sort and re-encode of appendQuery. An entry is keyed on
// the exact raw query, and the canonical form depends on nothing else but
// the route's policy, which never changes, so a remembered form is the
// one appendQuery would compute. Hits are remembered (a query that hit is
// likely to come again), and a miss's query when its slot is free (a
// query shared by many paths, such as a page size, is canonicalised once
// however many of them miss; a miss never takes a slot over, so at most
// one allocation per slot goes to misses); never a query holding a
// credential parameter, nor one that was bypassed. Its size is fixed: a
// hit's query that finds its slot taken replaces the entry now and then
// (put).
type queryMemo struct {
	seed  maphash.Seed
	slots [querySlots]atomic.Pointer[memoEntry]
}

const (
	querySlots = 64
	maxMemoRaw = 256 // longer raw queries are not remembered
)

// memoEntry is a raw query, s[:n], and its canonical form, s[n:].
type memoEntry struct {
	s string
	n int
}

func newQueryMemo() *queryMemo { return &queryMemo{seed: maphash.MakeSeed()} }

func (m *queryMemo) slot(raw string) *atomic.Pointer[memoEntry] {
	return &m.slots[maphash.String(m.seed, raw)%querySlots]
}

// get returns the canonical form of raw if it is remembered.
func (m *queryMemo) get(raw string) (string, bool) {
	e := m.slot(raw).Load()
	if e == nil || e.n != len(raw) || e.s[:e.n] != raw {
		return "", false
	}
	return e.s[e.n:], true
}

// put remembers canon as raw's canonical form; both are copied. A slot
// another query holds is taken over one time in sixteen when takeOver
// is set (a hit), never otherwise (a miss): when more queries hit than
// there are slots, most hits then cost no allocation for it, and a query
// that keeps coming still gets its slot.
func (m *queryMemo) put(raw string, canon []byte, takeOver bool) {
	slot := m.slot(raw)
	if slot.Load() != nil && (!takeOver || rand.Uint32()%16 != 0) {
		return
	}
	slot.Store(&memoEntry{s: raw + string(canon), n: len(raw)})
}

// queryMarks classifies the bytes appendQuery's scan stops at: the
// separators, the escapes, ';', and the bytes valueSafe does not keep;
// every other byte is 0.
var queryMarks = func() (m [256]uint8) {
	for c := range m {
		if !valueSafe[c] {
			m[c] = qUnsafe
		}
	}
	m['&'], m['='], m['%'], m['+'], m[';'] = qAmp, qEq, qEscape, qEscape, qSemicolon
	return m
}()

const (
	qAmp = 1 + iota
	qEq
	qEscape
	qSemicolon
	qUnsafe
)

// appendQuery appends the canonical form of the raw query: parameters
// split on '&' (never through url.ParseQuery, which drops malformed pairs
// silently so ?a=1&b=%zz would share ?a=1's key), decoded, filtered by the
// policy's Query list, sorted by name then value, repeated ones kept, and
// re-encoded. A malformed query (bad escape, ';' separator, too many
// parameters) bypasses the cache.
func appendQuery(b []byte, raw string, rs *routeState, s *scratch) ([]byte, skipReason) {
	if raw == "" || rs.queryNone {
		return b, skipNone
	}
	memo := rs.qmemo != nil && len(raw) <= maxMemoRaw
	if memo {
		if canon, ok := rs.qmemo.get(raw); ok {
			return append(b, canon...), skipNone
		}
	}
	s.parsed = true
	pairs := s.pairs[:0]
	s.decoded = s.decoded[:0]
	// One pass per pair finds its end, its '=' and whether it needs
	// decoding; a ';' (which Go's own parser rejects) makes it malformed.
	for i := 0; i < len(raw); {
		// plain: nothing to decode and nothing to escape, so the pair goes
		// into the key as it is.
		start, eq, escaped, plain := i, -1, false, true
		for ; i < len(raw); i++ {
			m := queryMarks[raw[i]]
			if m == 0 {
				continue // most bytes: one load and one test
			}
			if m == qAmp {
				break
			}
			switch m {
			case qEq:
				if eq < 0 {
					eq = i
				} else {
					plain = false // a second '=' is escaped in the value
				}
			case qEscape:
				escaped, plain = true, false
			case qSemicolon:
				return b, skipQuery
			default: // qUnsafe
				plain = false
			}
		}
		part := raw[start:i]
		i++ // past '&'
		if part == "" {
			continue
		}
		rawName, rawValue := part, ""
		if eq >= 0 {
			rawName, rawValue = raw[start:eq], raw[eq+1:start+len(part)]
		}
		name, value := rawName, rawValue
		if escaped {
			var ok bool
			if name, ok = s.unescape(rawName); !ok {
				return b, skipQuery
			}
			if value, ok = s.unescape(rawValue); !ok {
				return b, skipQuery
			}
		}
		if rs.credQuery(name) {
			// A credential: never in a key; on a route whose key holds
			// no identity, it keeps the request out of the cache.
			if !rs.credFree {
				return b, skipAuth
			}
			memo = false // a credential is never kept in the memo
			continue
		}
		if rs.query != nil && !rs.queryAllowed(name) {
			continue
		}
		if len(pairs) == maxQueryPairs {
			return b, skipQuery
		}
		pairs = append(pairs, queryPair{name, value, plain})
	}
	s.pairs = pairs
	s.memo = memo
	if len(pairs) > 1 {
		sortPairs(pairs)
	}
	for i, p := range pairs {
		if i > 0 {
			b = append(b, '&')
		}
		if p.plain {
			b = append(b, p.name...)
			b = append(b, '=')
			b = append(b, p.value...)
			continue
		}
		b = appendEscaped(b, p.name, valueSafe)
		b = append(b, '=')
		b = appendEscaped(b, p.value, valueSafe)
	}
	return b, skipNone
}

func sortPairs(pairs []queryPair) {
	less := func(a, b queryPair) bool {
		return a.name < b.name || a.name == b.name && a.value < b.value
	}
	if len(pairs) <= 12 {
		for i := 1; i < len(pairs); i++ {
			for j := i; j > 0 && less(pairs[j], pairs[j-1]); j-- {
				pairs[j], pairs[j-1] = pairs[j-1], pairs[j]
			}
		}
		return
	}
	slices.SortFunc(pairs, func(a, b queryPair) int {
		if less(a, b) {
			return -1
		}
		if less(b, a) {
			return 1
		}
		return 0
	})
}

// unescape decodes a query component as url.QueryUnescape does ('+' is a
// space, %XX a byte) and reports false for a malformed escape. When there
// is nothing to decode it returns s itself; otherwise the result lives in
// s.decoded, which only grows during one request, so earlier results stay
// valid (a reallocation leaves them in the old array, which they keep
// alive).
func (s *scratch) unescape(in string) (string, bool) {
	if strings.IndexByte(in, '%') < 0 && strings.IndexByte(in, '+') < 0 {
		return in, true
	}
	start := len(s.decoded)
	for i := 0; i < len(in); i++ {
		switch c := in[i]; c {
		case '+':
			s.decoded = append(s.decoded, ' ')
		case '%':
			if i+2 >= len(in) || !ishex(in[i+1]) || !ishex(in[i+2]) {
				return "", false
			}
			s.decoded = append(s.decoded, unhex(in[i+1])<<4|unhex(in[i+2]))
			i += 2
		default:
			s.decoded = append(s.decoded, c)
		}
	}
	d := s.decoded[start:]
	return unsafe.String(unsafe.SliceData(d), len(d)), true
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// appendVary appends "label=value" for each vary source, joined by '&'. A
// missing or empty value (an empty identity must never be shared) skips
// the cache. Then come the keyed headers (WithKeyedHeaders) the request
// carries, each under its own label: a forwarding header a handler may
// render from (X-Forwarded-Host in an absolute URL) can then never poison
// the entry served to requests without it, or with another value. Labels
// are distinct and values escaped, so the list reads back one way only.
func appendVary(b []byte, rs *routeState, gc *gin.Context) ([]byte, skipReason) {
	first := true
	for i := range rs.vary {
		v := &rs.vary[i]
		if !first {
			b = append(b, '&')
		}
		first = false
		b = append(b, v.label...)
		b = append(b, '=')
		var ok bool
		start := len(b)
		switch v.kind {
		case varyContext:
			b, ok = appendContextValue(b, gc, v.name)
		case varyHeader:
			b, ok = appendHeaderValue(b, gc.Request.Header, v.name)
		case varyCookie:
			b, ok = appendCookieValue(b, gc.Request, v.name)
		}
		if !ok {
			return b, skipVary
		}
		if v.identity && v.kind != varyContext {
			// A credential (a bearer token, a session cookie) is never
			// readable in a key: it is replaced by its digest.
			b = digest(b, start)
		}
	}
	h := gc.Request.Header
	if len(h) == 0 {
		return b, skipNone
	}
	for i := range rs.keyed {
		v := &rs.keyed[i]
		if len(h[v.name]) == 0 {
			continue
		}
		if !first {
			b = append(b, '&')
		}
		first = false
		b = append(b, v.label...)
		b = append(b, '=')
		b, _ = appendHeaderValue(b, h, v.name)
	}
	return b, skipNone
}

func appendContextValue(b []byte, gc *gin.Context, name string) ([]byte, bool) {
	v, ok := gc.Get(name)
	if !ok || v == nil {
		return b, false
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case int:
		return strconv.AppendInt(b, int64(x), 10), true
	case int64:
		return strconv.AppendInt(b, x, 10), true
	case int32:
		return strconv.AppendInt(b, int64(x), 10), true
	case uint:
		return strconv.AppendUint(b, uint64(x), 10), true
	case uint64:
		return strconv.AppendUint(b, x, 10), true
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), true
	case interface{ String() string }:
		// A nil pointer (or map, slice, func) of a type with a String
		// method passes the v == nil test above; calling String on it
		// would panic or render "<nil>". It is missing.
		if isNilValue(x) {
			return b, false
		}
		s = x.String()
	default:
		// A value of a type we cannot render faithfully must not share an
		// entry by accident; treat it as missing.
		return b, false
	}
	if s == "" {
		return b, false
	}
	return appendEscaped(b, s, valueSafe), true
}

// isNilValue reports whether v holds a nil pointer, map, slice, func,
// channel or interface.
func isNilValue(v any) bool {
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface, reflect.UnsafePointer:
		return rv.IsNil()
	}
	return false
}

// appendHeaderValue appends every value of the header, joined by ','
// (escaped inside values). An absent header is missing; a present empty
// one is the value "".
func appendHeaderValue(b []byte, h http.Header, name string) ([]byte, bool) {
	vals, ok := h[name]
	if !ok || len(vals) == 0 {
		return b, false
	}
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendEscaped(b, v, valueSafe)
	}
	return b, true
}

// appendCookieValue appends the value of the named cookie, read exactly
// as net/http reads it (http.Request.Cookie, which gin's c.Cookie calls):
// the first valid cookie of that name, with the spaces around names
// trimmed and cookies with invalid values skipped. So the key always holds
// the value the handler sees: "lang =evil; lang=en" is keyed as evil, and
// a value net/http rejects (session=x"y) is absent, never a key. An empty
// value is missing too.
func appendCookieValue(b []byte, req *http.Request, name string) ([]byte, bool) {
	ck, err := req.Cookie(name)
	if err != nil || ck.Value == "" {
		return b, false
	}
	return appendEscaped(b, ck.Value, valueSafe), true
}
