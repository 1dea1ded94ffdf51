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
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return result{res.StatusCode, res.Header.Get("X-Cache"), out}
}

func start(t *testing.T) (string, func() uint64) {
	t.Helper()
	r, cache, err := newEngine(testToken)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL, func() uint64 { return cache.Service().Stats().Hits }
}

func TestRefusesToStartWithoutAToken(t *testing.T) {
	for _, token := range []string{"", "short"} {
		_, _, err := newEngine(token)
		if err == nil || !strings.Contains(err.Error(), "ADMIN_TOKEN") {
			t.Errorf("token %q: %v", token, err)
		}
		if err := run(context.Background(), "127.0.0.1:0", token, io.Discard); err == nil || !strings.Contains(err.Error(), "ADMIN_TOKEN") {
			t.Errorf("run with token %q: %v", token, err)
		}
	}
}

// TestUserRoutes: auth runs before the cache, so a cached response never
// reaches a request without a valid token, and each user gets their own
// entry.
func TestUserRoutes(t *testing.T) {
	url, hits := start(t)
	notes := func(r result) []any { return r.body["notes"].([]any) }

	alice := call(t, url, "GET", "/notes", "alice-token", "")
	if alice.status != 200 || alice.xcache != "MISS" || len(notes(alice)) != 1 {
		t.Fatalf("alice: %+v", alice)
	}
	if again := call(t, url, "GET", "/notes", "alice-token", ""); again.xcache != "HIT" || again.body["generated_at"] != alice.body["generated_at"] {
		t.Fatalf("alice again: %+v", again)
	}
	bob := call(t, url, "GET", "/notes", "bob-token", "")
	if bob.xcache != "MISS" || notes(bob)[0].(map[string]any)["owner"] != "bob" {
		t.Fatalf("bob got %+v", bob)
	}
	// The entry is cached, and still: no token, no response.
	before := hits()
	for _, token := range []string{"", "mallory-token"} {
		if r := call(t, url, "GET", "/notes", token, ""); r.status != 401 || r.xcache != "" || r.body["notes"] != nil {
			t.Fatalf("token %q: %+v", token, r)
		}
	}
	if hits() != before {
		t.Fatal("an unauthenticated request was served from the cache")
	}
	// Another user's note is a 404, not alice's cached 200.
	if r := call(t, url, "GET", "/notes/1", "alice-token", ""); r.status != 200 {
		t.Fatalf("alice's note: %+v", r)
	}
	if r := call(t, url, "GET", "/notes/1", "bob-token", ""); r.status != 404 {
		t.Fatalf("bob reading alice's note: %+v", r)
	}
	// A write invalidates the list.
	if r := call(t, url, "POST", "/notes", "alice-token", `{"text":"milk"}`); r.status != 201 {
		t.Fatalf("POST: %+v", r)
	}
	if r := call(t, url, "GET", "/notes", "alice-token", ""); r.xcache != "MISS" || len(notes(r)) != 2 {
		t.Fatalf("after POST: %+v", r)
	}
	if r := call(t, url, "DELETE", "/notes/1", "alice-token", ""); r.status != 204 {
		t.Fatalf("DELETE: %+v", r)
	}
	if r := call(t, url, "GET", "/notes/1", "alice-token", ""); r.status != 404 || r.xcache != "MISS" {
		t.Fatalf("after DELETE: %+v", r)
	}
	// A public route: one entry for every signed-in user.
	if r := call(t, url, "GET", "/announcements", "alice-token", ""); r.xcache != "MISS" {
		t.Fatalf("announcements: %+v", r)
	}
	if r := call(t, url, "GET", "/announcements", "bob-token", ""); r.xcache != "HIT" {
		t.Fatalf("announcements for bob: %+v", r)
	}
	if r := call(t, url, "GET", "/announcements", "", ""); r.status != 401 {
		t.Fatalf("announcements without a token: %+v", r)
	}
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
			if got := call(t, url, r.method, r.path, token, ""); got.status != 401 {
				t.Errorf("%s %s with token %q: %d", r.method, r.path, token, got.status)
			}
		}
	}
	for _, r := range routes {
		want := 200
		if r.method == "DELETE" {
			want = 404 // no such key, but past the auth
		}
		if got := call(t, url, r.method, r.path, testToken, ""); got.status != want {
			t.Errorf("%s %s with the admin token: %d, want %d", r.method, r.path, got.status, want)
		}
	}
	keys := call(t, url, "GET", "/api/cache/keys?pattern=*user_id=alice*", testToken, "")
	if list := keys.body["keys"].([]any); len(list) != 1 {
		t.Fatalf("alice's keys: %v", keys.body)
	}

	// From another host, with the token.
	r, cache, err := newEngine(testToken)
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	req := httptest.NewRequest("GET", "/api/cache/stats", nil)
	req.RemoteAddr = "198.51.100.20:40000"
	req.Header.Set("Authorization", "Bearer "+testToken)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code != 200 {
		t.Fatalf("remote admin with the token: %d %s", w.Code, w.Body)
	}
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
	if err != nil {
		t.Fatal(err)
	}
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
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Fatalf("admin without a token: %d", res.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `curl -s -H "Authorization: Bearer $ADMIN_TOKEN" http://`+addr+"/api/cache/stats") {
		t.Fatalf("start-up text:\n%s", out.String())
	}
}
