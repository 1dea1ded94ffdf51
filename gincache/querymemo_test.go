package gincache

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memoKey builds the key of a GET of target on rs, then, as a hit does,
// lets the route's memo remember its query; it reports whether the query
// was one the memo may keep.
func memoKey(t *testing.T, c *Cache, rs *routeState, target string) (string, skipReason, bool) {
	return memoKeyAs(t, c, rs, target, true)
}

// memoKeyAs is memoKey as a hit (hit true) or a miss remembers.
func memoKeyAs(t *testing.T, c *Cache, rs *routeState, target string, hit bool) (string, skipReason, bool) {
	t.Helper()
	u, err := url.ParseRequestURI(target)
	require.NoError(t, err, "bad target %q", target)
	gc, _ := gin.CreateTestContext(httptest.NewRecorder())
	gc.Request = &http.Request{Method: "GET", URL: u, Host: "h", Header: http.Header{}}
	st := &reqState{}
	b, reason := c.appendKey(nil, rs, gc, &st.scratch)
	st.key = b
	kept := st.scratch.memo
	if reason == skipNone {
		st.remember(rs, u.RawQuery, hit)
	}
	return string(b), reason, kept
}

var memoQueries = []string{
	"page=1&limit=10", "limit=10&page=1", "page=2&limit=10", "a=%41", "a=A", "a=1+2", "a=1%202",
	"tag=b&tag=a", "tag=a&tag=b", "x", "x=", "&&x=1&", "a=%zz", "a=1;b=2", "q=%3A%26", "q=:&",
	"page=1&limit=10&access_token=s3cret", "utm_source=x&page=1", "é=ü", strings.Repeat("z=1&", 80) + "a=2",
	// short enough to remember, but its canonical form passes maxQueryLen
	// once escaped, so the key holds its digest
	"q=" + strings.Repeat("é", 100), "a=1&q=" + strings.Repeat("é", 100),
}

// TestQueryMemoAgreesWithAppendQuery: with the memo filled by earlier hits
// (many queries share each slot), every key is the one a route with an
// empty memo computes, and a skipped query stays skipped.
func TestQueryMemoAgreesWithAppendQuery(t *testing.T) {
	for _, p := range []Policy{{}, {Public: true}, {Query: []string{"page", "limit", "a"}}} {
		c := newKeyCache(t)
		rs := c.newRouteState("GET", "/x", &p)
		require.NotNil(t, rs.qmemo)
		for range 3 { // the second and third passes read what the first remembered
			for i := range 200 {
				q := memoQueries[i%len(memoQueries)]
				if i >= len(memoQueries) {
					q += "&n=" + strings.Repeat("9", i%7) // more queries than slots
				}
				target := "/x?" + q
				got, reason, _ := memoKey(t, c, rs, target)
				want, wantReason := keyFor(t, c, p, "h", target, nil)
				require.Equal(t, wantReason, reason, "%+v %q: skip reason", p, q)
				if reason == skipNone {
					require.Equal(t, want, got, "%+v %q: key", p, q)
				}
			}
		}
	}
}

// TestQueryMemoKeepsNoCredential: a query with a credential parameter (on
// a route where it is dropped from the key) is never remembered, and
// neither is a long one.
func TestQueryMemoKeepsNoCredential(t *testing.T) {
	c := newKeyCache(t)
	p := Policy{Public: true}
	rs := c.newRouteState("GET", "/x", &p)
	_, reason, kept := memoKey(t, c, rs, "/x?page=1&access_token=s3cret")
	require.Equal(t, skipNone, reason)
	assert.False(t, kept, "a query with a credential was remembered")
	_, _, kept = memoKey(t, c, rs, "/x?a="+strings.Repeat("1", maxMemoRaw))
	assert.False(t, kept, "a query longer than maxMemoRaw was remembered")
	for i := range rs.qmemo.slots {
		if e := rs.qmemo.slots[i].Load(); e != nil {
			assert.NotContains(t, e.s, "s3cret", "the memo holds a credential")
		}
	}
	_, _, kept = memoKey(t, c, rs, "/x?page=1&limit=10")
	assert.True(t, kept, "a plain query was not remembered")
	canon, ok := rs.qmemo.get("page=1&limit=10")
	assert.True(t, ok, "a remembered query is not found")
	assert.Equal(t, "limit=10&page=1", canon)

	none := c.newRouteState("GET", "/x", &Policy{Query: []string{}})
	assert.Nil(t, none.qmemo, "a route whose key holds no query has a memo")
}

// TestQueryMemoMissesTakeFreeSlotsOnly: a miss's query goes into a free
// slot, so a query shared by paths that all miss is canonicalised once;
// it never takes a slot over from another query, which a hit's does now
// and then.
func TestQueryMemoMissesTakeFreeSlotsOnly(t *testing.T) {
	c := newKeyCache(t)
	rs := c.newRouteState("GET", "/x", &Policy{})
	remember := func(q string, hit bool) {
		_, reason, _ := memoKeyAs(t, c, rs, "/x?"+q, hit)
		require.Equal(t, skipNone, reason, "query %q", q)
	}
	first := "page=1&limit=10"
	remember(first, false)
	canon, ok := rs.qmemo.get(first)
	require.True(t, ok, "a miss's query was not remembered in a free slot")
	require.Equal(t, "limit=10&page=1", canon)

	// Another query of the same slot.
	other := ""
	for i := 0; other == ""; i++ {
		if q := "n=" + strconv.Itoa(i); rs.qmemo.slot(q) == rs.qmemo.slot(first) {
			other = q
		}
	}
	for range 200 {
		remember(other, false)
	}
	_, ok = rs.qmemo.get(first)
	require.True(t, ok, "a miss took a slot over")
	_, ok = rs.qmemo.get(other)
	require.False(t, ok, "a miss took a slot over")
	for range 1000 { // taken over with probability 1-(15/16)^1000
		remember(other, true)
	}
	_, ok = rs.qmemo.get(other)
	require.True(t, ok, "hits never took their query's slot over")
}
