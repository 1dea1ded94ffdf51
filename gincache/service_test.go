package gincache

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/goleak"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/memory"
)

func TestNewRejectsNonsense(t *testing.T) {
	cases := []struct {
		name  string
		table Table
		opts  []Option
		want  string
	}{
		{"negative ttl", Table{{Method: "GET", Path: "/a", Policy: Policy{TTL: -time.Second}}}, nil, "negative TTL"},
		{"bad vary", Table{{Method: "GET", Path: "/a", Policy: Policy{Vary: []string{"header:"}}}}, nil, "vary"},
		{"unknown vary source", Table{{Method: "GET", Path: "/a", Policy: Policy{Vary: []string{"query:x"}}}}, nil, "unknown source"},
		{"ttl on a write", Table{{Method: "POST", Path: "/a", Policy: Policy{TTL: time.Second}}}, nil, "GET routes only"},
		{"invalidate on a GET", Table{{Method: "GET", Path: "/a", Policy: Policy{Invalidate: []string{"/b"}}}}, nil, "write routes"},
		{"target param missing", Table{{Method: "POST", Path: "/a/:id", Policy: Policy{Invalidate: []string{"/b/:other"}}}}, nil, "no parameter :other"},
		{"bad method", Table{{Method: "HEAD", Path: "/a"}}, nil, "method"},
		{"no path or handler", Table{{Method: "GET"}}, nil, "Path or a Handler"},
		{"duplicate", Table{get("/a", 0), get("/a", 0)}, nil, "twice"},
		{"zero size cap", nil, []Option{WithMaxResponseSize(0)}, "WithMaxResponseSize"},
		{"negative inflight cap", nil, []Option{WithMaxInflightBytes(-1)}, "WithMaxInflightBytes"},
		{"zero default ttl", nil, []Option{WithDefaultTTL(0)}, "WithDefaultTTL"},
		{"bad prefix", nil, []Option{WithKeyPrefix("a*b")}, "WithKeyPrefix"},
		{"empty prefix", nil, []Option{WithKeyPrefix("")}, "WithKeyPrefix"},
		{"nesting prefix", nil, []Option{WithKeyPrefix("app:v2")}, "WithKeyPrefix"},
		{"bad version", nil, []Option{WithKeyVersion("a b")}, "WithKeyVersion"},
		{"nil backend", nil, []Option{WithBackend(nil)}, "nil backend"},
		{"nil logger", nil, []Option{WithLogger(nil)}, "nil logger"},
		{"zero budget", nil, []Option{WithBudget(0)}, "WithBudget"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.table, tc.opts...)
			if err == nil {
				c.Close()
				t.Fatal("New accepted it")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
	// Every problem is reported at once.
	_, err := New(Table{{Method: "GET", Path: "/a", Policy: Policy{TTL: -1}}}, WithMaxResponseSize(-5), WithKeyPrefix(""))
	if err == nil || !strings.Contains(err.Error(), "TTL") || !strings.Contains(err.Error(), "WithMaxResponseSize") || !strings.Contains(err.Error(), "WithKeyPrefix") {
		t.Fatalf("want all three problems, got %v", err)
	}
}

func TestCloseStopsGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	c, err := New(Table{get("/a", time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(c.Middleware())
	r.GET("/a", func(c *gin.Context) { c.String(200, "a") })
	for range 3 {
		serve(r, "GET", "/a")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

func TestServiceFromContext(t *testing.T) {
	a := newTestApp(t, Table{get("/cached", time.Minute)})
	a.engine.Use(a.cache.Middleware())
	var seen []*Service
	record := func(c *gin.Context) { seen = append(seen, FromContext(c)); c.String(200, "x") }
	a.engine.GET("/cached", record)
	a.engine.GET("/plain", record)
	a.engine.POST("/write", record)
	outside := gin.New()
	outside.GET("/none", record)
	a.do("GET", "/cached")
	a.do("GET", "/plain")
	a.do("POST", "/write")
	a.do("GET", "/cached", "Cache-Control", "no-cache")
	serve(outside, "GET", "/none")
	if len(seen) != 5 {
		t.Fatalf("%d handler runs", len(seen))
	}
	for i, s := range seen[:4] {
		if s != a.cache.Service() {
			t.Errorf("run %d: FromContext = %v", i, s)
		}
	}
	if seen[4] != nil {
		t.Errorf("outside the middleware FromContext = %v, want nil", seen[4])
	}
}

func TestServiceGetSetDeleteKeys(t *testing.T) {
	a := newTestApp(t, nil)
	s := a.cache.Service()
	ctx := t.Context()
	if err := s.Set(ctx, "warm:greeting", []byte("hello"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Get(ctx, "warm:greeting"); err != nil || string(b) != "hello" {
		t.Fatalf("Get = %q, %v", b, err)
	}
	if _, err := s.Get(ctx, "warm:nothing"); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("Get of a missing key: %v", err)
	}
	for i := range 25 {
		if err := s.Set(ctx, fmt.Sprintf("page:%02d", i), []byte("x"), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	cursor := ""
	for {
		page, err := s.Keys(ctx, "page:*", cursor, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range page.Keys {
			if seen[k.Key] || !strings.HasPrefix(k.Key, "page:") || k.TTL <= 0 || k.TTL > time.Minute {
				t.Fatalf("bad listing entry %+v", k)
			}
			seen[k.Key] = true
		}
		if cursor = page.Cursor; cursor == "" {
			break
		}
	}
	if len(seen) != 25 {
		t.Fatalf("listed %d keys, want 25", len(seen))
	}
	if ok, err := s.Delete(ctx, "warm:greeting"); !ok || err != nil {
		t.Fatalf("Delete = %v, %v", ok, err)
	}
	if ok, _ := s.Delete(ctx, "warm:greeting"); ok {
		t.Fatal("second Delete reported a deletion")
	}
	if n, err := s.ClearPattern(ctx, "page:1*"); n != 10 || err != nil {
		t.Fatalf("ClearPattern = %d, %v", n, err)
	}
	if n, err := s.Clear(ctx); n != 15 || err != nil {
		t.Fatalf("Clear = %d, %v", n, err)
	}
	a.clock.Advance(2 * time.Minute)
	if err := s.Set(ctx, "short", []byte("x"), time.Second); err != nil {
		t.Fatal(err)
	}
	a.clock.Advance(2 * time.Second)
	if _, err := s.Get(ctx, "short"); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("expired manual entry: %v", err)
	}
}

func TestServiceRejectsBadInput(t *testing.T) {
	a := newTestApp(t, nil)
	s := a.cache.Service()
	ctx := t.Context()
	if _, err := s.Get(ctx, ""); !errors.Is(err, ErrBadKey) {
		t.Errorf("empty key: %v", err)
	}
	if err := s.Set(ctx, strings.Repeat("k", MaxKeyLen+1), nil, time.Second); !errors.Is(err, ErrBadKey) {
		t.Errorf("long key: %v", err)
	}
	if err := s.Set(ctx, "bad\xffkey", []byte("x"), time.Second); !errors.Is(err, ErrBadKey) {
		t.Errorf("key that is not UTF-8: %v", err)
	}
	if err := s.Set(ctx, "k", nil, 0); err == nil {
		t.Errorf("zero ttl accepted")
	}
	if _, err := s.Keys(ctx, strings.Repeat("*", MaxPatternLen+1), "", 10); !errors.Is(err, ErrBadPattern) {
		t.Errorf("long pattern: %v", err)
	}
	if _, err := s.Keys(ctx, "*", "", MaxPageSize+1); err == nil {
		t.Errorf("huge page accepted")
	}
	if err := s.Invalidate(ctx, "relative"); !errors.Is(err, ErrBadPath) {
		t.Errorf("relative path: %v", err)
	}
	if err := s.InvalidateWrite(ctx, "PUT", ""); !errors.Is(err, ErrBadPath) {
		t.Errorf("empty path: %v", err)
	}
}

// TestServiceClearStaysUnderPrefix: two caches with different prefixes
// share one backend; clearing one leaves the other.
func TestServiceClearStaysUnderPrefix(t *testing.T) {
	clock := newFakeClock()
	mem, _ := memory.New(memory.Options{Now: clock.Now})
	defer mem.Close()
	one, _ := New(nil, WithBackend(mem), WithKeyPrefix("one"), WithClock(clock.Now))
	two, _ := New(nil, WithBackend(mem), WithKeyPrefix("two"), WithClock(clock.Now))
	defer one.Close()
	defer two.Close()
	ctx := t.Context()
	one.Service().Set(ctx, "k", []byte("1"), time.Minute)
	two.Service().Set(ctx, "k", []byte("2"), time.Minute)
	mem.Store(ctx, "foreign", &backend.Entry{Status: 200}, time.Minute, backend.Tokens{})
	if n, err := one.Service().Clear(ctx); n != 1 || err != nil {
		t.Fatalf("Clear = %d, %v", n, err)
	}
	if b, err := two.Service().Get(ctx, "k"); err != nil || string(b) != "2" {
		t.Fatalf("the other prefix lost its key: %q %v", b, err)
	}
	if _, err := mem.Lookup(ctx, "foreign", backend.Tokens{}); err != nil {
		t.Fatalf("a foreign key was cleared: %v", err)
	}
	// A pattern cannot climb out of the prefix.
	if n, _ := one.Service().ClearPattern(ctx, "*two*"); n != 0 {
		t.Fatalf("pattern reached another prefix: %d", n)
	}
}

func TestServiceInvalidate(t *testing.T) {
	a, _ := hierarchyApp(t, nil)
	s := a.cache.Service()
	fillAll(t, a, hierarchyGETs)
	if err := s.Invalidate(t.Context(), "/spaces/1"); err != nil {
		t.Fatal(err)
	}
	if got := invalidated(t, a, hierarchyGETs); len(got) != 1 || got[0] != "/spaces/1" {
		t.Fatalf("exact target invalidated %v", got)
	}
	fillAll(t, a, hierarchyGETs)
	s.Invalidate(t.Context(), "/spaces/1/*")
	if got := invalidated(t, a, hierarchyGETs); strings.Join(got, " ") != "/spaces/1 /spaces/1/items /spaces/1/items/7 /spaces/1/items/8" {
		t.Fatalf("subtree target invalidated %v", got)
	}
	fillAll(t, a, hierarchyGETs)
	s.InvalidateWrite(t.Context(), "POST", "/spaces")
	if got := invalidated(t, a, hierarchyGETs); strings.Join(got, " ") != "/ /spaces" {
		t.Fatalf("InvalidateWrite POST invalidated %v", got)
	}
	if st := s.Stats(); st.Invalidations != 3 {
		t.Fatalf("service invalidations counted %d", st.Invalidations)
	}
}

func TestStatsAndReset(t *testing.T) {
	a, _ := hierarchyApp(t, nil)
	a.do("GET", "/spaces")
	a.do("GET", "/spaces")
	a.do("GET", "/spaces", "Cache-Control", "no-cache")
	a.do("PUT", "/spaces/1")
	st := a.cache.Service().Stats()
	if st.Hits != 1 || st.Misses != 1 || st.Stores != 1 || st.Skips["no-cache"] != 1 || st.Invalidations != 1 || st.HitRate != 0.5 {
		t.Fatalf("stats %+v", st)
	}
	var found bool
	for _, r := range st.Routes {
		if r.Method == "GET" && r.Route == "/spaces" {
			found = true
			if r.Hits != 1 || r.Misses != 1 || r.Skips["no-cache"] != 1 {
				t.Fatalf("route stats %+v", r)
			}
		}
	}
	if !found {
		t.Fatalf("no route stats for GET /spaces: %+v", st.Routes)
	}
	a.cache.Service().ResetStats()
	if st := a.cache.Service().Stats(); st.Hits+st.Misses+st.Invalidations+st.Stores != 0 || len(st.Skips) != 0 {
		t.Fatalf("after reset %+v", st)
	}
}

func TestHealth(t *testing.T) {
	a := newTestApp(t, nil)
	h := a.cache.Service().Health(t.Context())
	if !h.OK || h.Backend != "memory" || !h.ServingHits || h.Error != "" {
		t.Fatalf("health %+v", h)
	}
	a.mem.Close()
	if h := a.cache.Service().Health(t.Context()); h.OK || h.Error == "" {
		t.Fatalf("health of a closed backend %+v", h)
	}
}

func TestCheckRoutes(t *testing.T) {
	h1 := func(c *gin.Context) {}
	r := gin.New()
	r.GET("/items", h1)
	r.GET("/moved", listHandler)
	name := nameOf(t, listHandler)

	c, _ := New(Table{{Method: "GET", Path: "/items"}})
	defer c.Close()
	if err := c.CheckRoutes(r.Routes()); err != nil {
		t.Fatalf("matching table: %v", err)
	}
	c2, _ := New(Table{{Method: "GET", Path: "/gone"}, {Method: "GET", Path: "/list", Handler: name}})
	defer c2.Close()
	err := c2.CheckRoutes(r.Routes())
	if err == nil || !strings.Contains(err.Error(), "GET /gone: no such route") ||
		!strings.Contains(err.Error(), "registered at GET /moved") {
		t.Fatalf("drift not reported: %v", err)
	}
	c3, _ := New(Table{{Method: "GET", Handler: "pkg.missing"}})
	defer c3.Close()
	if err := c3.CheckRoutes(r.Routes()); err == nil || !strings.Contains(err.Error(), "pkg.missing") {
		t.Fatalf("handler-only policy with no route: %v", err)
	}
}

func listHandler(c *gin.Context) { c.String(200, "list") }
