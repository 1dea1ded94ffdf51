package gincache

import (
	"io"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

// staleApp caches GET /doc for 10 s with 60 s of stale window; the handler
// answers with the current version, or fails as told.
type staleApp struct {
	*testApp
	runs    *counter
	version int
	mode    string // "", "500", "panic", "block"
	release chan struct{}
	entered chan struct{}
}

func newStaleApp(t *testing.T) *staleApp {
	a := &staleApp{
		testApp: newTestApp(t, Table{{Method: "GET", Path: "/doc", Policy: Policy{TTL: 10 * time.Second, Stale: time.Minute}}}),
		runs:    &counter{}, version: 1, release: make(chan struct{}), entered: make(chan struct{}, 10),
	}
	a.engine.Use(gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, _ any) { c.AbortWithStatus(500) }), a.cache.Middleware())
	a.engine.GET("/doc", func(c *gin.Context) {
		a.runs.inc()
		switch a.mode {
		case "500":
			c.String(500, "broken")
			return
		case "panic":
			panic("refresh fails")
		case "block":
			a.entered <- struct{}{}
			<-a.release
		}
		c.String(200, "v%d", a.version)
	})
	a.engine.PUT("/doc", func(c *gin.Context) { a.version++; c.String(200, "ok") })
	return a
}

// settled waits until the handler has run n times and no refresh is under
// way.
func (a *staleApp) settled(t *testing.T, n int) {
	t.Helper()
	waitFor(t, "the refresh to end", func() bool { return a.runs.get() >= n && a.cache.flights.active() == 0 })
}

func TestStaleWhileRevalidate(t *testing.T) {
	a := newStaleApp(t)
	expect(t, a.do("GET", "/doc"), "MISS")
	a.version = 2 // changed behind the cache's back; the TTL is what bounds it
	a.clock.Advance(15 * time.Second)
	r := a.do("GET", "/doc")
	expect(t, r, "STALE")
	if r.body != "v1" || r.header.Get("Cache-Status") != "gincache; hit; fwd=stale" || r.header.Get("Age") != "15" {
		t.Fatalf("stale response %q %v", r.body, r.header)
	}
	a.settled(t, 2) // the refresh runs in the background
	r = a.do("GET", "/doc")
	expect(t, r, "HIT")
	if r.body != "v2" {
		t.Fatalf("after the refresh got %q", r.body)
	}
	a.clock.Advance(80 * time.Second) // past TTL and stale window
	expect(t, a.do("GET", "/doc"), "MISS")
	if st := a.cache.Service().Stats(); st.Stale != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestStaleIfError(t *testing.T) {
	for _, mode := range []string{"500", "panic"} {
		t.Run(mode, func(t *testing.T) {
			a := newStaleApp(t)
			expect(t, a.do("GET", "/doc"), "MISS")
			a.clock.Advance(15 * time.Second)
			a.mode = mode
			for i := range 3 {
				r := a.do("GET", "/doc")
				expect(t, r, "STALE")
				if r.status != 200 || r.body != "v1" {
					t.Fatalf("request %d: %d %q; the failed refresh must not reach the client", i, r.status, r.body)
				}
				a.settled(t, 2+i) // each stale request retries the refresh
			}
			a.mode = ""
			expect(t, a.do("GET", "/doc"), "STALE") // this one refreshes
			a.settled(t, 5)
			expect(t, a.do("GET", "/doc"), "HIT")
		})
	}
}

func TestInvalidatedEntryNeverServedStale(t *testing.T) {
	a := newStaleApp(t)
	expect(t, a.do("GET", "/doc"), "MISS")
	a.clock.Advance(15 * time.Second)
	a.do("PUT", "/doc")
	r := a.do("GET", "/doc")
	expect(t, r, "MISS")
	if r.body != "v2" {
		t.Fatalf("got %q", r.body)
	}
}

// TestOneRefreshPerKey: while one request refreshes, the others get the
// stale entry at once, without waiting, and the handler runs once.
func TestOneRefreshPerKey(t *testing.T) {
	a := newStaleApp(t)
	expect(t, a.do("GET", "/doc"), "MISS")
	a.clock.Advance(15 * time.Second)
	a.mode = "block"
	// The refresher's client gets its stale answer before the refresh runs.
	first := make(chan response)
	go func() { first <- a.do("GET", "/doc") }()
	<-a.entered
	for range 5 {
		r := a.do("GET", "/doc")
		expect(t, r, "STALE")
		if r.body != "v1" {
			t.Fatalf("got %q", r.body)
		}
	}
	a.version = 3
	close(a.release)
	expect(t, <-first, "STALE")
	a.settled(t, 2)
	if a.runs.get() != 2 {
		t.Fatalf("handler ran %d times", a.runs.get())
	}
	r := a.do("GET", "/doc")
	expect(t, r, "HIT")
	if r.body != "v3" {
		t.Fatalf("after refresh got %q", r.body)
	}
}

// TestStaleRefresherClientGetsAnswerBeforeRefresh: the refresher's client
// holds the whole stale response while the handler still runs.
func TestStaleRefresherClientGetsAnswerBeforeRefresh(t *testing.T) {
	a := newStaleApp(t)
	expect(t, a.do("GET", "/doc"), "MISS")
	a.clock.Advance(15 * time.Second)
	a.mode = "block"
	res, err := testClient.Get(a.url("/doc"))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, 2))
	if err != nil || string(body) != "v1" || res.Header.Get("X-Cache") != "STALE" {
		t.Fatalf("%q %v %v", body, err, res.Header)
	}
	<-a.entered // the refresh is running, the client already has v1
	close(a.release)
	res.Body.Close()
}
