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
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

func init() { gin.SetMode(gin.TestMode) }

func get(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, res.Header.Get("X-Cache")
}

func TestCachesInRedis(t *testing.T) {
	redis := testutil.StartRedis(t)
	a, err := newApp(redis.URL())
	require.NoError(t, err)
	defer a.Close()
	var out bytes.Buffer
	checkRedis(context.Background(), a, redis.URL(), &out)
	require.Contains(t, out.String(), "is reachable", "start message %q, want it to say Redis is reachable", out.String())
	srv := httptest.NewServer(a.engine)
	defer srv.Close()
	for _, want := range []string{"MISS", "HIT"} {
		status, xc := get(t, "GET", srv.URL+"/spaces/4", "")
		require.Equal(t, 200, status, "GET /spaces/4: %d %s, want 200 %s", status, xc, want)
		require.Equal(t, want, xc, "GET /spaces/4: %d %s, want 200 %s", status, xc, want)
		// The miss's store runs after its response; the HIT must come
		// from Redis (a GET while the store runs is a hit on the entry
		// being stored, but one that just misses the store's end fills
		// again).
		require.NoError(t, a.cache.WaitStores(t.Context()))
	}
	keys := redis.Client().Keys(context.Background(), "example:e:*").Val()
	require.Len(t, keys, 1, "entries in Redis under example:e")
	status, _ := get(t, "PATCH", srv.URL+"/spaces/4", `{"name":"shed"}`)
	require.Equal(t, 200, status, "PATCH")
	_, xc := get(t, "GET", srv.URL+"/spaces/4", "")
	require.Equal(t, "MISS", xc, "GET after the write")
	// The admin API lists the keys from Redis and reports its health.
	for path, want := range map[string]string{
		"/api/cache/keys?pattern=*/spaces*": "/spaces/4",
		"/api/cache/health":                 `"backend":"redis"`,
	} {
		res, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Equal(t, 200, res.StatusCode, "GET %s: %d %s; want 200 with %s", path, res.StatusCode, body, want)
		require.Contains(t, string(body), want, "GET %s: %d %s; want 200 with %s", path, res.StatusCode, body, want)
	}
}

func TestServesUncachedWithoutRedis(t *testing.T) {
	const down = "redis://:s3cret@127.0.0.1:1/0"
	a, err := newApp(down)
	require.NoError(t, err, "the app must start without Redis")
	defer a.Close()
	var out bytes.Buffer
	checkRedis(context.Background(), a, down, &out)
	msg := out.String()
	require.Contains(t, msg, "not reachable", "start message %q, want it to say Redis is not reachable and requests go uncached", msg)
	require.Contains(t, msg, "uncached", "start message %q, want it to say Redis is not reachable and requests go uncached", msg)
	require.NotContains(t, msg, "s3cret", "start message %q shows the password", msg)
	srv := httptest.NewServer(a.engine)
	defer srv.Close()
	for range 3 {
		status, xc := get(t, "GET", srv.URL+"/spaces/4", "")
		require.Equal(t, 200, status, "GET without Redis: %d %s, want 200 SKIP", status, xc)
		require.Equal(t, "SKIP", xc, "GET without Redis: %d %s, want 200 SKIP", status, xc)
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
		require.NoError(t, err, "run")
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after its context was canceled")
	}
}
