package admin_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

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
		if r.status != 200 {
			t.Fatalf("GET /keys: %d %s", r.status, r.body)
		}
		var page admin.KeyPage
		r.json(t, &page)
		if page.Keys == nil {
			t.Fatalf("keys is null, want a list: %s", r.body)
		}
		inPage := map[string]bool{}
		for _, k := range page.Keys {
			if inPage[k.Key] {
				t.Fatalf("key %q twice in one page", k.Key)
			}
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
		if err := a.cache.Service().Set(context.Background(), "manual/greeting", []byte("hi"), 90*time.Second); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"other:1:GET:x/items::", "gincache2:1:GET:x/items::", "gincach", "GINCACHE:1:x"} {
			storeForeign(t, be, k)
		}
		want := ourKeys(t, be)
		if len(want) != 6 {
			t.Fatalf("the backend holds %d entries under the prefix, want 6: %v", len(want), want)
		}

		got := listAll(t, a, "&count=2")
		if !maps.Equal(keySet(got), want) {
			t.Fatalf("GET /keys listed %v, want %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
		}
		for k, ttl := range got {
			limit := int64(3600)
			if k == "manual/greeting" {
				limit = 90
			}
			if ttl < 1 || ttl > limit {
				t.Errorf("%s: ttl %d, want 1..%d", k, ttl, limit)
			}
		}

		// A pattern selects below the prefix.
		items := listAll(t, a, "&pattern="+url.QueryEscape("*/items*"))
		if len(items) != 3 {
			t.Errorf("pattern */items* listed %v, want the 3 item entries", slices.Sorted(maps.Keys(items)))
		}
		for k := range items {
			if !strings.Contains(k, "/items") {
				t.Errorf("pattern */items* listed %q", k)
			}
		}
		// Default count and an empty pattern: everything, one page.
		r := a.do("GET", base+"/keys?pattern=")
		var page admin.KeyPage
		r.json(t, &page)
		if len(page.Keys) != 6 || page.Cursor != "0" {
			t.Errorf("GET /keys?pattern= : %d keys, cursor %q", len(page.Keys), page.Cursor)
		}
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
		if r.status != 200 || strings.TrimSpace(string(r.body)) != `{"deleted":true}` {
			t.Fatalf("DELETE %s: %d %s", target, r.status, r.body)
		}
		if present(t, be, gincache.DefaultKeyPrefix+":"+target) {
			t.Fatal("the entry is still in the backend")
		}
		if got := ourKeys(t, be); len(got) != 1 {
			t.Fatalf("DELETE removed more than its key: %v left", got)
		}
		if r := a.do("GET", "/items/1"); r.header.Get("X-Cache") != "MISS" {
			t.Errorf("GET after DELETE: X-Cache %q", r.header.Get("X-Cache"))
		}
		if r := a.do("GET", "/items/2"); r.header.Get("X-Cache") != "HIT" {
			t.Errorf("the other entry: X-Cache %q", r.header.Get("X-Cache"))
		}

		r = a.do("DELETE", base+"/keys/"+url.PathEscape(target)+"-gone")
		checkJSON(t, "DELETE missing", r)
		if msg, param := r.errorBody(t); r.status != 404 || param != "key" || !strings.Contains(msg, "-gone") {
			t.Fatalf("DELETE of a missing key: %d %s", r.status, r.body)
		}
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
					if err := svc.Set(context.Background(), k, []byte(k), time.Minute); err != nil {
						t.Fatal(err)
					}
				}
				for i, k := range keys {
					r := a.do("DELETE", base+"/keys/"+url.PathEscape(k))
					if r.status != 200 {
						t.Fatalf("UseRawPath=%v: DELETE %q: %d %s", raw, k, r.status, r.body)
					}
					left := ourKeys(t, be)
					if left[k] || len(left) != len(keys)-i-1 {
						t.Fatalf("UseRawPath=%v: after DELETE %q the backend holds %v", raw, k, left)
					}
				}
				// A key with nothing to escape but '/' may go as it is.
				if err := svc.Set(context.Background(), "plain/path/key", []byte("x"), time.Minute); err != nil {
					t.Fatal(err)
				}
				if r := a.do("DELETE", base+"/keys/plain/path/key"); r.status != 200 || ourKeys(t, be)["plain/path/key"] {
					t.Fatalf("UseRawPath=%v: unescaped DELETE: %d %s", raw, r.status, r.body)
				}
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
		if r.status != 200 || strings.TrimSpace(string(r.body)) != `{"cleared":2}` {
			t.Fatalf("clear */items/*: %d %s", r.status, r.body)
		}
		left := ourKeys(t, be)
		if len(left) != 2 {
			t.Fatalf("after clearing */items/*, left: %v", left)
		}
		for k := range left {
			if strings.Contains(k, "/items/") {
				t.Errorf("%q survived the clear", k)
			}
		}
		r = a.do("POST", base+"/clear")
		if r.status != 200 || strings.TrimSpace(string(r.body)) != `{"cleared":2}` {
			t.Fatalf("clear: %d %s", r.status, r.body)
		}
		if left := ourKeys(t, be); len(left) != 0 {
			t.Fatalf("after clear, left: %v", left)
		}
		if r := a.do("POST", base+"/clear"); strings.TrimSpace(string(r.body)) != `{"cleared":0}` {
			t.Fatalf("clearing an empty cache: %s", r.body)
		}
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
			if r := a.do("POST", path); r.status != 200 {
				t.Fatalf("POST %s: %d %s", path, r.status, r.body)
			}
			for k := range listAll(t, a, "&pattern="+url.QueryEscape(p)) {
				if !present(t, be, gincache.DefaultKeyPrefix+":"+k) {
					t.Errorf("GET /keys?pattern=%s listed %q, which is not ours", p, k)
				}
			}
			for _, k := range foreign {
				if !present(t, be, k) {
					t.Fatalf("POST %s deleted the foreign entry %q", path, k)
				}
				if bc.rawPresent != nil && !bc.rawPresent(t, k) {
					t.Fatalf("POST %s deleted the foreign raw key %q", path, k)
				}
			}
			a.do("POST", base+"/clear")
		}
		if left := ourKeys(t, be); len(left) != 0 {
			t.Fatalf("our keys left: %v", left)
		}
		if got := len(entryKeys(t, be)); got != len(foreign) {
			t.Fatalf("the backend holds %d keys, want the %d foreign ones", got, len(foreign))
		}
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
			if r.status != 200 || strings.TrimSpace(string(r.body)) != wantBody {
				t.Fatalf("POST /invalidate?%s: %d %s, want %s", query, r.status, r.body, wantBody)
			}
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
			if got := state(tc.query, tc.body); !slices.Equal(got, tc.missed) {
				t.Errorf("after POST /invalidate?%s, misses on %v, want %v", tc.query, got, tc.missed)
			}
		}
		if got := a.cache.Service().Stats().Invalidations - before; got != uint64(len(cases)) {
			t.Errorf("stats count %d invalidations, want %d", got, len(cases))
		}
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
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("GET /stats:\n%s\nService.Stats:\n%+v", r.body, want)
		}
		if got.Hits != 2 || got.Misses != 2 || got.HitRate != 0.5 || got.Skips["no-cache"] != 1 || got.Invalidations != 1 {
			t.Fatalf("counters: %s", r.body)
		}
		var raw map[string]any
		r.json(t, &raw)
		for _, k := range []string{"hits", "misses", "hit_rate", "skips", "not_stored", "stores", "invalidations", "backend_errors", "routes"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("GET /stats has no %q", k)
			}
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
		if r.status != 200 || !h.OK || h.Backend != bc.name || h.Error != "" {
			t.Fatalf("healthy: %d %s", r.status, r.body)
		}

		// A closed backend fails every call: each route says so with a
		// 503, never a 500 or a hang.
		if err := be.Close(); err != nil {
			t.Fatal(err)
		}
		r = a.do("GET", base+"/health")
		checkJSON(t, "GET /health, backend down", r)
		h = gincache.Health{}
		r.json(t, &h)
		if r.status != 503 || h.OK || h.Error == "" || h.Backend != bc.name {
			t.Fatalf("backend down: %d %s", r.status, r.body)
		}
		for _, req := range []string{"GET /keys", "DELETE /keys/x", "POST /clear", "POST /clear?pattern=*", "POST /invalidate?path=/items", "POST /invalidate?target=/items/*"} {
			method, path, _ := strings.Cut(req, " ")
			r := a.do(method, base+path)
			checkJSON(t, req, r)
			if msg, _ := r.errorBody(t); r.status != 503 || !strings.Contains(msg, "backend") {
				t.Errorf("%s with the backend down: %d %s", req, r.status, r.body)
			}
		}
		if r := a.do("GET", base+"/stats"); r.status != 200 {
			t.Errorf("stats need no backend: %d", r.status)
		}
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
			if r.status != 400 || param != tc.param || !strings.HasPrefix(msg, tc.param+":") {
				t.Errorf("%s: %d %s, want 400 naming %q", name, r.status, r.body, tc.param)
			}
		}
		if after := ourKeys(t, be); !maps.Equal(before, after) {
			t.Errorf("bad requests changed the cache: %v -> %v", before, after)
		}
		if got := a.cache.Service().Stats().Invalidations; got != invalidations {
			t.Errorf("bad requests invalidated %d times", got-invalidations)
		}
		for _, p := range []string{"/items", "/items/1", "/spaces/1"} {
			if r := a.do("GET", p); r.header.Get("X-Cache") != "HIT" {
				t.Errorf("GET %s after the bad requests: %s", p, r.header.Get("X-Cache"))
			}
		}
	})
}

// TestErrorMessagesAreJSONSafe checks that hostile input comes back
// inside a JSON string, never as markup.
func TestErrorMessagesAreJSONSafe(t *testing.T) {
	a := newApp(t, backends()[0].open(t), appConfig{})
	r := a.do("DELETE", base+"/keys/"+url.PathEscape(`<script>alert(1)</script>"`))
	if r.status != 404 || strings.Contains(string(r.body), "<script>") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var e map[string]string
	if err := json.Unmarshal(r.body, &e); err != nil || !strings.Contains(e["error"], `<script>alert(1)</script>\"`) {
		t.Fatalf("error %q (%v)", e["error"], err)
	}
}

func TestDashboardPage(t *testing.T) {
	a := newApp(t, backends()[0].open(t), appConfig{})
	r := a.do("GET", base+"/")
	if r.status != 200 || r.header.Get("Content-Type") != "text/html; charset=utf-8" || !strings.HasPrefix(string(r.body), "<!doctype html>") {
		t.Fatalf("GET %s/: %d %q", base, r.status, r.header.Get("Content-Type"))
	}
	for name, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Cache-Control":          "no-store",
		"Referrer-Policy":        "no-referrer",
	} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'sha256-") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	// The page calls the API by relative paths, which resolve under the
	// base only from {base}/; {base} itself redirects there.
	for _, rel := range []string{`"stats"`, `"health"`, `"keys?"`, `"keys/"`, `"clear"`} {
		if !strings.Contains(string(r.body), rel) {
			t.Errorf("the page does not call %s", rel)
		}
	}
	client := *a.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if r := send(t, &client, "GET", a.srv.URL+base); r.status != 301 || r.header.Get("Location") != base+"/" {
		t.Errorf("GET %s: %d to %q", base, r.status, r.header.Get("Location"))
	}
}
