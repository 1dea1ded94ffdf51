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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type client struct {
	t   *testing.T
	url string
}

func (c client) do(method, path, body string) (int, http.Header, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.url+path, strings.NewReader(body))
	res, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
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
	require.NoError(t, err)
	defer cache.Close()
	srv := httptest.NewServer(r)
	defer srv.Close()
	c := client{t, srv.URL}

	_, h, first := c.do("GET", "/items?page=1&limit=2", "")
	require.Equal(t, "MISS", h.Get("X-Cache"), "first GET: %v %v", h, first)
	require.NotNil(t, first["generated_at"], "first GET: %v %v", h, first)
	require.Len(t, first["items"].([]any), 2, "first GET: %v %v", h, first)
	_, h, again := c.do("GET", "/items?limit=2&page=1&utm_source=mail", "")
	require.Equal(t, "HIT", h.Get("X-Cache"), "reordered and unlisted parameters should hit: %v", h)
	require.Equal(t, first["generated_at"], again["generated_at"], "reordered and unlisted parameters should hit: %v", h)
	status, _, body := c.do("GET", "/spaces/999", "")
	require.Equal(t, 404, status, "unknown space: %v", body)
	require.NotNil(t, body["error"], "unknown space: %v", body)
	// Cache the space, its items, one item, the list, and the other space.
	paths := []string{"/spaces", "/spaces/4", "/spaces/4/items", "/spaces/4/items/5", "/spaces/6"}
	for _, p := range paths {
		c.do("GET", p, "")
	}
	status, _, patched := c.do("PATCH", "/spaces/4", `{"name":"shed"}`)
	require.Equal(t, 200, status, "PATCH: %d %v", status, patched)
	require.Equal(t, float64(2), patched["space"].(map[string]any)["version"].(float64), "PATCH: %d %v", status, patched)
	want := map[string]string{"/spaces": "MISS", "/spaces/4": "MISS", "/spaces/4/items": "MISS", "/spaces/4/items/5": "MISS", "/spaces/6": "HIT"}
	for _, p := range paths {
		_, h, body := c.do("GET", p, "")
		assert.Equal(t, want[p], h.Get("X-Cache"), "after PATCH /spaces/4, GET %s", p)
		if p == "/spaces/4" {
			assert.Equal(t, float64(2), body["space"].(map[string]any)["version"], "stale space served: %v", body)
		}
	}
	// Creating an item in a space leaves its other items cached.
	c.do("POST", "/spaces/4/items", `{"name":"rake"}`)
	_, h, _ = c.do("GET", "/spaces/4/items/5", "")
	assert.Equal(t, "HIT", h.Get("X-Cache"), "POST to the collection invalidated a sibling item")
	_, h, body = c.do("GET", "/spaces/4/items", "")
	assert.Equal(t, "MISS", h.Get("X-Cache"), "the collection was not invalidated by the POST: %v %v", h.Get("X-Cache"), body)
	assert.Len(t, body["items"].([]any), 2, "the collection was not invalidated by the POST: %v %v", h.Get("X-Cache"), body)
	status, _, _ = c.do("POST", "/items", `not json`)
	assert.Equal(t, 400, status, "bad body")
}

// TestRunPrintsCurlLines starts the real server on a free port.
func TestRunPrintsCurlLines(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
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
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, "MISS", res.Header.Get("X-Cache"), "X-Cache")
	cancel()
	require.NoError(t, <-done)
	require.Contains(t, out.String(), "curl -i http://"+addr+"/items", "start-up text:\n%s", out.String())
}

// TestAdminRoutes checks the admin routes of the example: served to
// loopback clients, refused through a proxy, and outside the cache
// middleware (their writes are not counted as application writes).
func TestAdminRoutes(t *testing.T) {
	r, cache, err := newEngine()
	require.NoError(t, err)
	defer cache.Close()
	srv := httptest.NewServer(r)
	defer srv.Close()
	c := client{t, srv.URL}

	c.do("GET", "/spaces/4", "")
	c.do("GET", "/items", "")
	status, h, keys := c.do("GET", "/api/cache/keys?pattern=*/spaces*", "")
	require.Equal(t, 200, status, "GET /api/cache/keys: %d %v", status, keys)
	require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), "GET /api/cache/keys: %d %v", status, keys)
	require.Len(t, keys["keys"].([]any), 1, "GET /api/cache/keys: %d %v", status, keys)
	status, _, body := c.do("POST", "/api/cache/invalidate?path=/spaces/4", "")
	require.Equal(t, 200, status, "invalidate: %d %v", status, body)
	_, h, _ = c.do("GET", "/spaces/4", "")
	assert.Equal(t, "MISS", h.Get("X-Cache"), "after POST /api/cache/invalidate?path=/spaces/4: X-Cache")
	status, _, body = c.do("POST", "/api/cache/clear", "")
	require.Equal(t, 200, status, "clear: %d %v", status, body)
	require.Equal(t, float64(2), body["cleared"].(float64), "clear: %d %v", status, body)
	_, _, stats := c.do("GET", "/api/cache/stats", "")
	for _, rt := range stats["routes"].([]any) {
		route := rt.(map[string]any)["route"].(string)
		assert.False(t, strings.HasPrefix(route, "/api/cache"), "the cache middleware saw the admin route %s", route)
	}
	status, _, _ = c.do("GET", "/api/cache/", "")
	assert.Equal(t, 200, status, "dashboard")

	req, _ := http.NewRequest("GET", srv.URL+"/api/cache/stats", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, 403, res.StatusCode, "through a proxy")
}
