package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

func init() { gin.SetMode(gin.TestMode) }

func get(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, res.Header.Get("X-Cache")
}

func TestCachesInRedis(t *testing.T) {
	redis := testutil.StartRedis(t)
	a, err := newApp(redis.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var out bytes.Buffer
	checkRedis(context.Background(), a, redis.URL(), &out)
	if !strings.Contains(out.String(), "is reachable") {
		t.Fatalf("start message %q, want it to say Redis is reachable", out.String())
	}
	srv := httptest.NewServer(a.engine)
	defer srv.Close()
	for _, want := range []string{"MISS", "HIT"} {
		if status, xc := get(t, "GET", srv.URL+"/spaces/4", ""); status != 200 || xc != want {
			t.Fatalf("GET /spaces/4: %d %s, want 200 %s", status, xc, want)
		}
	}
	keys := redis.Client().Keys(context.Background(), "example:e:*").Val()
	if len(keys) != 1 {
		t.Fatalf("entries in Redis under example:e: %q, want one", keys)
	}
	if status, _ := get(t, "PATCH", srv.URL+"/spaces/4", `{"name":"shed"}`); status != 200 {
		t.Fatalf("PATCH: %d", status)
	}
	if _, xc := get(t, "GET", srv.URL+"/spaces/4", ""); xc != "MISS" {
		t.Fatalf("GET after the write: %s, want MISS", xc)
	}
	// The admin API lists the keys from Redis and reports its health.
	for path, want := range map[string]string{
		"/api/cache/keys?pattern=*/spaces*": "/spaces/4",
		"/api/cache/health":                 `"backend":"redis"`,
	} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Fatalf("GET %s: %d %s; want 200 with %s", path, res.StatusCode, body, want)
		}
	}
}

func TestServesUncachedWithoutRedis(t *testing.T) {
	const down = "redis://:s3cret@127.0.0.1:1/0"
	a, err := newApp(down)
	if err != nil {
		t.Fatalf("the app must start without Redis: %v", err)
	}
	defer a.Close()
	var out bytes.Buffer
	checkRedis(context.Background(), a, down, &out)
	msg := out.String()
	if !strings.Contains(msg, "not reachable") || !strings.Contains(msg, "uncached") {
		t.Fatalf("start message %q, want it to say Redis is not reachable and requests go uncached", msg)
	}
	if strings.Contains(msg, "s3cret") {
		t.Fatalf("start message %q shows the password", msg)
	}
	srv := httptest.NewServer(a.engine)
	defer srv.Close()
	for range 3 {
		if status, xc := get(t, "GET", srv.URL+"/spaces/4", ""); status != 200 || xc != "SKIP" {
			t.Fatalf("GET without Redis: %d %s, want 200 SKIP", status, xc)
		}
	}
}

func TestRunStartsAndStops(t *testing.T) {
	redis := testutil.StartRedis(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out testutil.SyncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, "127.0.0.1:0", redis.URL(), &out) }()
	testutil.WaitFor(t, "the start message", func() bool { return strings.Contains(out.String(), "Try:") })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after its context was canceled")
	}
}
