package gincache

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

// The security suite: each test is an attack through real HTTP that must
// fail.

// echoApp caches GET /*path and answers with what it was asked, so any
// response served to the wrong request shows.
func echoApp(t *testing.T, opts ...Option) *testApp {
	a := newTestApp(t, Table{{Method: "GET", Path: "/e/*path", Policy: Policy{TTL: time.Hour}}}, opts...)
	a.engine.Use(a.cache.Middleware())
	a.engine.GET("/e/*path", func(c *gin.Context) {
		c.String(200, "uri=%s fwd-host=%s original=%s", c.Request.RequestURI, c.GetHeader("X-Forwarded-Host"), c.GetHeader("X-Original-URL"))
	})
	return a
}

func TestAttackKeyCollisions(t *testing.T) {
	a := echoApp(t)
	uris := []string{
		"/e/a:b", "/e/a/b", "/e/a%2Fb", "/e/a%252Fb", "/e/a*", "/e/a%2A", "/e/x?a=1:b=2", "/e/x?a=1&b=2",
		"/e/x?tag=a&tag=b", "/e/x?tag=b", "/e/x%3Fy", "/e/x?y", "/e/x?a=%26b", "/e/x?a=&b", "/e/%5B1%5D", "/e/[1]",
	}
	for round := range 2 {
		for _, u := range uris {
			r := a.do("GET", u)
			require.True(t, strings.HasPrefix(r.body, "uri="+u+" "), "round %d: %s was answered with %q (%s)", round, u, r.body, r.xcache())
		}
	}
}

func TestAttackPatternInjection(t *testing.T) {
	a := echoApp(t)
	hostile := []string{"/e/*", "/e/?", "/e/[a-z]", "/e/%5C*", "/e/x?q=*", "/e/x?q=%5B%5D", "/e/%2A%3F"}
	for _, u := range hostile {
		a.do("GET", u)
	}
	a.do("GET", "/e/innocent")
	page, err := a.cache.Service().Keys(t.Context(), "", "", 100)
	require.NoError(t, err, "keys %v %v", page.Keys, err)
	require.Len(t, page.Keys, len(hostile)+1, "keys %v %v", page.Keys, err)
	for _, k := range page.Keys {
		require.False(t, strings.ContainsAny(k.Key, backend.GlobMeta), "key %q carries a glob metacharacter from its URL", k.Key)
		// Used as a pattern, each key selects itself only.
		n, err := a.cache.Service().ClearPattern(t.Context(), k.Key)
		require.Equal(t, 1, n, "clearing %q removed %d entries (%v)", k.Key, n, err)
		require.NoError(t, err, "clearing %q removed %d entries (%v)", k.Key, n, err)
	}
}

func TestAttackPoisonThroughForwardingHeaders(t *testing.T) {
	for _, hdr := range []string{"X-Forwarded-Host", "X-Original-URL"} {
		t.Run(hdr, func(t *testing.T) {
			a := echoApp(t)
			evil := a.do("GET", "/e/page", hdr, "evil.example")
			require.Contains(t, evil.body, "evil.example", "the handler should reflect the header: %q", evil.body)
			victim := a.do("GET", "/e/page")
			require.NotContains(t, victim.body, "evil", "poisoned: a request without %s got %q (%s)", hdr, victim.body, victim.xcache())
			// A proxy that always sets the header gets caching back.
			a.do("GET", "/e/page", hdr, "shop.example")
			r := a.do("GET", "/e/page", hdr, "shop.example")
			require.Equal(t, "HIT", r.xcache(), r.String())
		})
	}
}

// gzipInside compresses responses for clients that accept gzip: a
// compressing middleware placed after (inside) the cache, the case where
// a compressed body reaches the cache.
func gzipInside(c *gin.Context) {
	if !strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") {
		c.Next()
		return
	}
	rec := &bufferingWriter{ResponseWriter: c.Writer}
	c.Writer = rec
	c.Next()
	c.Writer = rec.ResponseWriter
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(rec.buf.Bytes())
	zw.Close()
	c.Header("Content-Encoding", "gzip")
	c.Header("Vary", "Accept-Encoding")
	c.Writer.WriteHeader(rec.Status())
	c.Writer.Write(buf.Bytes())
}

type bufferingWriter struct {
	gin.ResponseWriter
	buf bytes.Buffer
}

func (w *bufferingWriter) Write(p []byte) (int, error)       { return w.buf.Write(p) }
func (w *bufferingWriter) WriteString(s string) (int, error) { return w.buf.WriteString(s) }
func (w *bufferingWriter) WriteHeaderNow()                   {}

func TestAttackPoisonThroughAcceptEncoding(t *testing.T) {
	a := newTestApp(t, Table{get("/doc", time.Hour)})
	a.engine.Use(a.cache.Middleware(), gzipInside)
	a.engine.GET("/doc", func(c *gin.Context) { c.String(200, "plain text body") })
	gz := a.do("GET", "/doc", "Accept-Encoding", "gzip")
	require.Equal(t, "gzip", gz.header.Get("Content-Encoding"), "setup: no gzip: %v", gz.header)
	plain := a.do("GET", "/doc")
	require.Equal(t, "plain text body", plain.body, "a client without gzip got %q, %v", plain.body, plain.header)
	require.Empty(t, plain.header.Get("Content-Encoding"), "a client without gzip got %q, %v", plain.body, plain.header)
}

func TestAttackHugeQueryAndHeaders(t *testing.T) {
	a := newTestApp(t, Table{{Method: "GET", Path: "/q", Policy: Policy{TTL: time.Hour, Vary: []string{"header:X-Big"}}}})
	a.engine.Use(a.cache.Middleware())
	a.engine.GET("/q", func(c *gin.Context) { c.String(200, "%d", len(c.Request.URL.RawQuery)) })
	q := "a=" + strings.Repeat("x", 200_000)
	big := strings.Repeat("y", 200_000)
	for range 2 {
		r := a.do("GET", "/q?"+q, "X-Big", big, "X-Forwarded-Host", big)
		require.Equal(t, 200, r.status, "status %d body %.40q", r.status, r.body)
		require.Equal(t, "200002", r.body, "status %d body %.40q", r.status, r.body)
	}
	page, _ := a.cache.Service().Keys(t.Context(), "", "", 10)
	require.Len(t, page.Keys, 1, "keys %q", page.Keys)
	require.LessOrEqual(t, len(page.Keys[0].Key), 1500, "key of %d bytes", len(page.Keys[0].Key))
}

func TestAttackCredentialLeaks(t *testing.T) {
	a := newTestApp(t, Table{get("/me", time.Hour)})
	a.engine.Use(a.cache.Middleware())
	a.engine.GET("/me", func(c *gin.Context) {
		user := strings.TrimPrefix(c.GetHeader("Authorization"), "Bearer ")
		if user == "" {
			user = "anonymous"
		}
		c.SetCookie("seen", user, 60, "/", "", false, true)
		c.String(200, "hello %s", user)
	})
	// A route that forgot vary=user_id: credentials bypass it, and the
	// per-user Set-Cookie keeps even the anonymous response out.
	alice := a.do("GET", "/me", "Authorization", "Bearer alice")
	anon := a.do("GET", "/me")
	require.NotContains(t, anon.body, "alice", "leak: anonymous got %q %q", anon.body, anon.header.Get("Set-Cookie"))
	require.NotContains(t, anon.header.Get("Set-Cookie"), "alice", "leak: anonymous got %q %q", anon.body, anon.header.Get("Set-Cookie"))
	require.Equal(t, "SKIP", alice.xcache(), alice.String())
	bob := a.do("GET", "/me", "Authorization", "Bearer bob")
	require.NotContains(t, bob.body, "alice", "leak: bob got %q", bob.body)
}

func authMiddleware(c *gin.Context) {
	if c.GetHeader("Authorization") != "Bearer ok" {
		c.AbortWithStatus(http.StatusUnauthorized)
		return
	}
	c.Set("user_id", "u1")
}

// TestAttackHitBeforeAuth: mounted before auth, a cache would serve a HIT
// to anyone. With the auth middleware marked (Auth) it refuses to cache
// such a route; in the safe order (auth, then cache) an unauthenticated
// request never reaches the cache.
func TestAttackHitBeforeAuth(t *testing.T) {
	t.Run("wrong order is caught", func(t *testing.T) {
		a := newTestApp(t, Table{{Method: "GET", Path: "/secret", Policy: Policy{TTL: time.Hour, Public: true}}})
		a.engine.Use(a.cache.Middleware(), Auth(authMiddleware))
		a.engine.GET("/secret", func(c *gin.Context) { c.String(200, "the secret") })
		r := a.do("GET", "/secret", "Authorization", "Bearer ok")
		require.Equal(t, "SKIP", r.xcache(), r.String())
		require.Equal(t, "gincache; fwd=bypass; detail=middleware-order", r.header.Get("Cache-Status"), "Cache-Status")
		r = a.do("GET", "/secret")
		require.Equal(t, 401, r.status, "unauthenticated request got %d %q", r.status, r.body)
	})
	t.Run("safe order", func(t *testing.T) {
		a := newTestApp(t, Table{{Method: "GET", Path: "/secret", Policy: Policy{TTL: time.Hour, Identity: []string{"user_id"}}}})
		g := a.engine.Group("/", Auth(authMiddleware), a.cache.Middleware())
		g.GET("/secret", func(c *gin.Context) { c.String(200, "the secret") })
		a.do("GET", "/secret", "Authorization", "Bearer ok")
		r := a.do("GET", "/secret", "Authorization", "Bearer ok")
		require.Equal(t, "HIT", r.xcache(), r.String())
		r = a.do("GET", "/secret")
		require.Equal(t, 401, r.status, "unauthenticated request got %d %q", r.status, r.body)
		require.NotContains(t, r.body, "secret", "unauthenticated request got %d %q", r.status, r.body)
	})
}
