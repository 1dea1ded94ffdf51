package gincache

import (
	"math/rand/v2"
	"net/http"
	"net/textproto"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Entries of a route whose stored header fields are equal share one
// slice of them; the ETag, which differs, is kept apart. A response with
// other fields gets a set of its own, and the sets the route remembers
// stay bounded.
func TestEntriesShareHeaderFields(t *testing.T) {
	rs := &routeState{ttl: time.Hour}
	now := time.Now()
	build := func(extra ...string) http.Header {
		h := http.Header{"Content-Type": {"application/json"}, "Date": {"today"}}
		for i := 0; i+1 < len(extra); i += 2 {
			h.Set(extra[i], extra[i+1])
		}
		return h
	}
	a := rs.newEntry(200, build(), []byte("a"), now, nil)
	b := rs.newEntry(200, build(), []byte("b"), now, nil)
	require.Len(t, a.Header, 1, "fields of a: %v", a.Header)
	assert.Equal(t, "Content-Type", a.Header[0].Name)
	assert.Same(t, &a.Header[0], &b.Header[0], "equal fields are not shared")
	assert.NotEqual(t, a.ETag, b.ETag)
	assert.Equal(t, []string{a.ETag}, a.ETagValues())
	assert.Equal(t, []string{b.ETag}, b.ETagValues())
	for _, f := range a.Header {
		assert.Len(t, f.Values, cap(f.Values), "values of %s: len != cap", f.Name)
	}

	c := rs.newEntry(200, build("X-Other", "1"), []byte("c"), now, nil)
	require.Len(t, c.Header, 2, "fields of c: %v", c.Header)
	assert.Equal(t, []string{"Content-Type", "X-Other"}, []string{c.Header[0].Name, c.Header[1].Name})
	assert.NotSame(t, &a.Header[0], &c.Header[0], "other fields were given a's set")

	// Past Content-Length's threshold the length is among the fields.
	big := make([]byte, autoLengthLimit+1)
	d := rs.newEntry(200, build(), big, now, nil)
	require.Len(t, d.Header, 2, "fields of d: %v", d.Header)
	assert.Equal(t, "Content-Length", d.Header[0].Name)
	assert.Equal(t, []string{strconv.Itoa(len(big))}, d.Header[0].Values)

	for i := range 3 * maxHeaderSets {
		rs.newEntry(200, build("X-N", strconv.Itoa(i)), []byte("x"), now, nil)
		require.LessOrEqual(t, len(rs.headers.sets), maxHeaderSets, "sets remembered")
	}
	// A handler-set ETag is the entry's, not a field.
	e := rs.newEntry(200, build("Etag", `"mine"`), []byte("e"), now, nil)
	assert.Equal(t, `"mine"`, e.ETag)
	for _, f := range e.Header {
		assert.NotEqual(t, "Etag", f.Name, "the ETag is among the fields")
	}
}

// canonicalKey gives what textproto.CanonicalMIMEHeaderKey gives, for
// canonical names, names in any case, and names with bytes a field name
// may not hold.
func TestCanonicalKeyAgreesWithTextproto(t *testing.T) {
	names := []string{"", "a", "A", "-", "--", "Content-Type", "content-type", "CONTENT-TYPE", "Content-type",
		"X-Cache", "x-cache", "Etag", "ETag", "etag", "X-Request-Id", "X-Request-ID", "Www-Authenticate",
		"Foo Bar", "foo bar", "Foo_bar", "foo_bar", "Ünïcode", "a-b-c", "A-B-C", "-x", "x-", "1a", "1A", "A1b", "a1B"}
	const alphabet = "aAzZ-_ 1é\x00:"
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		names = append(names, string(b))
	}
	for _, n := range names {
		require.Equal(t, textproto.CanonicalMIMEHeaderKey(n), canonicalKey(n), "canonicalKey(%q)", n)
	}
}
