package gincache

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// countingApp registers GET path with a handler that counts its runs and
// answers with the count, after applying edit to the response.
func countingApp(t *testing.T, p Policy, edit func(*gin.Context), opts ...Option) (*testApp, *counter) {
	t.Helper()
	a := newTestApp(t, Table{{Method: "GET", Path: "/r", Policy: p}}, opts...)
	n := &counter{}
	a.engine.Use(a.cache.Middleware())
	a.engine.GET("/r", func(c *gin.Context) {
		run := n.inc()
		if edit != nil {
			edit(c)
		}
		if !c.Writer.Written() {
			c.String(http.StatusOK, "run %d", run)
		}
	})
	return a, n
}

func TestMissThenHit(t *testing.T) {
	a, n := countingApp(t, Policy{TTL: time.Minute}, func(c *gin.Context) {
		c.Header("X-Multi", "one")
		c.Writer.Header().Add("X-Multi", "two")
	})
	miss := a.do("GET", "/r")
	require.Equal(t, "MISS", miss.xcache(), miss.String())
	got := miss.header.Get("Cache-Status")
	assert.Equal(t, "gincache; fwd=miss; stored", got, "Cache-Status on a stored miss")
	assert.NotEmpty(t, miss.header.Get("Etag"), "a stored miss should carry its ETag")
	a.clock.Advance(7 * time.Second)
	hit := a.do("GET", "/r")
	require.Equal(t, "HIT", hit.xcache(), hit.String())
	require.Equal(t, "run 1", hit.body, "hit body %q after %d runs", hit.body, n.get())
	require.Equal(t, 1, n.get(), "hit body %q after %d runs", hit.body, n.get())
	got = hit.header.Get("Cache-Status")
	assert.Empty(t, got, "Cache-Status on a hit = %q, want none (X-Cache says HIT)", got)
	got = hit.header.Get("Age")
	assert.Equal(t, "7", got, "Age")
	assert.Equal(t, []string{"one", "two"}, hit.header.Values("X-Multi"), "multi-valued header replayed")
	assert.Equal(t, miss.header.Get("Etag"), hit.header.Get("Etag"), "hit headers differ from the miss's: %v vs %v", hit.header, miss.header)
	assert.Equal(t, miss.header.Get("Content-Type"), hit.header.Get("Content-Type"), "hit headers differ from the miss's: %v vs %v", hit.header, miss.header)
	a.clock.Advance(time.Minute)
	r := a.do("GET", "/r")
	require.Equal(t, "MISS", r.xcache(), r.String())
	require.Equal(t, 2, n.get(), "expired entry served: %d runs", n.get())
}

func TestDefaultTTL(t *testing.T) {
	a, _ := countingApp(t, Policy{}, nil, WithDefaultTTL(10*time.Second))
	r := a.do("GET", "/r")
	require.Equal(t, "MISS", r.xcache(), r.String())
	a.clock.Advance(9 * time.Second)
	r = a.do("GET", "/r")
	require.Equal(t, "HIT", r.xcache(), r.String())
	a.clock.Advance(2 * time.Second)
	r = a.do("GET", "/r")
	require.Equal(t, "MISS", r.xcache(), r.String())
}

func TestETagAndNotModified(t *testing.T) {
	a, _ := countingApp(t, Policy{TTL: time.Minute}, nil)
	etag := a.do("GET", "/r").header.Get("Etag")
	require.True(t, strings.HasPrefix(etag, `"`), "ETag %q is not a strong tag", etag)
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		r := a.do("GET", "/r", "If-None-Match", inm)
		assert.Equal(t, http.StatusNotModified, r.status, "If-None-Match %s: status %d body %q, want 304 and no body", inm, r.status, r.body)
		assert.Empty(t, r.body, "If-None-Match %s: status %d body %q, want 304 and no body", inm, r.status, r.body)
		require.Equal(t, "HIT", r.xcache(), r.String())
	}
	r := a.do("GET", "/r", "If-None-Match", `"nope"`)
	assert.Equal(t, http.StatusOK, r.status, "non-matching If-None-Match: %d %q", r.status, r.body)
	assert.Equal(t, "run 1", r.body, "non-matching If-None-Match: %d %q", r.status, r.body)
}

// TestETagIsStableAcrossInstances: the tag depends on the bytes only (so
// every instance computes the same one): CRC-32C, CRC-32 IEEE and the
// length, here checked against the standard checksums of "hello"
// (0x9a71bb4c and 0x3610a686, as zlib and every CRC-32C table give).
func TestETagIsStableAcrossInstances(t *testing.T) {
	got := strongETag([]byte("hello"))
	require.Equal(t, `"9a71bb4c3610a686-5"`, got, "ETag of hello")
	require.NotEqual(t, strongETag([]byte("b")), strongETag([]byte("a")), "different bodies share a tag")
}

func TestPassThroughWithoutPolicy(t *testing.T) {
	a := newTestApp(t, nil)
	a.engine.Use(a.cache.Middleware())
	a.engine.GET("/free", func(c *gin.Context) { c.String(200, "x") })
	r := a.do("GET", "/free")
	require.Empty(t, r.header.Get("X-Cache"), "a route without policy got cache headers: %v", r.header)
	require.Empty(t, r.header.Get("Cache-Status"), "a route without policy got cache headers: %v", r.header)
}

func TestSkips(t *testing.T) {
	cases := []struct {
		name   string
		policy Policy
		opts   []Option
		path   string
		hdr    []string
		detail string
	}{
		{"no-cache", Policy{}, nil, "/r", []string{"Cache-Control", "no-cache"}, "fwd=request; detail=no-cache"},
		{"no-store", Policy{}, nil, "/r", []string{"Cache-Control", "max-age=0, no-store"}, "fwd=request; detail=no-cache"},
		{"pragma", Policy{}, nil, "/r", []string{"Pragma", "no-cache"}, "fwd=request; detail=no-cache"},
		{"authorization", Policy{}, nil, "/r", []string{"Authorization", "Bearer x"}, "fwd=bypass; detail=authorization"},
		{"cookie", Policy{}, nil, "/r", []string{"Cookie", "session=1"}, "fwd=bypass; detail=authorization"},
		{"vary missing", Policy{Vary: []string{"header:X-Tenant"}}, nil, "/r", nil, "fwd=bypass; detail=vary-missing"},
		{"malformed query", Policy{}, nil, "/r?a=%zz", nil, "fwd=bypass; detail=malformed-query"},
		{"disabled", Policy{}, []Option{WithEnabled(false)}, "/r", nil, "fwd=bypass; detail=disabled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, n := countingApp(t, tc.policy, nil, tc.opts...)
			for range 2 {
				r := a.do("GET", tc.path, tc.hdr...)
				require.Equal(t, "SKIP", r.xcache(), r.String())
				got := r.header.Get("Cache-Status")
				assert.Equal(t, "gincache; "+tc.detail, got, "Cache-Status")
			}
			assert.Equal(t, 2, n.get(), "handler ran %d times", n.get())
			keys, _ := a.cache.Service().Keys(t.Context(), "", "", 100)
			assert.Empty(t, keys.Keys, "a skipped request stored")
			st := a.cache.Service().Stats()
			assert.Equal(t, uint64(0), st.Hits+st.Misses, "stats %+v", st)
			assert.Equal(t, uint64(2), st.Skips[strings.TrimPrefix(tc.detail[strings.Index(tc.detail, "detail=")+7:], "")], "stats %+v", st)
		})
	}
}

func TestNoCacheCanBeIgnored(t *testing.T) {
	a, _ := countingApp(t, Policy{}, nil, WithHonorNoCache(false))
	r := a.do("GET", "/r", "Cache-Control", "no-cache")
	require.Equal(t, "MISS", r.xcache(), r.String())
	r = a.do("GET", "/r", "Cache-Control", "no-cache")
	require.Equal(t, "HIT", r.xcache(), r.String())
}

func TestPublicAndIdentityAllowCredentials(t *testing.T) {
	a, _ := countingApp(t, Policy{Public: true}, nil)
	r := a.do("GET", "/r", "Authorization", "Bearer x")
	require.Equal(t, "MISS", r.xcache(), r.String())
	r = a.do("GET", "/r", "Authorization", "Bearer y")
	require.Equal(t, "HIT", r.xcache(), r.String())

	b, _ := countingApp(t, Policy{Identity: []string{"header:Authorization"}}, nil)
	r = b.do("GET", "/r", "Authorization", "Bearer x")
	require.Equal(t, "MISS", r.xcache(), r.String())
	r = b.do("GET", "/r", "Authorization", "Bearer y")
	require.Equal(t, "MISS", r.xcache(), r.String())
	r = b.do("GET", "/r", "Authorization", "Bearer x")
	require.Equal(t, "HIT", r.xcache(), r.String())
}

func TestNotStored(t *testing.T) {
	cases := []struct {
		name   string
		policy Policy
		edit   func(*gin.Context)
		detail string
	}{
		{"set-cookie", Policy{}, func(c *gin.Context) { c.SetCookie("s", "1", 60, "/", "", false, true) }, "set-cookie"},
		{"no-store", Policy{}, func(c *gin.Context) { c.Header("Cache-Control", "no-store") }, "no-store"},
		{"response no-cache", Policy{}, func(c *gin.Context) { c.Header("Cache-Control", "max-age=60, no-cache") }, "no-cache"},
		{"private", Policy{}, func(c *gin.Context) { c.Header("Cache-Control", "private, max-age=60") }, "private"},
		{"vary on unkeyed header", Policy{}, func(c *gin.Context) { c.Header("Vary", "X-Forwarded-Host") }, "vary"},
		{"vary star", Policy{}, func(c *gin.Context) { c.Header("Vary", "*") }, "vary"},
		{"compressed body", Policy{}, func(c *gin.Context) {
			c.Header("Content-Encoding", "gzip")
			c.Header("Vary", "Accept-Encoding")
		}, "content-encoding"},
		{"not found", Policy{}, func(c *gin.Context) { c.String(404, "no") }, "status"},
		{"server error", Policy{}, func(c *gin.Context) { c.String(500, "boom") }, "status"},
		{"partial content", Policy{}, func(c *gin.Context) { c.String(206, "part") }, "status"},
		{"redirect", Policy{}, func(c *gin.Context) { c.Redirect(302, "/elsewhere") }, "status"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, n := countingApp(t, tc.policy, tc.edit)
			for range 2 {
				r := a.do("GET", "/r")
				require.Equal(t, "MISS", r.xcache(), r.String())
				got := r.header.Get("Cache-Status")
				assert.Equal(t, "gincache; fwd=miss; detail="+tc.detail, got, "Cache-Status")
			}
			require.Equal(t, 2, n.get(), "a response that must not be stored was served from the cache (%d runs)", n.get())
			st := a.cache.Service().Stats()
			assert.Equal(t, uint64(2), st.NotStored[tc.detail], "stats %+v", st)
			assert.Equal(t, uint64(0), st.Stores, "stats %+v", st)
		})
	}
}

func TestStoredDespiteHeaders(t *testing.T) {
	cases := []struct {
		name   string
		policy Policy
		edit   func(*gin.Context)
		hdr    []string
	}{
		{"vary accept-encoding on plain body", Policy{}, func(c *gin.Context) { c.Header("Vary", "Accept-Encoding") }, nil},
		{"private with identity", Policy{Identity: []string{"header:Authorization"}}, func(c *gin.Context) { c.Header("Cache-Control", "private") }, []string{"Authorization", "Bearer u1"}},
		{"private with identity cookie", Policy{Identity: []string{"cookie:session"}}, func(c *gin.Context) { c.Header("Cache-Control", "private") }, []string{"Cookie", "session=u1"}},
		{"vary on keyed header", Policy{Vary: []string{"header:Accept-Language"}}, func(c *gin.Context) { c.Header("Vary", "accept-language") }, []string{"Accept-Language", "fr"}},
		{"compressed with accept-encoding keyed", Policy{Vary: []string{"header:Accept-Encoding"}}, func(c *gin.Context) {
			c.Header("Content-Encoding", "gzip")
		}, []string{"Accept-Encoding", "gzip"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := countingApp(t, tc.policy, tc.edit)
			r := a.do("GET", "/r", tc.hdr...)
			require.Equal(t, "MISS", r.xcache(), r.String())
			r = a.do("GET", "/r", tc.hdr...)
			require.Equal(t, "HIT", r.xcache(), r.String())
		})
	}
}

func TestHopByHopAndOuterHeadersNotReplayed(t *testing.T) {
	a := newTestApp(t, Table{get("/r", time.Minute)})
	n := &counter{}
	// A middleware outside the cache sets a per-request header.
	a.engine.Use(func(c *gin.Context) {
		c.Header("X-Request-Id", c.GetHeader("X-Test-Id"))
		c.Next()
	}, a.cache.Middleware())
	a.engine.GET("/r", func(c *gin.Context) {
		c.Header("Connection", "X-Secret")
		c.Header("X-Secret", "hop")
		c.Header("Keep-Alive", "timeout=5")
		c.Header("X-Kept", "yes")
		c.String(200, "run %d", n.inc())
	})
	r := a.do("GET", "/r", "X-Test-Id", "first")
	require.Equal(t, "MISS", r.xcache(), r.String())
	hit := a.do("GET", "/r", "X-Test-Id", "second")
	require.Equal(t, "HIT", hit.xcache(), hit.String())
	got := hit.header.Get("X-Request-Id")
	assert.Equal(t, "second", got, "X-Request-Id = %q: an outer middleware's header was replayed from the first request", got)
	assert.Empty(t, hit.header.Get("X-Secret"), "hop-by-hop headers replayed: %v", hit.header)
	assert.Empty(t, hit.header.Get("Keep-Alive"), "hop-by-hop headers replayed: %v", hit.header)
	assert.Equal(t, "yes", hit.header.Get("X-Kept"), "handler header lost: %v", hit.header)
}

func TestBodyOverCap(t *testing.T) {
	const size = 20 << 20
	body := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	want := sha256.Sum256(body)
	for _, mode := range []string{"content-length", "chunked-writes", "single-write"} {
		t.Run(mode, func(t *testing.T) {
			a := newTestApp(t, Table{get("/big", time.Minute)})
			n := &counter{}
			a.engine.Use(a.cache.Middleware())
			a.engine.GET("/big", func(c *gin.Context) {
				n.inc()
				switch mode {
				case "content-length":
					c.DataFromReader(200, int64(len(body)), "application/octet-stream", bytes.NewReader(body), nil)
				case "chunked-writes":
					for rest := body; len(rest) > 0; {
						chunk := rest[:min(64<<10, len(rest))]
						rest = rest[len(chunk):]
						if _, err := c.Writer.Write(chunk); err != nil {
							return
						}
					}
				case "single-write":
					c.Data(200, "application/octet-stream", body)
				}
			})
			for i := range 2 {
				r := a.do("GET", "/big")
				require.Equal(t, "SKIP", r.xcache(), r.String())
				got := r.header.Get("Cache-Status")
				assert.Equal(t, "gincache; fwd=bypass; detail=too-large", got, "Cache-Status")
				require.Equal(t, want, sha256.Sum256([]byte(r.body)), "request %d: body of %d bytes differs from the handler's", i, len(r.body))
				require.Len(t, r.body, size, "request %d: body of %d bytes differs from the handler's", i, len(r.body))
			}
			require.Equal(t, 2, n.get(), "oversized body stored (%d runs)", n.get())
			assert.Equal(t, int64(0), a.cache.inflight.Load(), "in-flight bytes not released")
		})
	}
}

func TestInflightCap(t *testing.T) {
	body := strings.Repeat("x", 10000)
	a, n := countingApp(t, Policy{}, func(c *gin.Context) { c.String(200, body) }, WithMaxInflightBytes(6000))
	for range 2 {
		r := a.do("GET", "/r")
		require.Equal(t, "SKIP", r.xcache(), r.String())
		require.Equal(t, body, r.body, "body %d bytes, Cache-Status %q", len(r.body), r.header.Get("Cache-Status"))
		require.Equal(t, "gincache; fwd=bypass; detail=inflight-cap", r.header.Get("Cache-Status"), "body %d bytes, Cache-Status %q", len(r.body), r.header.Get("Cache-Status"))
	}
	require.Equal(t, 2, n.get(), "runs %d, in flight %d", n.get(), a.cache.inflight.Load())
	require.Equal(t, int64(0), a.cache.inflight.Load(), "runs %d, in flight %d", n.get(), a.cache.inflight.Load())
}

func TestFlushedResponseNotStored(t *testing.T) {
	a, n := countingApp(t, Policy{}, func(c *gin.Context) {
		c.Writer.WriteString("part one;")
		c.Writer.Flush()
		c.Writer.WriteString("part two")
	})
	for range 2 {
		r := a.do("GET", "/r")
		require.Equal(t, "SKIP", r.xcache(), r.String())
		require.Equal(t, "part one;part two", r.body, "%q %q", r.body, r.header.Get("Cache-Status"))
		require.Equal(t, "gincache; fwd=bypass; detail=streamed", r.header.Get("Cache-Status"), "%q %q", r.body, r.header.Get("Cache-Status"))
	}
	require.Equal(t, 2, n.get(), "streamed response stored")
}

func TestAbortWithoutBodyNotStored(t *testing.T) {
	a := newTestApp(t, Table{get("/r", time.Minute)})
	n := &counter{}
	a.engine.GET("/r", a.cache.Middleware(), func(c *gin.Context) { n.inc(); c.Abort() })
	for range 2 {
		r := a.do("GET", "/r")
		require.Equal(t, "MISS", r.xcache(), r.String())
	}
	require.Equal(t, 2, n.get(), "an aborted empty response was stored")
}

func TestEmptyBodyStored(t *testing.T) {
	a, n := countingApp(t, Policy{}, func(c *gin.Context) {
		c.Status(http.StatusNoContent)
		c.Writer.WriteHeaderNow()
	})
	r := a.do("GET", "/r")
	require.Equal(t, "MISS", r.xcache(), r.String())
	r = a.do("GET", "/r")
	require.Equal(t, "HIT", r.xcache(), r.String())
	require.Equal(t, http.StatusNoContent, r.status, "status %d body %q runs %d", r.status, r.body, n.get())
	require.Empty(t, r.body, "status %d body %q runs %d", r.status, r.body, n.get())
	require.Equal(t, 1, n.get(), "status %d body %q runs %d", r.status, r.body, n.get())
}

// TestVaryIsolation: an auth middleware before the cache sets user_id;
// two users never see each other's entry, and a request without a user
// is never stored.
func TestVaryIsolation(t *testing.T) {
	a := newTestApp(t, Table{{Method: "GET", Path: "/profile", Policy: Policy{TTL: time.Minute, Identity: []string{"user_id"}}}})
	a.engine.Use(func(c *gin.Context) {
		if u := c.GetHeader("X-User"); u != "" {
			c.Set("user_id", u)
		}
	}, a.cache.Middleware())
	a.engine.GET("/profile", func(c *gin.Context) {
		c.String(200, "profile of %s", c.GetString("user_id"))
	})
	for range 3 {
		for _, u := range []string{"alice", "bob"} {
			r := a.do("GET", "/profile", "X-User", u, "Authorization", "Bearer "+u)
			require.Equal(t, "profile of "+u, r.body, "%s", u)
		}
	}
	r := a.do("GET", "/profile")
	require.Equal(t, "SKIP", r.xcache(), r.String())
	require.Equal(t, "profile of ", r.body, "anonymous")
	keys, err := a.cache.Service().Keys(t.Context(), "", "", 100)
	require.NoError(t, err, "keys %v %v", keys.Keys, err)
	require.Len(t, keys.Keys, 2, "keys %v %v", keys.Keys, err)
	st := a.cache.Service().Stats()
	assert.Equal(t, uint64(4), st.Hits, "stats %+v", st)
	assert.Equal(t, uint64(2), st.Misses, "stats %+v", st)
}

func TestOtherMethodsPassThrough(t *testing.T) {
	a := newTestApp(t, Table{get("/r", time.Minute)})
	a.engine.Use(a.cache.Middleware())
	a.engine.GET("/r", func(c *gin.Context) { c.String(200, "get") })
	a.engine.HEAD("/r", func(c *gin.Context) { c.Status(200) })
	a.engine.OPTIONS("/r", func(c *gin.Context) { c.Status(204) })
	for _, m := range []string{"HEAD", "OPTIONS"} {
		r := a.do(m, "/r")
		assert.Empty(t, r.header.Get("X-Cache"), "%s got X-Cache %q", m, r.header.Get("X-Cache"))
	}
}

// A table entry without a Path (cachegen could not know it) applies to
// nothing until CheckRoutes binds it to the one route registered with its
// handler; a handler registered at two routes binds to neither.
func TestPathlessPolicyBoundByCheckRoutes(t *testing.T) {
	handler := func(c *gin.Context) { c.String(200, "x") }
	name := nameOf(t, handler)
	a := newTestApp(t, Table{{Method: "GET", Handler: name, Policy: Policy{TTL: time.Minute}}})
	a.engine.Use(a.cache.Middleware())
	a.engine.GET("/dynamic/:id", handler)
	a.engine.GET("/other", func(c *gin.Context) { c.String(200, "y") })
	r := a.do("GET", "/dynamic/1")
	require.Empty(t, r.xcache(), r.String())
	require.NoError(t, a.cache.CheckRoutes(a.engine.Routes()))
	r = a.do("GET", "/dynamic/1")
	require.Equal(t, "MISS", r.xcache(), r.String())
	r = a.do("GET", "/dynamic/1")
	require.Equal(t, "HIT", r.xcache(), r.String())
	r = a.do("GET", "/other")
	require.Empty(t, r.xcache(), r.String())

	shared := func(c *gin.Context) { c.String(200, "%s", c.FullPath()) }
	b := newTestApp(t, Table{{Method: "GET", Handler: nameOf(t, shared), Policy: Policy{TTL: time.Minute}}})
	b.engine.Use(b.cache.Middleware())
	b.engine.GET("/public/items", shared)
	b.engine.GET("/admin/items", shared)
	err := b.cache.CheckRoutes(b.engine.Routes())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "/admin/items")
	r = b.do("GET", "/public/items")
	require.Empty(t, r.xcache(), r.String())
	r = b.do("GET", "/admin/items")
	require.Empty(t, r.xcache(), r.String())
}

// nameOf returns the name Gin reports for a handler.
func nameOf(t *testing.T, h gin.HandlerFunc) string {
	t.Helper()
	r := gin.New()
	r.GET("/probe", h)
	return r.Routes()[0].Handler
}

func TestManyRoutesResolveOnce(t *testing.T) {
	var table Table
	for i := range 50 {
		table = append(table, get("/r"+strconv.Itoa(i), time.Minute))
	}
	a := newTestApp(t, table)
	a.engine.Use(a.cache.Middleware())
	for i := range 50 {
		a.engine.GET("/r"+strconv.Itoa(i), func(c *gin.Context) { c.String(200, "%d", i) })
	}
	for range 2 {
		for i := range 50 {
			r := a.do("GET", fmt.Sprintf("/r%d", i))
			require.Equal(t, strconv.Itoa(i), r.body, "route %d answered", i)
		}
	}
	got := len(*a.cache.routes.all.Load())
	require.Equal(t, 50, got, "%d route states for 50 routes", got)
	st := a.cache.Service().Stats()
	require.Equal(t, uint64(50), st.Hits, "stats %+v", st)
	require.Equal(t, uint64(50), st.Misses, "stats %+v", st)
	require.Len(t, st.Routes, 50, "stats %+v", st)
}

// A stored entry's header values share one backing array, and a miss
// sends the entry's own Etag slice: a middleware outside the cache that
// adds a value to a field, after the cache has answered, must neither
// change the entry nor overwrite a neighbouring field's value.
func TestAddingToACachedResponseLeavesTheEntryAlone(t *testing.T) {
	c, err := New(Table{{Method: "GET", Path: "/r", Policy: Policy{TTL: time.Hour}}}, quiet)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(func(gc *gin.Context) {
		gc.Next()
		for _, name := range []string{"Content-Type", "Etag", "X-One", "X-Two"} {
			gc.Writer.Header().Add(name, "added")
		}
	})
	r.Use(c.Middleware())
	r.GET("/r", func(gc *gin.Context) {
		gc.Header("X-One", "1")
		gc.Header("X-Two", "2")
		gc.String(http.StatusOK, "body")
	})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	get := func() http.Header {
		res, err := http.Get(srv.URL + "/r")
		require.NoError(t, err)
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, res.Body)
		return res.Header
	}
	miss := get()
	require.Equal(t, "MISS", miss.Get(HeaderXCache))
	etag := miss.Values("Etag")[0]
	for range 2 {
		hit := get()
		require.Equal(t, "HIT", hit.Get(HeaderXCache))
		// The outer middleware adds to the replayed fields after the
		// response is sent (the client does not see it); the entry must
		// stay as stored.
		assert.Equal(t, []string{etag}, hit.Values("Etag")[:1], "Etag")
		assert.Equal(t, []string{"1"}, hit.Values("X-One")[:1], "X-One")
		assert.Equal(t, []string{"2"}, hit.Values("X-Two")[:1], "X-Two")
		assert.Equal(t, []string{"text/plain; charset=utf-8"}, hit.Values("Content-Type")[:1], "Content-Type")
	}
}

// A hit on the memory backend allocates nothing of the cache's own: 4
// allocations fewer than the bare handler it replays (which builds its
// Content-Type value and renders), with the entry filled into the pooled
// request state and its token values read into the request's array.
// bench/ reports the same counts (8 against 12); this pins them.
func TestMemoryHitAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector (sync.Pool drops items)")
	}
	bare, cached := dataEngine(nil), dataEngine(benchCache(t))
	req := httptest.NewRequest("GET", benchTarget, nil)
	serve := func(h http.Handler) func() {
		return func() { h.ServeHTTP(httptest.NewRecorder(), req) }
	}
	serve(cached)() // the miss that fills it
	w := httptest.NewRecorder()
	cached.ServeHTTP(w, req)
	require.Equal(t, "HIT", w.Header().Get(HeaderXCache))
	b, h := testing.AllocsPerRun(200, serve(bare)), testing.AllocsPerRun(200, serve(cached))
	require.Equal(t, b-4, h, "allocations per hit: %v, bare handler %v", h, b)
}

// A stale hit on the memory backend, while the refresh it started runs,
// makes 2 allocations more than a fresh hit, for what only a stale
// response needs: its Content-Length field, and the header map's growth
// for it and Cache-Status. The entry and its token values come from Peek,
// into the request's pooled state, as a fresh hit's do, and the flight key
// it checks is built in that state too: only a request that starts a
// refresh copies it. When a Lookup read the entry again after Peek, and
// every stale hit allocated its flight key, a stale hit made 5 more.
func TestMemoryStaleHitAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector (sync.Pool drops items)")
	}
	a := newTestApp(t, Table{{Method: "GET", Path: "/items/:id", Policy: Policy{TTL: 10 * time.Second, Stale: time.Minute}}})
	a.engine.Use(a.cache.Middleware())
	entered, release := make(chan struct{}, 1), make(chan struct{})
	released := false
	t.Cleanup(func() { // before the cache's Close, which waits for the refresh
		if !released {
			close(release)
		}
	})
	runs := 0
	a.engine.GET("/items/:id", func(c *gin.Context) {
		if runs++; runs > 1 { // the refresh: held until the counts are taken
			entered <- struct{}{}
			<-release
		}
		c.Data(200, "application/json", benchBody)
	})
	req := httptest.NewRequest("GET", benchTarget, nil)
	serve := func(want string) func() {
		return func() {
			w := httptest.NewRecorder()
			a.engine.ServeHTTP(w, req)
			if got := w.Header().Get(HeaderXCache); got != want {
				t.Fatalf("X-Cache %q, want %q", got, want)
			}
		}
	}
	serve("MISS")()
	fresh := testing.AllocsPerRun(200, serve("HIT"))
	a.clock.Advance(15 * time.Second)
	serve("STALE")() // starts the refresh
	<-entered
	stale := testing.AllocsPerRun(200, serve("STALE"))
	close(release)
	released = true
	testutil.WaitFor(t, "the refresh to end", func() bool { return a.cache.flights.active() == 0 })
	require.Equal(t, fresh+2, stale, "allocations per stale hit: %v, per fresh hit %v", stale, fresh)
}
