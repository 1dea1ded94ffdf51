package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type client struct {
	t   *testing.T
	url string
}

func (c client) do(method, path, body string) (int, http.Header, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.url+path, strings.NewReader(body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, res.Header, out
}

// TestQuickStartAPI walks the Quick Start over real HTTP: cached GETs,
// a write that invalidates the resource and the lists above it but not
// its siblings, versions and generated_at telling fresh from cached.
func TestQuickStartAPI(t *testing.T) {
	r, cache, err := newEngine()
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	srv := httptest.NewServer(r)
	defer srv.Close()
	c := client{t, srv.URL}

	_, h, first := c.do("GET", "/items?page=1&limit=2", "")
	if h.Get("X-Cache") != "MISS" || first["generated_at"] == nil || len(first["items"].([]any)) != 2 {
		t.Fatalf("first GET: %v %v", h, first)
	}
	_, h, again := c.do("GET", "/items?limit=2&page=1&utm_source=mail", "")
	if h.Get("X-Cache") != "HIT" || again["generated_at"] != first["generated_at"] {
		t.Fatalf("reordered and unlisted parameters should hit: %v", h)
	}
	if status, _, body := c.do("GET", "/spaces/999", ""); status != 404 || body["error"] == nil {
		t.Fatalf("unknown space: %d %v", status, body)
	}
	// Cache the space, its items, one item, the list, and the other space.
	paths := []string{"/spaces", "/spaces/4", "/spaces/4/items", "/spaces/4/items/5", "/spaces/6"}
	for _, p := range paths {
		c.do("GET", p, "")
	}
	status, _, patched := c.do("PATCH", "/spaces/4", `{"name":"shed"}`)
	if status != 200 || patched["space"].(map[string]any)["version"].(float64) != 2 {
		t.Fatalf("PATCH: %d %v", status, patched)
	}
	want := map[string]string{"/spaces": "MISS", "/spaces/4": "MISS", "/spaces/4/items": "MISS", "/spaces/4/items/5": "MISS", "/spaces/6": "HIT"}
	for _, p := range paths {
		_, h, body := c.do("GET", p, "")
		if h.Get("X-Cache") != want[p] {
			t.Errorf("after PATCH /spaces/4, GET %s: %s, want %s", p, h.Get("X-Cache"), want[p])
		}
		if p == "/spaces/4" && body["space"].(map[string]any)["version"].(float64) != 2 {
			t.Errorf("stale space served: %v", body)
		}
	}
	// Creating an item in a space leaves its other items cached.
	c.do("POST", "/spaces/4/items", `{"name":"rake"}`)
	if _, h, _ := c.do("GET", "/spaces/4/items/5", ""); h.Get("X-Cache") != "HIT" {
		t.Errorf("POST to the collection invalidated a sibling item")
	}
	if _, h, body := c.do("GET", "/spaces/4/items", ""); h.Get("X-Cache") != "MISS" || len(body["items"].([]any)) != 2 {
		t.Errorf("the collection was not invalidated by the POST: %v %v", h.Get("X-Cache"), body)
	}
	if status, _, _ := c.do("POST", "/items", `not json`); status != 400 {
		t.Errorf("bad body: %d", status)
	}
}

// TestRunPrintsCurlLines starts the real server on a free port.
func TestRunPrintsCurlLines(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	done := make(chan error)
	go func() { done <- run(ctx, addr, &syncWriter{buf: &out}) }()
	var res *http.Response
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if res, err = http.Get("http://" + addr + "/items"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("X-Cache") != "MISS" {
		t.Fatalf("X-Cache %q", res.Header.Get("X-Cache"))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "curl -i http://"+addr+"/items") {
		t.Fatalf("start-up text:\n%s", out.String())
	}
}

// TestAdminRoutes checks the admin routes of the example: served to
// loopback clients, refused through a proxy, and outside the cache
// middleware (their writes are not counted as application writes).
func TestAdminRoutes(t *testing.T) {
	r, cache, err := newEngine()
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	srv := httptest.NewServer(r)
	defer srv.Close()
	c := client{t, srv.URL}

	c.do("GET", "/spaces/4", "")
	c.do("GET", "/items", "")
	status, h, keys := c.do("GET", "/api/cache/keys?pattern=*/spaces*", "")
	if status != 200 || h.Get("X-Content-Type-Options") != "nosniff" || len(keys["keys"].([]any)) != 1 {
		t.Fatalf("GET /api/cache/keys: %d %v", status, keys)
	}
	if status, _, body := c.do("POST", "/api/cache/invalidate?path=/spaces/4", ""); status != 200 {
		t.Fatalf("invalidate: %d %v", status, body)
	}
	if _, h, _ := c.do("GET", "/spaces/4", ""); h.Get("X-Cache") != "MISS" {
		t.Errorf("after POST /api/cache/invalidate?path=/spaces/4: X-Cache %s", h.Get("X-Cache"))
	}
	if status, _, body := c.do("POST", "/api/cache/clear", ""); status != 200 || body["cleared"].(float64) != 2 {
		t.Fatalf("clear: %d %v", status, body)
	}
	_, _, stats := c.do("GET", "/api/cache/stats", "")
	for _, rt := range stats["routes"].([]any) {
		if route := rt.(map[string]any)["route"].(string); strings.HasPrefix(route, "/api/cache") {
			t.Errorf("the cache middleware saw the admin route %s", route)
		}
	}
	if status, _, _ := c.do("GET", "/api/cache/", ""); status != 200 {
		t.Errorf("dashboard: %d", status)
	}

	req, _ := http.NewRequest("GET", srv.URL+"/api/cache/stats", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Fatalf("through a proxy: %d, want 403", res.StatusCode)
	}
}
