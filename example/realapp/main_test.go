package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

type result struct {
	status int
	header http.Header
	body   string
}

type server struct {
	t     *testing.T
	url   string
	cache *gincache.Cache
	db    *db
	clock *testutil.Clock
}

func start(t *testing.T) *server {
	gin.SetMode(gin.TestMode)
	d := &db{version: 1}
	clk := testutil.NewClock()
	r, cache, err := newEngine(d, gincache.WithClock(clk.Now))
	require.NoError(t, err)
	t.Cleanup(func() { cache.Close() })
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &server{t: t, url: srv.URL, cache: cache, db: d, clock: clk}
}

// get sends a GET with header name, value pairs and reads the whole body.
func (s *server) get(path string, hdr ...string) result {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	require.NoError(s.t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(s.t, err)
	return result{res.StatusCode, res.Header, string(body)}
}

// edit changes the database under its lock.
func (s *server) edit(f func(d *db)) {
	s.db.mu.Lock()
	f(s.db)
	s.db.mu.Unlock()
}

func (s *server) setDown(down bool) { s.edit(func(d *db) { d.down = down }) }

// settled waits until the cache has finished the refreshes and fills
// under way: its counters say what each request's work came to.
func (s *server) settled(outcomes uint64) {
	s.t.Helper()
	require.Eventually(s.t, func() bool {
		st := s.cache.Service().Stats()
		var n uint64 = st.Stores
		for _, v := range st.NotStored {
			n += v
		}
		return n >= outcomes
	}, 20*time.Second, time.Millisecond)
}

// A failed request is answered by the error middleware and never cached.
func TestErrorsAreNeverCached(t *testing.T) {
	s := start(t)
	s.setDown(true)
	r := s.get("/report")
	assert.Equal(t, 500, r.status)
	assert.JSONEq(t, `{"error":"database unavailable"}`, r.body)
	assert.Equal(t, "gincache; fwd=miss; detail=handler-error", r.header.Get("Cache-Status"))
	s.setDown(false)
	r = s.get("/report")
	assert.Equal(t, "report v1", r.body)
	assert.Equal(t, "MISS", r.header.Get("X-Cache"))
	r = s.get("/report")
	assert.Equal(t, "report v1", r.body)
	assert.Equal(t, "HIT", r.header.Get("X-Cache"))
}

// Past its TTL, a failing refresh leaves the last good body served whole;
// the refresh that succeeds replaces it.
func TestStaleIfErrorServesLastGoodBody(t *testing.T) {
	s := start(t)
	require.Equal(t, "report v1", s.get("/report").body)
	s.settled(1)
	s.clock.Advance(15 * time.Second)
	s.setDown(true)
	for i := range 3 {
		r := s.get("/report", "Origin", "https://app.example")
		assert.Equal(t, 200, r.status)
		assert.Equal(t, "report v1", r.body, "request %d", i)
		assert.Equal(t, "9", r.header.Get("Content-Length"))
		assert.Equal(t, "STALE", r.header.Get("X-Cache"))
		assert.Equal(t, "https://app.example", r.header.Get("Access-Control-Allow-Origin"))
		s.settled(uint64(2 + i)) // the failed refresh: not stored
	}
	s.setDown(false)
	s.edit(func(d *db) { d.version = 2 })
	assert.Equal(t, "report v1", s.get("/report").body)
	s.settled(5)
	r := s.get("/report")
	assert.Equal(t, "report v2", r.body)
	assert.Equal(t, "HIT", r.header.Get("X-Cache"))
}

// The client whose request starts a refresh reads its whole stale body
// while the refresh is still held by the database.
func TestStaleClientReadsWholeBodyBeforeRefreshEnds(t *testing.T) {
	s := start(t)
	require.Equal(t, "report v1", s.get("/report").body)
	s.settled(1)
	s.clock.Advance(15 * time.Second)
	gate := make(chan struct{})
	s.edit(func(d *db) { d.gate, d.version = gate, 2 })
	r := s.get("/report") // returns while the refresh waits on the gate
	assert.Equal(t, "report v1", r.body)
	assert.Equal(t, "STALE", r.header.Get("X-Cache"))
	assert.Equal(t, "9", r.header.Get("Content-Length"))
	assert.Zero(t, s.cache.Service().Stats().Stores-1, "the refresh ended before its client had its answer")
	s.edit(func(d *db) { d.gate = nil })
	close(gate)
	s.settled(2)
	assert.Equal(t, "report v2", s.get("/report").body)
}

// Users never get each other's page, and a cookie the handler reads one
// way is never keyed another way.
func TestNoCrossUserOrCookiePoisoning(t *testing.T) {
	s := start(t)
	for range 2 {
		for _, u := range []string{"alice", "bob"} {
			r := s.get("/me", "Authorization", "Bearer "+u)
			assert.Equal(t, "page of "+u, r.body)
		}
	}
	assert.Equal(t, "HIT", s.get("/me", "Authorization", "Bearer alice").header.Get("X-Cache"))
	r := s.get("/me")
	assert.Equal(t, 401, r.status, "an anonymous caller got %q", r.body)

	assert.Equal(t, "catalog in evil", s.get("/catalog", "Cookie", "lang =evil; lang=en").body)
	assert.Equal(t, "catalog in en", s.get("/catalog", "Cookie", "lang=en").body)
	r = s.get("/catalog", "Cookie", `lang=x"y`)
	assert.Equal(t, "catalog in en", r.body)
	assert.Equal(t, "SKIP", r.header.Get("X-Cache"))
	assert.True(t, strings.HasSuffix(r.header.Get("Cache-Status"), "detail=vary-missing"))
}
