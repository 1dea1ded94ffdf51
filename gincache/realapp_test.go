package gincache

// Tests of record for issue 13: the cache inside the arrangement real Gin
// applications use, through a real engine over real HTTP. Recovery
// outermost, then an error middleware that writes the 500 after c.Next()
// when a handler did c.Error(err); return, gin-contrib/cors, an auth
// middleware, and the cache.

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// errorJSON is the error middleware of real apps: it runs outside the
// cache and, after the chain, turns c.Errors into a 500. Like many, it
// does not look at whether something was written already.
func errorJSON(c *gin.Context) {
	c.Next()
	if len(c.Errors) > 0 {
		c.JSON(http.StatusInternalServerError, gin.H{"error": c.Errors.Last().Error()})
	}
}

// corsMW is gin-contrib/cors for one allowed origin: it sets Vary: Origin
// on every cross-origin response, before the chain runs.
func corsMW() gin.HandlerFunc {
	return cors.New(cors.Config{AllowOrigins: []string{"https://app.example"}, AllowMethods: []string{"GET", "PUT"}})
}

const appOrigin = "https://app.example"

// bearerUser sets user_id from "Authorization: Bearer <name>" when there
// is one; anonymous callers go on without it.
func bearerUser(c *gin.Context) {
	if u, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer "); ok && u != "" {
		c.Set("user_id", u)
	}
	c.Next()
}

// realEngine is the outer part of a real app: Recovery, the error
// middleware and CORS, in that order.
func realEngine(a *testApp) {
	a.engine.Use(gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, _ any) { c.AbortWithStatus(500) }), errorJSON, corsMW())
}

// Defect 1: a handler that fails with c.Error(err); return leaves the
// response unwritten; the error middleware outside writes the 500. That
// response must never be stored, nor replayed to anyone.
func TestRealAppFailedRequestIsNeverStored(t *testing.T) {
	a := newTestApp(t, Table{get("/items", time.Hour)})
	realEngine(a)
	fail := true
	a.engine.GET("/items", a.cache.Middleware(), func(c *gin.Context) {
		if fail {
			_ = c.Error(errors.New("db down"))
			return
		}
		c.String(200, "items")
	})
	r := a.do("GET", "/items")
	assert.Equal(t, 500, r.status)
	assert.JSONEq(t, `{"error":"db down"}`, r.body)
	assert.NotContains(t, r.header.Get("Cache-Status"), "stored", "an unwritten response was reported stored")

	fail = false
	r = a.do("GET", "/items")
	assert.Equal(t, 200, r.status)
	assert.Equal(t, "items", r.body, "the failed request's empty response was served (X-Cache %s)", r.xcache())
	assert.Equal(t, "MISS", r.xcache())
	r = a.do("GET", "/items")
	require.Equal(t, "HIT", r.xcache(), r.String())
}

// Defect 1, waiters: concurrent requests of one key joined to a leader
// whose handler failed each run the handler for themselves.
func TestRealAppFailedLeaderIsNotHandedToWaiters(t *testing.T) {
	a := newTestApp(t, Table{get("/items", time.Hour)})
	realEngine(a)
	const n = 4
	entered := make(chan struct{}, n)
	release := make(chan struct{})
	a.engine.GET("/items", a.cache.Middleware(), func(c *gin.Context) {
		entered <- struct{}{}
		<-release
		_ = c.Error(errors.New("db down"))
	})
	a.url("/")
	var wg sync.WaitGroup
	results := make([]response, n)
	results[0] = response{}
	wg.Add(1)
	go func() { defer wg.Done(); results[0] = a.do("GET", "/items") }()
	<-entered // the leader runs the handler
	for i := 1; i < n; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); results[i] = a.do("GET", "/items") }()
	}
	testutil.WaitFor(t, "the waiters to join the leader", func() bool { return a.cache.flights.waiting() == n-1 })
	close(release)
	wg.Wait()
	for i, r := range results {
		assert.Equal(t, 500, r.status, "request %d: %q (X-Cache %s)", i, r.body, r.xcache())
	}
}

// staleRealApp caches GET /doc for 10 s with a minute of stale window,
// inside the real arrangement; the handler fails with c.Error when told.
type staleRealApp struct {
	*testApp
	mu      sync.Mutex
	version int
	mode    string // "", "error", "nothing", "500", "panic", "block"
	runs    int
	entered chan struct{}
	release chan struct{}
}

func newStaleRealApp(t *testing.T) *staleRealApp {
	a := &staleRealApp{
		testApp: newTestApp(t, Table{{Method: "GET", Path: "/doc", Policy: Policy{TTL: 10 * time.Second, Stale: time.Minute}}}),
		version: 1, entered: make(chan struct{}, 10), release: make(chan struct{}),
	}
	realEngine(a.testApp)
	a.engine.GET("/doc", a.cache.Middleware(), func(c *gin.Context) {
		a.mu.Lock()
		a.runs++
		mode, v := a.mode, a.version
		a.mu.Unlock()
		switch mode {
		case "error":
			_ = c.Error(errors.New("db down"))
			return
		case "nothing":
			return
		case "500":
			c.String(500, "broken")
			return
		case "panic":
			panic("refresh fails")
		case "block":
			a.entered <- struct{}{}
			<-a.release
		}
		c.String(200, "v%d", v)
	})
	return a
}

func (a *staleRealApp) set(mode string, version int) {
	a.mu.Lock()
	a.mode, a.version = mode, version
	a.mu.Unlock()
}

func (a *staleRealApp) handlerRuns() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.runs
}

// Defect 2: the refresh of a stale entry fails with c.Error. The client
// gets the stale body intact (nothing appended by the error middleware),
// and the entry stays: stale-if-error.
func TestRealAppStaleRefreshFailureKeepsEntry(t *testing.T) {
	for _, mode := range []string{"error", "nothing", "500", "panic"} {
		t.Run(mode, func(t *testing.T) {
			a := newStaleRealApp(t)
			r := a.do("GET", "/doc")
			require.Equal(t, "MISS", r.xcache(), r.String())
			a.clock.Advance(15 * time.Second)
			a.set(mode, 2)
			for i := range 3 {
				r := a.do("GET", "/doc")
				require.Equal(t, 200, r.status, "request %d", i)
				require.Equal(t, "v1", r.body, "request %d got a damaged stale body (X-Cache %s)", i, r.xcache())
				require.Equal(t, "STALE", r.xcache(), "request %d", i)
				a.waitRefresh(t, 2+i)
			}
			a.set("", 3)
			r = a.do("GET", "/doc")
			require.Equal(t, "STALE", r.xcache(), r.String())
			a.waitRefresh(t, 5)
			r = a.do("GET", "/doc")
			require.Equal(t, "HIT", r.xcache(), r.String())
			assert.Equal(t, "v3", r.body)
		})
	}
}

// Defect 3: the client whose request triggers a refresh reads its whole
// stale body, with a Content-Length, while the refresh is still running.
func TestRealAppStaleClientDoesNotWaitForRefresh(t *testing.T) {
	a := newStaleRealApp(t)
	r := a.do("GET", "/doc")
	require.Equal(t, "MISS", r.xcache(), r.String())
	a.clock.Advance(15 * time.Second)
	a.set("block", 2)
	done := make(chan response, 1)
	go func() { done <- a.do("GET", "/doc") }()
	<-a.entered // the refresh runs and blocks
	select {
	case r := <-done:
		assert.Equal(t, "v1", r.body)
		assert.Equal(t, "STALE", r.xcache())
		assert.Equal(t, "2", r.header.Get("Content-Length"))
	case <-time.After(20 * time.Second):
		assert.Fail(t, "the client was still waiting for its stale response while the refresh ran")
	}
	close(a.release)
	a.waitRefresh(t, 2)
	r = a.do("GET", "/doc")
	require.Equal(t, "HIT", r.xcache(), r.String())
	assert.Equal(t, "v2", r.body)
}

// Defect 4: the key reads a cookie exactly as net/http (and so the
// handler) does.
func TestRealAppCookieReadAsNetHTTP(t *testing.T) {
	t.Run("spaces around the name", func(t *testing.T) {
		a := newTestApp(t, Table{{Method: "GET", Path: "/p", Policy: Policy{TTL: time.Hour, Vary: []string{"cookie:lang"}, Public: true}}})
		realEngine(a)
		a.engine.GET("/p", a.cache.Middleware(), func(c *gin.Context) {
			v, _ := c.Cookie("lang")
			c.String(200, "lang=%s", v)
		})
		r := a.do("GET", "/p", "Cookie", "lang =evil; lang=en")
		require.Equal(t, "lang=evil", r.body)
		r = a.do("GET", "/p", "Cookie", "lang=en")
		assert.Equal(t, "lang=en", r.body, "poisoned (X-Cache %s)", r.xcache())
	})
	t.Run("invalid value", func(t *testing.T) {
		a := newTestApp(t, Table{{Method: "GET", Path: "/p", Policy: Policy{TTL: time.Hour, Vary: []string{"cookie:session"}, Public: true}}})
		realEngine(a)
		a.engine.GET("/p", a.cache.Middleware(), func(c *gin.Context) {
			v, err := c.Cookie("session")
			if err != nil {
				v = "nobody"
			}
			c.String(200, "page of %s", v)
		})
		r := a.do("GET", "/p", "Cookie", `session=x"y; session=alice`)
		require.Equal(t, "page of alice", r.body)
		r = a.do("GET", "/p", "Cookie", `session=x"y`)
		assert.Equal(t, "page of nobody", r.body, "a request with an invalid cookie got another's page (X-Cache %s)", r.xcache())
		assert.Equal(t, "SKIP", r.xcache())
		assert.Contains(t, r.header.Get("Cache-Status"), "detail=vary-missing")
	})
}

// Defect 5: a vary on a cookie that only sets a language is not identity:
// a request with credentials is not cached on it.
func TestRealAppLanguageCookieIsNotIdentity(t *testing.T) {
	a := newTestApp(t, Table{{Method: "GET", Path: "/dashboard", Policy: Policy{TTL: time.Hour, Vary: []string{"cookie:lang"}}}})
	realEngine(a)
	a.engine.GET("/dashboard", bearerUser, a.cache.Middleware(), func(c *gin.Context) {
		c.String(200, "dashboard of %s", c.GetString("user_id"))
	})
	r := a.do("GET", "/dashboard", "Authorization", "Bearer alice", "Cookie", "lang=en")
	require.Equal(t, "dashboard of alice", r.body)
	r = a.do("GET", "/dashboard", "Authorization", "Bearer bob", "Cookie", "lang=en")
	assert.Equal(t, "dashboard of bob", r.body, "Bob got another user's page (X-Cache %s)", r.xcache())
	assert.Equal(t, "SKIP", r.xcache())
}

// Defect 5: Cache-Control: private is stored only when the key holds an
// identity; a context key that is not marked as identity does not.
func TestRealAppPrivateNeedsIdentity(t *testing.T) {
	a := newTestApp(t, Table{{Method: "GET", Path: "/t", Policy: Policy{TTL: time.Hour, Vary: []string{"tenant"}}}})
	realEngine(a)
	a.engine.GET("/t", func(c *gin.Context) { c.Set("tenant", "acme"); c.Next() }, a.cache.Middleware(), func(c *gin.Context) {
		c.Header("Cache-Control", "private")
		c.String(200, "for you")
	})
	a.do("GET", "/t")
	r := a.do("GET", "/t")
	assert.Equal(t, "MISS", r.xcache(), "a private response was stored under a key without identity")
	assert.Contains(t, r.header.Get("Cache-Status"), "detail=private")
}

// Defect 8: a typed nil in the context is a missing vary value, not a
// panic.
func TestRealAppTypedNilVaryValue(t *testing.T) {
	a := newTestApp(t, Table{{Method: "GET", Path: "/u", Policy: Policy{TTL: time.Hour, Vary: []string{"tenant"}}}})
	realEngine(a)
	a.engine.GET("/u", func(c *gin.Context) { var t *tenantID; c.Set("tenant", t); c.Next() }, a.cache.Middleware(), func(c *gin.Context) {
		c.String(200, "ok")
	})
	r := a.do("GET", "/u")
	assert.Equal(t, 200, r.status)
	assert.Equal(t, "ok", r.body)
	assert.Equal(t, "SKIP", r.xcache())
	assert.Contains(t, r.header.Get("Cache-Status"), "detail=vary-missing")
}

type tenantID struct{ id string }

func (t *tenantID) String() string { return t.id }

// Found while reading: a policy applies to the route the table names,
// never to another route that shares its handler.
func TestRealAppPolicyOnlyForItsRoute(t *testing.T) {
	shared := func(c *gin.Context) { c.String(200, "%s for %s", c.FullPath(), c.GetHeader("X-Who")) }
	a := newTestApp(t, Table{{Method: "GET", Path: "/public/items", Handler: funcName(shared), Policy: Policy{TTL: time.Hour}}})
	realEngine(a)
	a.engine.GET("/public/items", a.cache.Middleware(), shared)
	a.engine.GET("/admin/items", a.cache.Middleware(), shared)
	a.do("GET", "/admin/items", "X-Who", "admin-1")
	r := a.do("GET", "/admin/items", "X-Who", "admin-2")
	assert.Equal(t, "/admin/items for admin-2", r.body, "the policy of /public/items applied to /admin/items (X-Cache %s)", r.xcache())
	assert.Empty(t, r.xcache(), "a route without a policy passes through untouched")
	a.do("GET", "/public/items")
	r = a.do("GET", "/public/items")
	require.Equal(t, "HIT", r.xcache(), r.String())
}

// Found while reading: credentials besides Authorization and Cookie keep
// a request off a route that forgot its vary.
func TestRealAppOtherCredentialsBypass(t *testing.T) {
	for _, cred := range [][2]string{{"X-Api-Key", ""}, {"Proxy-Authorization", ""}, {"", "access_token"}} {
		name := cred[0] + cred[1]
		t.Run(name, func(t *testing.T) {
			a := newTestApp(t, Table{get("/report", time.Hour)})
			realEngine(a)
			a.engine.GET("/report", a.cache.Middleware(), func(c *gin.Context) {
				who := c.GetHeader(cred[0])
				if cred[1] != "" {
					who = c.Query(cred[1])
				}
				c.String(200, "report for %s", who)
			})
			send := func(secret string) response {
				if cred[1] != "" {
					return a.do("GET", "/report?"+cred[1]+"="+secret)
				}
				return a.do("GET", "/report", cred[0], secret)
			}
			require.Equal(t, "report for alice-key", send("alice-key").body)
			r := send("alice-key")
			assert.Equal(t, "SKIP", r.xcache())
			assert.Contains(t, r.header.Get("Cache-Status"), "detail=authorization")
			if cred[1] == "" {
				r = send("bob-key")
				assert.Equal(t, "report for bob-key", r.body)
			}
		})
	}
}

// Found while reading: Vary set by middleware outside the cache (CORS)
// does not make responses unstorable; Vary set by the handler does.
func TestRealAppOuterVaryDoesNotPreventStoring(t *testing.T) {
	a := newTestApp(t, Table{get("/list", time.Hour), get("/lang", time.Hour)})
	realEngine(a)
	a.engine.GET("/list", a.cache.Middleware(), func(c *gin.Context) { c.String(200, "list") })
	a.engine.GET("/lang", a.cache.Middleware(), func(c *gin.Context) {
		c.Header("Vary", "Accept-Language")
		c.String(200, "lang")
	})
	r := a.do("GET", "/list", "Origin", appOrigin)
	require.Equal(t, "Origin", r.header.Get("Vary"))
	r = a.do("GET", "/list", "Origin", appOrigin)
	assert.Equal(t, "HIT", r.xcache(), "CORS's Vary: Origin made the response unstorable (%s)", r.header.Get("Cache-Status"))
	assert.Equal(t, appOrigin, r.header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "list", r.body)

	a.do("GET", "/lang", "Origin", appOrigin)
	r = a.do("GET", "/lang", "Origin", appOrigin)
	assert.Equal(t, "MISS", r.xcache())
	assert.Contains(t, r.header.Get("Cache-Status"), "detail=vary")
}

// Found while reading: the in-flight byte cap holds under many concurrent
// large misses. The handlers all write their body at once and then wait,
// holding their buffers, until every one has written; the bytes charged
// must then be within the cap. The cap is set where an implementation that
// checked the bytes asked for but charged the capacity append gave would
// cross it.
func TestRealAppInflightCapIsHard(t *testing.T) {
	const (
		clients = 24
		size    = 300_000
	)
	roomy := int64(cap(append([]byte(nil), make([]byte, size)...)))
	limit := 5*roomy + size
	a := newTestApp(t, Table{{Method: "GET", Path: "/big/:n", Policy: Policy{TTL: time.Hour}}}, WithMaxInflightBytes(limit))
	realEngine(a)
	var entered, written sync.WaitGroup
	entered.Add(clients)
	written.Add(clients)
	release := make(chan struct{})
	body := make([]byte, size)
	a.engine.GET("/big/:n", a.cache.Middleware(), func(c *gin.Context) {
		entered.Done()
		entered.Wait()
		c.Data(200, "application/octet-stream", body)
		written.Done()
		<-release
	})
	a.url("/")
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := a.do("GET", fmt.Sprintf("/big/%d", i))
			assert.Len(t, r.body, size)
		}()
	}
	written.Wait()
	held := a.cache.inflight.Load()
	close(release)
	wg.Wait()
	assert.LessOrEqual(t, held, limit, "bytes buffered by in-flight misses went past the cap")
	assert.Zero(t, a.cache.inflight.Load(), "reservations were not all given back")
}

// Found while reading: an entry written with Service.Set under a GET key
// depends on no token, so no write would ever invalidate it: it is not
// served as a hit (the Redis backend never served it either).
func TestRealAppServiceSetUnderGETKeyIsNotAHit(t *testing.T) {
	a := newTestApp(t, Table{get("/items", time.Hour)})
	realEngine(a)
	a.engine.GET("/items", a.cache.Middleware(), func(c *gin.Context) { c.String(200, "from handler") })
	a.engine.PUT("/items", a.cache.Middleware(), func(c *gin.Context) { c.String(200, "ok") })
	host := strings.TrimPrefix(a.url("/"), "http://")
	host = strings.TrimSuffix(host, "/")
	require.NoError(t, a.cache.Service().Set(t.Context(), "1:GET:"+host+"/items::", []byte("set by hand"), time.Hour))
	r := a.do("GET", "/items")
	assert.Equal(t, "from handler", r.body, "an entry no write invalidates was served (X-Cache %s)", r.xcache())
}

// waitRefresh waits until the handler has run n times and no refresh or
// fill is under way.
func (a *staleRealApp) waitRefresh(t *testing.T, n int) {
	t.Helper()
	testutil.WaitFor(t, "the refresh", func() bool { return a.handlerRuns() >= n && a.cache.flights.active() == 0 })
}

// active counts the flights under way.
func (g *flightGroup) active() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.flights)
}

// usersAuth is the RealWorld example's auth middleware factory: small
// enough to be inlined, so that each call site names its closure
// differently (main.main.AuthMiddleware.func6, .func7).
func usersAuth(required bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if u, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer "); ok && u != "" {
			c.Set("user_id", u)
		} else if required {
			c.AbortWithStatus(http.StatusUnauthorized)
			return
		}
		c.Next()
	}
}

// Defect 9: the order check finds a marked auth middleware after the
// cache whatever instance it is and however Go named it; a gate that only
// rejects may follow the cache on a route keyed by an identity set
// before it.
func TestRealAppAuthOrder(t *testing.T) {
	user := func(c *gin.Context) { c.String(200, "user %s", c.GetString("user_id")) }
	t.Run("fresh inlined instance after the cache", func(t *testing.T) {
		a := newTestApp(t, Table{{Method: "GET", Path: "/api/user", Policy: Policy{TTL: time.Hour, Identity: []string{"user_id"}}}})
		realEngine(a)
		a.engine.GET("/api/user", usersAuth(false), a.cache.Middleware(), Auth(usersAuth(true)), user)
		a.do("GET", "/api/user", "Authorization", "Bearer alice")
		r := a.do("GET", "/api/user", "Authorization", "Bearer alice")
		assert.Equal(t, "SKIP", r.xcache(), "a route with auth after the cache was cached")
		assert.Equal(t, "gincache; fwd=bypass; detail=middleware-order", r.header.Get("Cache-Status"))
	})
	t.Run("auth before the cache", func(t *testing.T) {
		a := newTestApp(t, Table{{Method: "GET", Path: "/api/user", Policy: Policy{TTL: time.Hour, Identity: []string{"user_id"}}}})
		realEngine(a)
		api := a.engine.Group("/api", Auth(usersAuth(true)), a.cache.Middleware())
		api.GET("/user", user)
		a.do("GET", "/api/user", "Authorization", "Bearer alice")
		r := a.do("GET", "/api/user", "Authorization", "Bearer alice")
		require.Equal(t, "HIT", r.xcache(), r.String())
		assert.Equal(t, "user alice", r.body)
		r = a.do("GET", "/api/user", "Authorization", "Bearer bob")
		assert.Equal(t, "user bob", r.body)
		assert.Equal(t, 401, a.do("GET", "/api/user").status)
	})
	t.Run("gate after the cache, identity set before", func(t *testing.T) {
		a := newTestApp(t, Table{{Method: "GET", Path: "/api/user", Policy: Policy{TTL: time.Hour, Identity: []string{"user_id"}}}})
		realEngine(a)
		a.engine.GET("/api/user", Auth(usersAuth(false)), a.cache.Middleware(), AuthGate(usersAuth(true)), user)
		a.do("GET", "/api/user", "Authorization", "Bearer alice")
		r := a.do("GET", "/api/user", "Authorization", "Bearer alice")
		require.Equal(t, "HIT", r.xcache(), r.String())
		assert.Equal(t, "user alice", r.body)
		r = a.do("GET", "/api/user")
		assert.Equal(t, 401, r.status, "an anonymous caller got past the gate: %q", r.body)
	})
	t.Run("gate after the cache on a public route", func(t *testing.T) {
		a := newTestApp(t, Table{{Method: "GET", Path: "/api/news", Policy: Policy{TTL: time.Hour, Public: true}}})
		realEngine(a)
		a.engine.GET("/api/news", a.cache.Middleware(), AuthGate(usersAuth(true)), func(c *gin.Context) { c.String(200, "news") })
		a.do("GET", "/api/news", "Authorization", "Bearer alice")
		r := a.do("GET", "/api/news")
		assert.Equal(t, 401, r.status, "a HIT was served before the gate: %q", r.body)
		assert.Equal(t, "gincache; fwd=bypass; detail=middleware-order", r.header.Get("Cache-Status"))
	})
}

// Identity is explicit: a context key marked as identity covers every
// credential; a credential header or cookie as identity covers itself
// only, and is keyed by a digest, never readable in a key.
func TestRealAppIdentity(t *testing.T) {
	t.Run("context identity", func(t *testing.T) {
		a := newTestApp(t, Table{{Method: "GET", Path: "/me", Policy: Policy{TTL: time.Hour, Identity: []string{"user_id"}, Vary: []string{"cookie:lang"}}}})
		realEngine(a)
		a.engine.GET("/me", Auth(usersAuth(true)), a.cache.Middleware(), func(c *gin.Context) {
			lang, _ := c.Cookie("lang")
			c.Header("Cache-Control", "private")
			c.String(200, "%s in %s", c.GetString("user_id"), lang)
		})
		for range 2 {
			for _, u := range []string{"alice", "bob"} {
				r := a.do("GET", "/me", "Authorization", "Bearer "+u, "Cookie", "lang=en", "X-Api-Key", "k")
				assert.Equal(t, u+" in en", r.body)
			}
		}
		r := a.do("GET", "/me", "Authorization", "Bearer alice", "Cookie", "lang=en")
		require.Equal(t, "HIT", r.xcache(), r.String())
	})
	t.Run("credential identity", func(t *testing.T) {
		a := newTestApp(t, Table{{Method: "GET", Path: "/me", Policy: Policy{TTL: time.Hour, Identity: []string{"header:Authorization"}}}})
		realEngine(a)
		a.engine.GET("/me", a.cache.Middleware(), func(c *gin.Context) { c.String(200, "for %s", c.GetHeader("Authorization")) })
		a.do("GET", "/me", "Authorization", "Bearer secret-token")
		r := a.do("GET", "/me", "Authorization", "Bearer secret-token")
		require.Equal(t, "HIT", r.xcache(), r.String())
		r = a.do("GET", "/me", "Authorization", "Bearer other")
		assert.Equal(t, "for Bearer other", r.body)
		// The Cookie header is a credential the key does not hold.
		r = a.do("GET", "/me", "Authorization", "Bearer secret-token", "Cookie", "sid=1")
		assert.Equal(t, "SKIP", r.xcache())
		page, err := a.cache.Service().Keys(t.Context(), "", "", 10)
		require.NoError(t, err)
		require.Len(t, page.Keys, 2)
		for _, k := range page.Keys {
			assert.NotContains(t, k.Key, "secret")
			assert.Contains(t, k.Key, "h.authorization=#sha256=")
		}
	})
	t.Run("public route ignores credential query", func(t *testing.T) {
		a := newTestApp(t, Table{{Method: "GET", Path: "/news", Policy: Policy{TTL: time.Hour, Public: true}}})
		realEngine(a)
		a.engine.GET("/news", a.cache.Middleware(), func(c *gin.Context) { c.String(200, "news") })
		a.do("GET", "/news?access_token=alice&page=1")
		r := a.do("GET", "/news?access_token=bob&page=1")
		require.Equal(t, "HIT", r.xcache(), r.String())
		page, err := a.cache.Service().Keys(t.Context(), "", "", 10)
		require.NoError(t, err)
		require.Len(t, page.Keys, 1)
		assert.NotContains(t, page.Keys[0].Key, "alice")
	})
}

// The refresh runs the handlers after the cache only, on a copy of the
// request's context: the middleware outside runs once per client request,
// and the handler sees what the middleware before the cache set.
func TestRealAppStaleRefreshRunsInnerChainOnly(t *testing.T) {
	a := newTestApp(t, Table{{Method: "GET", Path: "/doc", Policy: Policy{TTL: 10 * time.Second, Stale: time.Minute, Identity: []string{"user_id"}}}})
	realEngine(a)
	var mu sync.Mutex
	outer, inner, version := 0, 0, 1
	a.engine.GET("/doc", func(c *gin.Context) {
		mu.Lock()
		outer++
		mu.Unlock()
		c.Next()
	}, Auth(usersAuth(true)), a.cache.Middleware(), func(c *gin.Context) {
		mu.Lock()
		inner++
		mu.Unlock()
		c.Next()
	}, func(c *gin.Context) {
		mu.Lock()
		v := version
		mu.Unlock()
		c.String(200, "v%d for %s", v, c.GetString("user_id"))
	})
	count := func() (int, int) {
		mu.Lock()
		defer mu.Unlock()
		return outer, inner
	}
	r := a.do("GET", "/doc", "Authorization", "Bearer alice")
	require.Equal(t, "MISS", r.xcache(), r.String())
	a.clock.Advance(15 * time.Second)
	mu.Lock()
	version = 2
	mu.Unlock()
	r = a.do("GET", "/doc", "Authorization", "Bearer alice")
	require.Equal(t, "STALE", r.xcache(), r.String())
	assert.Equal(t, "v1 for alice", r.body)
	testutil.WaitFor(t, "the refresh", func() bool { _, in := count(); return in == 2 && a.cache.flights.active() == 0 })
	r = a.do("GET", "/doc", "Authorization", "Bearer alice")
	require.Equal(t, "HIT", r.xcache(), r.String())
	assert.Equal(t, "v2 for alice", r.body)
	out, in := count()
	assert.Equal(t, 3, out, "the middleware outside the cache ran once per client request")
	assert.Equal(t, 2, in)
}

// The stale refresh and the order check read the handler chain from
// gin.Context; a Gin release that changes its layout must fail here, not
// silently turn refreshes off.
func TestGinLayout(t *testing.T) {
	require.True(t, ginLayout.ok, "gin.Context no longer has handlers HandlersChain and index int8")
}

func TestPolicyIdentityValidation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		route Route
		want  string
	}{
		{"public and identity", Route{Method: "GET", Path: "/a", Policy: Policy{Public: true, Identity: []string{"user_id"}}}, "both Public and keyed by an Identity"},
		{"listed twice", Route{Method: "GET", Path: "/a", Policy: Policy{Identity: []string{"user_id"}, Vary: []string{"user_id"}}}, "listed twice"},
		{"header listed twice", Route{Method: "GET", Path: "/a", Policy: Policy{Identity: []string{"header:X-A"}, Vary: []string{"header:x-a"}}}, "listed twice"},
		{"bad identity", Route{Method: "GET", Path: "/a", Policy: Policy{Identity: []string{"query:x"}}}, "unknown source"},
		{"identity on a write", Route{Method: "PUT", Path: "/a", Policy: Policy{Identity: []string{"user_id"}}}, "GET routes only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Table{tc.route}, quiet)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
