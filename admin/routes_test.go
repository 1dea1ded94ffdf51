package admin_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/admin"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

const base = admin.DefaultBase

// listAll walks GET /keys to the end and returns every key with its ttl,
// failing on a key seen twice in one page.
func listAll(t *testing.T, a *testApp, query string) map[string]int64 {
	t.Helper()
	all := map[string]int64{}
	cursor := "0"
	for range 10000 {
		r := a.do("GET", base+"/keys?cursor="+url.QueryEscape(cursor)+query)
		checkJSON(t, "GET /keys", r)
		require.Equal(t, 200, r.status, "GET /keys: %d %s", r.status, r.body)
		var page admin.KeyPage
		r.json(t, &page)
		require.NotNil(t, page.Keys, "keys is null, want a list: %s", r.body)
		inPage := map[string]bool{}
		for _, k := range page.Keys {
			require.False(t, inPage[k.Key], "key %q twice in one page", k.Key)
			inPage[k.Key] = true
			all[k.Key] = k.TTL
		}
		if page.Cursor == "0" {
			return all
		}
		cursor = page.Cursor
	}
	t.Fatal("listing never ended")
	return nil
}

func TestKeysListsEntriesUnderThePrefixOnly(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		be := bc.open(t)
		a := newApp(t, be, appConfig{})
		a.fill("/items", "/items/1", "/items/2", "/spaces/1", "/spaces/1?b=2&a=1")
		require.NoError(t, a.cache.Service().Set(context.Background(), "manual/greeting", []byte("hi"), 90*time.Second))
		for _, k := range []string{"other:1:GET:x/items::", "gincache2:1:GET:x/items::", "gincach", "GINCACHE:1:x"} {
			storeForeign(t, be, k)
		}
		want := ourKeys(t, be)
		require.Len(t, want, 6, "the backend holds %d entries under the prefix", len(want))

		got := listAll(t, a, "&count=2")
		require.Equal(t, want, keySet(got), "GET /keys listed %v", slices.Sorted(maps.Keys(got)))
		for k, ttl := range got {
			limit := int64(3600)
			if k == "manual/greeting" {
				limit = 90
			}
			assert.GreaterOrEqual(t, ttl, int64(1), "%s: ttl %d, want 1..%d", k, ttl, limit)
			assert.LessOrEqual(t, ttl, limit, "%s: ttl %d, want 1..%d", k, ttl, limit)
		}

		// A pattern selects below the prefix.
		items := listAll(t, a, "&pattern="+url.QueryEscape("*/items*"))
		assert.Len(t, items, 3, "pattern */items* listed %v", slices.Sorted(maps.Keys(items)))
		for k := range items {
			assert.Contains(t, k, "/items", "pattern */items* listed %q", k)
		}
		// Default count and an empty pattern: everything, one page.
		r := a.do("GET", base+"/keys?pattern=")
		var page admin.KeyPage
		r.json(t, &page)
		assert.Len(t, page.Keys, 6, "GET /keys?pattern= : %d keys, cursor %q", len(page.Keys), page.Cursor)
		assert.Equal(t, "0", page.Cursor, "GET /keys?pattern= : %d keys, cursor %q", len(page.Keys), page.Cursor)
	})
}

func keySet(m map[string]int64) map[string]bool {
	s := map[string]bool{}
	for k := range m {
		s[k] = true
	}
	return s
}

func TestDeleteKey(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		be := bc.open(t)
		a := newApp(t, be, appConfig{})
		a.fill("/items/1", "/items/2")
		var target string
		for k := range ourKeys(t, be) {
			if strings.Contains(k, "/items/1") {
				target = k
			}
		}
		r := a.do("DELETE", base+"/keys/"+url.PathEscape(target))
		checkJSON(t, "DELETE", r)
		require.Equal(t, 200, r.status, "DELETE %s: %d %s", target, r.status, r.body)
		require.Equal(t, `{"deleted":true}`, strings.TrimSpace(string(r.body)), "DELETE %s: %d %s", target, r.status, r.body)
		require.False(t, present(t, be, gincache.DefaultKeyPrefix+":"+target), "the entry is still in the backend")
		got := ourKeys(t, be)
		require.Len(t, got, 1, "DELETE removed more than its key: %v left", got)
		r = a.do("GET", "/items/1")
		assert.Equal(t, "MISS", r.header.Get("X-Cache"), "GET after DELETE: X-Cache")
		r = a.do("GET", "/items/2")
		assert.Equal(t, "HIT", r.header.Get("X-Cache"), "the other entry: X-Cache")

		r = a.do("DELETE", base+"/keys/"+url.PathEscape(target)+"-gone")
		checkJSON(t, "DELETE missing", r)
		msg, param := r.errorBody(t)
		require.Equal(t, 404, r.status, "DELETE of a missing key: %d %s", r.status, r.body)
		require.Equal(t, "key", param, "DELETE of a missing key: %d %s", r.status, r.body)
		require.Contains(t, msg, "-gone", "DELETE of a missing key: %d %s", r.status, r.body)
	})
}

// TestDeleteKeyEscapes sends keys holding '/', '%', '?', '#', '+',
// spaces and non-ASCII, escaped as a path segment, on engines with and
// without UseRawPath, and unescaped where the key allows it.
func TestDeleteKeyEscapes(t *testing.T) {
	keys := []string{"manual/a/b", "with%2Fescape", "q?x=1#frag", "plus+sign", "a space", "日本/ключ", "trailing/"}
	for _, raw := range []bool{false, true} {
		t.Run("UseRawPath="+strconv.FormatBool(raw), func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, bc backendCase) {
				be := bc.open(t)
				a := newApp(t, be, appConfig{rawPath: raw})
				svc := a.cache.Service()
				for _, k := range keys {
					require.NoError(t, svc.Set(context.Background(), k, []byte(k), time.Minute))
				}
				for i, k := range keys {
					r := a.do("DELETE", base+"/keys/"+url.PathEscape(k))
					require.Equal(t, 200, r.status, "UseRawPath=%v: DELETE %q: %d %s", raw, k, r.status, r.body)
					left := ourKeys(t, be)
					require.False(t, left[k], "UseRawPath=%v: after DELETE %q the backend holds %v", raw, k, left)
					require.Len(t, left, len(keys)-i-1, "UseRawPath=%v: after DELETE %q", raw, k)
				}
				// A key with nothing to escape but '/' may go as it is.
				require.NoError(t, svc.Set(context.Background(), "plain/path/key", []byte("x"), time.Minute))
				r := a.do("DELETE", base+"/keys/plain/path/key")
				require.Equal(t, 200, r.status, "UseRawPath=%v: unescaped DELETE: %s", raw, r.body)
				require.False(t, ourKeys(t, be)["plain/path/key"], "UseRawPath=%v: unescaped DELETE left the key", raw)
			})
		})
	}
}

func TestClear(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		be := bc.open(t)
		a := newApp(t, be, appConfig{})
		a.fill("/items", "/items/1", "/items/2", "/spaces/1")

		r := a.do("POST", base+"/clear?pattern="+url.QueryEscape("*/items/*"))
		checkJSON(t, "POST /clear?pattern", r)
		require.Equal(t, 200, r.status, "clear */items/*: %d %s", r.status, r.body)
		require.Equal(t, `{"cleared":2}`, strings.TrimSpace(string(r.body)), "clear */items/*: %d %s", r.status, r.body)
		left := ourKeys(t, be)
		require.Len(t, left, 2, "after clearing */items/*, left")
		for k := range left {
			assert.NotContains(t, k, "/items/", "%q survived the clear", k)
		}
		r = a.do("POST", base+"/clear")
		require.Equal(t, 200, r.status, "clear: %d %s", r.status, r.body)
		require.Equal(t, `{"cleared":2}`, strings.TrimSpace(string(r.body)), "clear: %d %s", r.status, r.body)
		left = ourKeys(t, be)
		require.Empty(t, left, "after clear, left")
		r = a.do("POST", base+"/clear")
		require.Equal(t, `{"cleared":0}`, strings.TrimSpace(string(r.body)), "clearing an empty cache: %s", r.body)
	})
}

// TestClearNeverTouchesForeignKeys shares the backend with keys of other
// applications, some with names close to the prefix, and tries patterns
// that would reach them if the prefix were not enforced.
func TestClearNeverTouchesForeignKeys(t *testing.T) {
	foreign := []string{
		"other:1:GET:x/items::", "gincache2:1:GET:x/items::", "gincach", "gincache", "GINCACHE:1:x",
		"xgincache:1:GET:x/items::", "gincache_:1", "gincache.1:GET", "session:42",
	}
	patterns := []string{"*", "**", "../*", "*:*", "\\*", "[a-z]*", "?*", "*gincache*", "*items*", ""}
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		be := bc.open(t)
		a := newApp(t, be, appConfig{})
		for _, k := range foreign {
			storeForeign(t, be, k)
			if bc.putRaw != nil {
				bc.putRaw(t, k)
			}
		}
		for _, p := range patterns {
			a.fill("/items", "/items/1", "/spaces/1")
			path := base + "/clear"
			if p != "" {
				path += "?pattern=" + url.QueryEscape(p)
			}
			r := a.do("POST", path)
			require.Equal(t, 200, r.status, "POST %s: %d %s", path, r.status, r.body)
			for k := range listAll(t, a, "&pattern="+url.QueryEscape(p)) {
				assert.True(t, present(t, be, gincache.DefaultKeyPrefix+":"+k), "GET /keys?pattern=%s listed %q, which is not ours", p, k)
			}
			for _, k := range foreign {
				require.True(t, present(t, be, k), "POST %s deleted the foreign entry %q", path, k)
				if bc.rawPresent != nil {
					require.True(t, bc.rawPresent(t, k), "POST %s deleted the foreign raw key %q", path, k)
				}
			}
			a.do("POST", base+"/clear")
		}
		left := ourKeys(t, be)
		require.Empty(t, left, "our keys left")
		got := len(entryKeys(t, be))
		require.Len(t, foreign, got, "the backend holds %d keys", got)
	})
}

func TestInvalidate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		be := bc.open(t)
		a := newApp(t, be, appConfig{})
		paths := []string{"/items", "/items/1", "/spaces", "/spaces/1", "/spaces/2"}
		// state fills every path, then posts the invalidation and reports
		// which paths now miss.
		state := func(query string, wantBody string) []string {
			t.Helper()
			a.do("POST", base+"/clear")
			a.fill(paths...)
			r := a.do("POST", base+"/invalidate?"+query)
			checkJSON(t, "POST /invalidate", r)
			require.Equal(t, 200, r.status, "POST /invalidate?%s: %d %s, want %s", query, r.status, r.body, wantBody)
			require.Equal(t, wantBody, strings.TrimSpace(string(r.body)), "POST /invalidate?%s: %d %s, want %s", query, r.status, r.body, wantBody)
			var missed []string
			for _, p := range paths {
				if r := a.do("GET", p); r.header.Get("X-Cache") == "MISS" {
					missed = append(missed, p)
				}
			}
			return missed
		}
		cases := []struct {
			query, body string
			missed      []string
		}{
			{"path=/spaces/1", `{"invalidated":true,"method":"PUT","path":"/spaces/1"}`, []string{"/spaces", "/spaces/1"}},
			{"path=/spaces/1&method=delete", `{"invalidated":true,"method":"DELETE","path":"/spaces/1"}`, []string{"/spaces", "/spaces/1"}},
			{"path=/spaces&method=POST", `{"invalidated":true,"method":"POST","path":"/spaces"}`, []string{"/spaces"}},
			{"target=/spaces/*", `{"invalidated":true,"target":"/spaces/*"}`, []string{"/spaces", "/spaces/1", "/spaces/2"}},
			{"target=/items", `{"invalidated":true,"target":"/items"}`, []string{"/items"}},
		}
		before := a.cache.Service().Stats().Invalidations
		for _, tc := range cases {
			got := state(tc.query, tc.body)
			assert.Equal(t, tc.missed, got, "after POST /invalidate?%s, misses on", tc.query)
		}
		got := a.cache.Service().Stats().Invalidations - before
		assert.Equal(t, uint64(len(cases)), got, "stats count %d invalidations", got)
	})
}

func TestStatsMatchService(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		be := bc.open(t)
		a := newApp(t, be, appConfig{})
		a.fill("/items", "/items/1")
		a.do("GET", "/items")
		a.do("GET", "/items")
		a.do("GET", "/items", "Cache-Control", "no-cache")
		a.do("PUT", "/spaces/1")

		r := a.do("GET", base+"/stats")
		checkJSON(t, "GET /stats", r)
		var got gincache.Stats
		r.json(t, &got)
		want := a.cache.Service().Stats()
		require.Equal(t, want, got, "GET /stats:\n%s\nService.Stats", r.body)
		require.Equal(t, uint64(2), got.Hits, "counters: %s", r.body)
		require.Equal(t, uint64(2), got.Misses, "counters: %s", r.body)
		require.Equal(t, 0.5, got.HitRate, "counters: %s", r.body)
		require.Equal(t, uint64(1), got.Skips["no-cache"], "counters: %s", r.body)
		require.Equal(t, uint64(1), got.Invalidations, "counters: %s", r.body)
		var raw map[string]any
		r.json(t, &raw)
		for _, k := range []string{"hits", "misses", "hit_rate", "skips", "not_stored", "stores", "invalidations", "backend_errors", "routes"} {
			_, ok := raw[k]
			assert.True(t, ok, "GET /stats has no %q", k)
		}
	})
}

func TestHealthAndBackendFailure(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		be := bc.open(t)
		a := newApp(t, be, appConfig{})
		a.fill("/items/1")
		r := a.do("GET", base+"/health")
		checkJSON(t, "GET /health", r)
		var h gincache.Health
		r.json(t, &h)
		require.Equal(t, 200, r.status, "healthy: %d %s", r.status, r.body)
		require.True(t, h.OK, "healthy: %d %s", r.status, r.body)
		require.Equal(t, bc.name, h.Backend, "healthy: %d %s", r.status, r.body)
		require.Empty(t, h.Error, "healthy: %d %s", r.status, r.body)

		// A closed backend fails every call: each route says so with a
		// 503, never a 500 or a hang.
		require.NoError(t, be.Close())
		r = a.do("GET", base+"/health")
		checkJSON(t, "GET /health, backend down", r)
		h = gincache.Health{}
		r.json(t, &h)
		require.Equal(t, 503, r.status, "backend down: %d %s", r.status, r.body)
		require.False(t, h.OK, "backend down: %d %s", r.status, r.body)
		require.NotEmpty(t, h.Error, "backend down: %d %s", r.status, r.body)
		require.Equal(t, bc.name, h.Backend, "backend down: %d %s", r.status, r.body)
		for _, req := range []string{"GET /keys", "DELETE /keys/x", "POST /clear", "POST /clear?pattern=*", "POST /invalidate?path=/items", "POST /invalidate?target=/items/*"} {
			method, path, _ := strings.Cut(req, " ")
			r := a.do(method, base+path)
			checkJSON(t, req, r)
			msg, _ := r.errorBody(t)
			assert.Equal(t, 503, r.status, "%s with the backend down: %d %s", req, r.status, r.body)
			assert.Contains(t, msg, "backend", "%s with the backend down: %d %s", req, r.status, r.body)
		}
		r = a.do("GET", base+"/stats")
		assert.Equal(t, 200, r.status, "stats need no backend")
	})
}

// TestBadParameters sends every kind of bad input to every route: each
// gets a 400 naming the parameter, and none changes the cache.
func TestBadParameters(t *testing.T) {
	long := strings.Repeat("k", gincache.MaxKeyLen+1)
	longPattern := strings.Repeat("p", gincache.MaxPatternLen+1)
	cases := []struct{ req, param string }{
		{"GET /keys?count=abc", "count"},
		{"GET /keys?count=0", "count"},
		{"GET /keys?count=-1", "count"},
		{"GET /keys?count=1001", "count"},
		{"GET /keys?count=1.5", "count"},
		{"GET /keys?count=", "count"},
		{"GET /keys?cursor=!!", "cursor"},
		{"GET /keys?cursor=a", "cursor"},
		{"GET /keys?pattern=" + longPattern, "pattern"},
		{"GET /keys?pattern=a&pattern=b", "pattern"},
		{"GET /keys?bogus=1", "bogus"},
		{"GET /keys?pattern=%zz", "query"},
		{"GET /keys?a=1;b=2", "query"},
		{"GET /keys?=1", "query"}, // found by FuzzAdminQuery: a name-less parameter was a 400 without a param
		{"POST /clear?=", "query"},
		{"DELETE /keys/" + long, "key"},
		{"DELETE /keys/", "key"},
		{"DELETE /keys/x?y=1", "y"},
		{"POST /clear?pattern=", "pattern"},
		{"POST /clear?pattern=" + longPattern, "pattern"},
		{"POST /clear?patern=*", "patern"},
		{"POST /clear?pattern=%zz", "query"},
		{"POST /clear?pattern=*&pattern=*", "pattern"},
		{"POST /invalidate", "path"},
		{"POST /invalidate?method=PUT", "path"},
		{"POST /invalidate?path=spaces/1", "path"},
		{"POST /invalidate?path=", "path"},
		{"POST /invalidate?path=/" + long, "path"},
		{"POST /invalidate?path=/spaces/*", "path"},
		{"POST /invalidate?path=/spaces&method=GET", "method"},
		{"POST /invalidate?path=/spaces&method=", "method"},
		{"POST /invalidate?path=/a&target=/b", "target"},
		{"POST /invalidate?target=/a&method=PUT", "method"},
		{"POST /invalidate?target=a", "target"},
		{"POST /invalidate?target=/" + long, "target"},
		{"POST /invalidate?paths=/a", "paths"},
		{"GET /stats?reset=1", "reset"},
		{"GET /health?x=1", "x"},
		{"GET /?x=1", "x"},
	}
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		be := bc.open(t)
		a := newApp(t, be, appConfig{})
		a.fill("/items", "/items/1", "/spaces/1")
		before := ourKeys(t, be)
		invalidations := a.cache.Service().Stats().Invalidations
		for _, tc := range cases {
			method, path, _ := strings.Cut(tc.req, " ")
			r := a.do(method, base+path)
			name := tc.req
			if len(name) > 80 {
				name = name[:80] + "..."
			}
			checkJSON(t, name, r)
			msg, param := r.errorBody(t)
			assert.Equal(t, 400, r.status, "%s: %d %s, want 400 naming %q", name, r.status, r.body, tc.param)
			assert.Equal(t, tc.param, param, "%s: %d %s, want 400 naming %q", name, r.status, r.body, tc.param)
			assert.True(t, strings.HasPrefix(msg, tc.param+":"), "%s: %d %s, want 400 naming %q", name, r.status, r.body, tc.param)
		}
		after := ourKeys(t, be)
		assert.Equal(t, after, before, "bad requests changed the cache: %v ->", before)
		got := a.cache.Service().Stats().Invalidations
		assert.Equal(t, invalidations, got, "bad requests invalidated %d times", got-invalidations)
		for _, p := range []string{"/items", "/items/1", "/spaces/1"} {
			r := a.do("GET", p)
			assert.Equal(t, "HIT", r.header.Get("X-Cache"), "GET %s after the bad requests", p)
		}
	})
}

// TestErrorMessagesAreJSONSafe checks that hostile input comes back
// inside a JSON string, never as markup.
func TestErrorMessagesAreJSONSafe(t *testing.T) {
	a := newApp(t, backends()[0].open(t), appConfig{})
	r := a.do("DELETE", base+"/keys/"+url.PathEscape(`<script>alert(1)</script>"`))
	require.Equal(t, 404, r.status, "%d %s", r.status, r.body)
	require.NotContains(t, string(r.body), "<script>", "%d %s", r.status, r.body)
	var e map[string]string
	err := json.Unmarshal(r.body, &e)
	require.NoError(t, err, "error %q (%v)", e["error"], err)
	require.Contains(t, e["error"], `<script>alert(1)</script>\"`, "error %q (%v)", e["error"], err)
}

func TestDashboardPage(t *testing.T) {
	a := newApp(t, backends()[0].open(t), appConfig{})
	r := a.do("GET", base+"/")
	require.Equal(t, 200, r.status, "GET %s/: %d %q", base, r.status, r.header.Get("Content-Type"))
	require.Equal(t, "text/html; charset=utf-8", r.header.Get("Content-Type"), "GET %s/: %d %q", base, r.status, r.header.Get("Content-Type"))
	require.True(t, strings.HasPrefix(string(r.body), "<!doctype html>"), "GET %s/: %d %q", base, r.status, r.header.Get("Content-Type"))
	for name, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Cache-Control":          "no-store",
		"Referrer-Policy":        "no-referrer",
	} {
		got := r.header.Get(name)
		assert.Equal(t, want, got, "%s", name)
	}
	csp := r.header.Get("Content-Security-Policy")
	assert.Contains(t, csp, "default-src 'none'", "Content-Security-Policy %q", csp)
	assert.Contains(t, csp, "script-src 'sha256-", "Content-Security-Policy %q", csp)
	// The page calls the API by relative paths, which resolve under the
	// base only from {base}/; {base} itself redirects there.
	for _, rel := range []string{`"stats"`, `"health"`, `"keys?"`, `"keys/"`, `"clear"`} {
		assert.Contains(t, string(r.body), rel, "the page does not call %s", rel)
	}
	client := *a.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r = send(t, &client, "GET", a.srv.URL+base)
	assert.Equal(t, 301, r.status, "GET %s: %d to %q", base, r.status, r.header.Get("Location"))
	assert.Equal(t, base+"/", r.header.Get("Location"), "GET %s: %d to %q", base, r.status, r.header.Get("Location"))
}
