package gincache

import (
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// blockingApp's GET handler counts its runs and blocks until released.
type blockingApp struct {
	*testApp
	runs    *counter
	release chan struct{}
	mu      sync.Mutex
	version int
}

func newBlockingApp(t *testing.T, edit func(c *gin.Context, run int)) *blockingApp {
	a := &blockingApp{testApp: newTestApp(t, Table{get("/doc", time.Hour)}), runs: &counter{}, release: make(chan struct{}), version: 1}
	a.engine.Use(a.cache.Middleware())
	a.engine.GET("/doc", func(c *gin.Context) {
		run := a.runs.inc()
		a.mu.Lock()
		v, rel := a.version, a.release
		a.mu.Unlock()
		<-rel
		if edit != nil {
			edit(c, run)
		}
		c.String(200, "v%d run%d", v, run)
	})
	a.engine.PUT("/doc", func(c *gin.Context) {
		a.mu.Lock()
		a.version++
		a.mu.Unlock()
		c.String(200, "ok")
	})
	return a
}

func (a *blockingApp) getMany(n int) <-chan response {
	out := make(chan response, n)
	for range n {
		go func() { out <- a.do("GET", "/doc") }()
	}
	return out
}

func TestHundredConcurrentMissesRunOnce(t *testing.T) {
	a := newBlockingApp(t, nil)
	results := a.getMany(100)
	testutil.WaitFor(t, "99 waiters", func() bool { return a.runs.get() == 1 && a.cache.flights.waiting() == 99 })
	close(a.release)
	collapsed := 0
	for range 100 {
		r := <-results
		require.Equal(t, "v1 run1", r.body)
		require.Equal(t, "MISS", r.xcache(), r.String())
		if r.header.Get("Cache-Status") == "gincache; fwd=miss; collapsed" {
			collapsed++
		}
	}
	require.Equal(t, 1, a.runs.get(), "handler ran %d times; %d collapsed", a.runs.get(), collapsed)
	require.Equal(t, 99, collapsed, "handler ran %d times; %d collapsed", a.runs.get(), collapsed)
	r := a.do("GET", "/doc")
	require.Equal(t, "HIT", r.xcache(), r.String())
}

// TestRequestAfterWriteDoesNotJoinEarlierFill: a fill began, a write
// completed, then a new request came: it must run the handler itself and
// see the write.
func TestRequestAfterWriteDoesNotJoinEarlierFill(t *testing.T) {
	a := newBlockingApp(t, nil)
	first := a.getMany(1)
	testutil.WaitFor(t, "the first fill", func() bool { return a.runs.get() == 1 })
	a.do("PUT", "/doc")
	// Later requests must not wait on the old flight; give them their own
	// release so the old one can stay blocked.
	a.mu.Lock()
	oldRelease := a.release
	a.release = make(chan struct{})
	close(a.release)
	a.mu.Unlock()
	r := a.do("GET", "/doc")
	require.Equal(t, "v2 run2", r.body, "request after the write got %q (%s)", r.body, r.xcache())
	close(oldRelease)
	old := <-first
	require.Equal(t, "v1 run1", old.body, "first request")
	// The old fill overlapped the write: it was not stored over the new one.
	r = a.do("GET", "/doc")
	require.Equal(t, "v2 run2", r.body, "after both")
}

// TestUnstoredResultNotShared: when the leader's response is not stored
// (here it sets a cookie), each waiter runs the handler for itself and
// never receives the leader's response.
func TestUnstoredResultNotShared(t *testing.T) {
	a := newBlockingApp(t, func(c *gin.Context, run int) {
		c.SetCookie("session", fmt.Sprintf("secret-%d", run), 60, "/", "", false, true)
	})
	results := a.getMany(10)
	testutil.WaitFor(t, "9 waiters", func() bool { return a.runs.get() == 1 && a.cache.flights.waiting() == 9 })
	close(a.release)
	seen := map[string]bool{}
	for range 10 {
		r := <-results
		cookie := r.header.Get("Set-Cookie")
		require.False(t, seen[cookie], "two requests received the same cookie %q", cookie)
		seen[cookie] = true
	}
	require.Equal(t, 10, a.runs.get(), "handler ran %d times", a.runs.get())
}

func TestLeaderPanicReleasesWaiters(t *testing.T) {
	a := &blockingApp{testApp: newTestApp(t, Table{get("/doc", time.Hour)}), runs: &counter{}, release: make(chan struct{})}
	// Recovery sits outside the cache, as in gin.Default().
	a.engine.Use(gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, _ any) { c.AbortWithStatus(500) }), a.cache.Middleware())
	a.engine.GET("/doc", func(c *gin.Context) {
		run := a.runs.inc()
		<-a.release
		if run == 1 {
			panic("leader fails")
		}
		c.String(200, "run%d", run)
	})
	results := a.getMany(5)
	testutil.WaitFor(t, "4 waiters", func() bool { return a.runs.get() == 1 && a.cache.flights.waiting() == 4 })
	close(a.release)
	ok := 0
	for range 5 {
		if r := <-results; r.status == 200 {
			ok++
		}
	}
	require.Equal(t, 4, ok, "%d waiters answered, in flight %d", ok, a.cache.inflight.Load())
	require.Equal(t, int64(0), a.cache.inflight.Load(), "%d waiters answered, in flight %d", ok, a.cache.inflight.Load())
}

// lead registers a copy of the key it is given: a stale hit passes a view
// of its request's pooled buffer, which the next request overwrites while
// the refresh the hit started still runs. Were the view registered, the
// map would hold the next request's bytes under the first key's hash, and
// a second stale hit of the first key would start a second refresh.
func TestFlightLeadKeepsACopyOfItsKey(t *testing.T) {
	var g flightGroup
	buf := []byte("gincache:v1:GET:example.com:/doc\x00tokens..")
	f, fk, lead := g.lead(unsafeString(buf))
	require.True(t, lead, "the first lead")
	require.Equal(t, string(buf), fk)
	copy(buf, "gincache:v1:GET:example.com:/other\x00tokens")
	_, _, again := g.lead("gincache:v1:GET:example.com:/doc\x00tokens..")
	require.False(t, again, "a second lead of the key while its flight runs, after the caller's buffer was reused")
	_, _, other := g.lead(string(buf))
	require.True(t, other, "the lead of the key the buffer now holds")
	g.finish(fk, f, nil)
	_, _, after := g.lead("gincache:v1:GET:example.com:/doc\x00tokens..")
	require.True(t, after, "a lead once the flight has finished")
}

// publish hands the entry to the flight's waiters and to every request
// that joins it afterwards, before the flight ends; finish then only takes
// it out of the map (the store after the response refused the entry here:
// the waiters keep what they were given) and does not recycle a flight
// someone joined.
func TestFlightPublishBeforeFinish(t *testing.T) {
	var g flightGroup
	const fk = "gincache:v1:GET:example.com:/doc\x00tokens.."
	f, _, leader, _ := g.join(fk)
	require.True(t, leader, "the first join leads")
	wf, done, leader, ready := g.join(fk)
	require.Same(t, f, wf)
	require.False(t, leader || ready, "the second join waits")
	e := &backend.Entry{Status: 200, Body: []byte("doc")}
	g.publish(f, e)
	select {
	case <-done:
	default:
		t.Fatal("publish did not release the waiter")
	}
	require.Same(t, e, wf.entry, "the waiter's entry")
	rf, done, leader, ready := g.join(fk)
	require.True(t, ready && !leader, "a join after publish is served at once")
	require.Same(t, e, rf.entry, "the entry of a join after publish")
	<-done // closed: nothing to wait for
	g.finish(fk, f, nil)
	require.Same(t, e, rf.entry, "the entry after finish: the flight is not recycled")
	_, _, leader, _ = g.join(fk)
	require.True(t, leader, "a join once the flight has finished leads a new one")
}
