package main

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen/internal/explain"
	"github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen/internal/generator"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
	"github.com/intelligentcache/gin-intelligent-cache/policy"
)

// TestGeneratorLinksNoRuntime: cachegen reads the table types and the
// invalidation rule from package policy, so building it compiles no Gin,
// no Redis client and no in-memory cache.
func TestGeneratorLinksNoRuntime(t *testing.T) {
	for _, pkg := range []string{"./cmd/cachegen", "./policy"} {
		deps := testutil.RunGo(t, "../..", testutil.GoEnv(), "list", "-deps", pkg)
		require.Contains(t, deps, "github.com/intelligentcache/gin-intelligent-cache/policy\n", "the listing is of %s", pkg)
		for _, banned := range []string{"github.com/gin-gonic/gin", "github.com/redis/go-redis", "github.com/maypok86/otter"} {
			assert.NotContains(t, deps, banned, "%s depends on %s", pkg, banned)
		}
	}
}

// TestExplainAgreesWithRuntime runs every write route of the examples
// against every cached route of the same table on a real Gin engine with
// the middleware, and checks that the cached route misses after the write
// exactly when -explain says the write invalidates it.
func TestExplainAgreesWithRuntime(t *testing.T) {
	gin.SetMode(gin.TestMode)
	res, err := generator.Generate(generator.Config{Dir: "../..", Patterns: []string{"./example/...", "./internal/quickstart"}})
	require.NoError(t, err)
	require.False(t, res.Failed(), "%v", res.Diagnostics)
	checked := 0
	for _, f := range res.Files {
		t.Run(f.Package, func(t *testing.T) {
			checked += agreeOnTable(t, f.Table, f.Writes)
		})
	}
	assert.Greater(t, checked, 20, "write and cached route pairs checked")
}

// agreeOnTable checks one table and returns how many pairs it checked.
func agreeOnTable(t *testing.T, table policy.Table, writes []policy.Route) int {
	cache, err := gincache.New(table, gincache.WithDefaultTTL(time.Hour))
	require.NoError(t, err)
	t.Cleanup(func() { _ = cache.Close() })

	var ctxKeys []string
	header := http.Header{}
	for _, r := range table {
		for _, v := range append(slices.Clone(r.Policy.Vary), r.Policy.Identity...) {
			src, err := policy.ParseVary(v)
			require.NoError(t, err)
			switch src.Kind {
			case policy.VaryContext:
				ctxKeys = append(ctxKeys, src.Name)
			case policy.VaryHeader:
				header.Set(src.Name, "1")
			case policy.VaryCookie:
				header.Add("Cookie", src.Name+"=1")
			}
		}
	}
	r := gin.New()
	r.Use(func(c *gin.Context) {
		for _, k := range ctxKeys {
			c.Set(k, "u1")
		}
	}, cache.Middleware())
	registered := map[string]bool{}
	for _, rt := range append(slices.Clone([]policy.Route(table)), writes...) {
		if rt.Path == "" || registered[rt.Method+" "+rt.Path] {
			continue
		}
		registered[rt.Method+" "+rt.Path] = true
		r.Handle(rt.Method, rt.Path, func(c *gin.Context) {
			c.Header("X-Route", c.FullPath())
			c.String(http.StatusOK, "ok")
		})
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	do := func(method, path string) *http.Response {
		req, err := http.NewRequest(method, srv.URL+path, nil)
		require.NoError(t, err)
		if method == http.MethodGet {
			req.Header = header.Clone()
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		return resp
	}

	checked := 0
	for _, w := range explain.Map(table, writes) {
		if w.Route.Path == "" {
			continue
		}
		for _, g := range table {
			if g.Method != http.MethodGet || g.Path == "" {
				continue
			}
			wp, gp, ok := concrete(w.Route.Path, g.Path)
			if !ok {
				continue
			}
			want := slices.ContainsFunc(w.Hits, func(h explain.Hit) bool { return h.Route.Path == g.Path })
			first := do(http.MethodGet, gp)
			if first.Header.Get("X-Route") != g.Path {
				continue // another route serves that path: no request pair to try
			}
			require.Equal(t, "HIT", do(http.MethodGet, gp).Header.Get(gincache.HeaderXCache), "GET %s (%s) is cached", gp, g.Path)
			wr := do(w.Route.Method, wp)
			if wr.Header.Get("X-Route") != w.Route.Path {
				continue
			}
			require.Equal(t, http.StatusOK, wr.StatusCode)
			got := do(http.MethodGet, gp).Header.Get(gincache.HeaderXCache) == "MISS"
			assert.Equal(t, want, got, "%s %s (as %s) invalidates GET %s (as %s): -explain says %v, the middleware did %v",
				w.Route.Method, w.Route.Path, wp, g.Path, gp, want, got)
			checked++
		}
	}
	return checked
}

// concrete turns a write's and a GET's route patterns into request paths
// that share every segment they can: a parameter takes the other route's
// literal segment at the same place, or "1". Catch-alls are left out.
func concrete(write, get string) (string, string, bool) {
	ws, gs := policy.Segments(write), policy.Segments(get)
	fill := func(own, other []string) (string, bool) {
		out := make([]string, len(own))
		for i, s := range own {
			if strings.HasPrefix(s, "*") {
				return "", false
			}
			out[i] = s
			if _, ok := policy.Param(s); ok {
				out[i] = "1"
				if i < len(other) {
					if _, p := policy.Param(other[i]); !p {
						out[i] = other[i]
					}
				}
			}
		}
		return "/" + strings.Join(out, "/"), true
	}
	wp, ok1 := fill(ws, gs)
	gp, ok2 := fill(gs, ws)
	return wp, gp, ok1 && ok2
}
