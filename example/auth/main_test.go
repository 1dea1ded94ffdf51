package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testToken = "0123456789abcdef0123456789abcdef"

type result struct {
	status int
	xcache string
	body   map[string]any
}

// call sends a request with a bearer token ("" for none).
func call(t *testing.T, url, method, path, token, body string) result {
	t.Helper()
	req, err := http.NewRequest(method, url+path, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if len(raw) > 0 && raw[0] == '{' {
		require.NoError(t, json.Unmarshal(raw, &out), "%s %s", method, path)
	}
	return result{res.StatusCode, res.Header.Get("X-Cache"), out}
}

func start(t *testing.T) (string, func() uint64) {
	t.Helper()
	r, cache, err := newEngine(testToken)
	require.NoError(t, err)
	t.Cleanup(func() { cache.Close() })
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL, func() uint64 { return cache.Service().Stats().Hits }
}

func TestRefusesToStartWithoutAToken(t *testing.T) {
	for _, token := range []string{"", "short"} {
		_, _, err := newEngine(token)
		assert.ErrorContains(t, err, "ADMIN_TOKEN", "token %q: %v", token, err)
		err = run(context.Background(), "127.0.0.1:0", token, io.Discard)
		assert.ErrorContains(t, err, "ADMIN_TOKEN", "run with token %q: %v", token, err)
	}
}

// TestUserRoutes: auth runs before the cache, so a cached response never
// reaches a request without a valid token, and each user gets their own
// entry.
func TestUserRoutes(t *testing.T) {
	url, hits := start(t)
	notes := func(r result) []any { return r.body["notes"].([]any) }

	alice := call(t, url, "GET", "/notes", "alice-token", "")
	require.Equal(t, 200, alice.status, "alice: %+v", alice)
	require.Equal(t, "MISS", alice.xcache, "alice: %+v", alice)
	require.Len(t, notes(alice), 1, "alice: %+v", alice)
	again := call(t, url, "GET", "/notes", "alice-token", "")
	require.Equal(t, "HIT", again.xcache, "alice again: %+v", again)
	require.Equal(t, alice.body["generated_at"], again.body["generated_at"], "alice again: %+v", again)
	bob := call(t, url, "GET", "/notes", "bob-token", "")
	require.Equal(t, "MISS", bob.xcache, "bob got %+v", bob)
	require.Equal(t, "bob", notes(bob)[0].(map[string]any)["owner"], "bob got %+v", bob)
	// The entry is cached, and still: no token, no response.
	before := hits()
	for _, token := range []string{"", "mallory-token"} {
		r := call(t, url, "GET", "/notes", token, "")
		require.Equal(t, 401, r.status, "token %q: %+v", token, r)
		require.Empty(t, r.xcache, "token %q: %+v", token, r)
		require.Nil(t, r.body["notes"], "token %q: %+v", token, r)
	}
	require.Equal(t, before, hits(), "an unauthenticated request was served from the cache")
	// Another user's note is a 404, not alice's cached 200.
	r := call(t, url, "GET", "/notes/1", "alice-token", "")
	require.Equal(t, 200, r.status, "alice's note: %+v", r)
	r = call(t, url, "GET", "/notes/1", "bob-token", "")
	require.Equal(t, 404, r.status, "bob reading alice's note: %+v", r)
	// A write invalidates the list.
	r = call(t, url, "POST", "/notes", "alice-token", `{"text":"milk"}`)
	require.Equal(t, 201, r.status, "POST: %+v", r)
	r = call(t, url, "GET", "/notes", "alice-token", "")
	require.Equal(t, "MISS", r.xcache, "after POST: %+v", r)
	require.Len(t, notes(r), 2, "after POST: %+v", r)
	r = call(t, url, "DELETE", "/notes/1", "alice-token", "")
	require.Equal(t, 204, r.status, "DELETE: %+v", r)
	r = call(t, url, "GET", "/notes/1", "alice-token", "")
	require.Equal(t, 404, r.status, "after DELETE: %+v", r)
	require.Equal(t, "MISS", r.xcache, "after DELETE: %+v", r)
	// A public route: one entry for every signed-in user.
	r = call(t, url, "GET", "/announcements", "alice-token", "")
	require.Equal(t, "MISS", r.xcache, "announcements: %+v", r)
	r = call(t, url, "GET", "/announcements", "bob-token", "")
	require.Equal(t, "HIT", r.xcache, "announcements for bob: %+v", r)
	r = call(t, url, "GET", "/announcements", "", "")
	require.Equal(t, 401, r.status, "announcements without a token: %+v", r)
}

// TestAdminRoutes: every admin route, the dashboard included, wants the
// admin token; user tokens do not open it; with it, remote clients are
// served (the token replaces the loopback rule).
func TestAdminRoutes(t *testing.T) {
	url, _ := start(t)
	call(t, url, "GET", "/notes", "alice-token", "")
	call(t, url, "GET", "/notes", "bob-token", "")
	routes := []struct{ method, path string }{
		{"GET", "/api/cache/"}, {"GET", "/api/cache/keys"}, {"DELETE", "/api/cache/keys/x"},
		{"POST", "/api/cache/invalidate?path=/notes"}, {"GET", "/api/cache/stats"},
		{"GET", "/api/cache/health"}, {"POST", "/api/cache/clear?pattern=nothing"},
	}
	for _, token := range []string{"", "alice-token", testToken + "x", testToken[:31]} {
		for _, r := range routes {
			got := call(t, url, r.method, r.path, token, "")
			assert.Equal(t, 401, got.status, "%s %s with token %q", r.method, r.path, token)
		}
	}
	for _, r := range routes {
		want := 200
		if r.method == "DELETE" {
			want = 404 // no such key, but past the auth
		}
		got := call(t, url, r.method, r.path, testToken, "")
		assert.Equal(t, want, got.status, "%s %s with the admin token", r.method, r.path)
	}
	keys := call(t, url, "GET", "/api/cache/keys?pattern=*user_id=alice*", testToken, "")
	list := keys.body["keys"].([]any)
	require.Len(t, list, 1, "alice's keys: %v", keys.body)

	// From another host, with the token.
	r, cache, err := newEngine(testToken)
	require.NoError(t, err)
	defer cache.Close()
	req := httptest.NewRequest("GET", "/api/cache/stats", nil)
	req.RemoteAddr = "198.51.100.20:40000"
	req.Header.Set("Authorization", "Bearer "+testToken)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	require.Equal(t, 200, w.Code, "remote admin with the token: %d %s", w.Code, w.Body)
}

// syncBuffer is a bytes.Buffer safe for the server goroutine to write.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRun starts the real server and stops it.
func TestRun(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, addr, testToken, &out) }()
	var res *http.Response
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if res, err = http.Get("http://" + addr + "/api/cache/stats"); err == nil {
			break
		}
	}
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, 401, res.StatusCode, "admin without a token")
	cancel()
	require.NoError(t, <-done)
	require.Contains(t, out.String(), `curl -s -H "Authorization: Bearer $ADMIN_TOKEN" http://`+addr+"/api/cache/stats", "start-up text:\n%s", out.String())
}
