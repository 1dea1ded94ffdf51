package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEndToEnd annotates nothing itself: testdata/e2e is a small
// application whose handlers carry directives. The test runs cachegen on
// it, builds it, runs it, and checks over HTTP that a cached GET answers
// X-Cache: HIT the second time without running its handler, and that a
// write invalidates both its own hierarchy and its declared invalidate=
// target, and nothing else.
func TestEndToEnd(t *testing.T) {
	mod, env := caseModule(t, "e2e")
	dir := filepath.Join(mod, "e2e")
	code, out, errOut := runIn(dir, env)
	require.Equal(t, 0, code, "cachegen: %s%s", out, errOut)
	bin := filepath.Join(mod, "e2e-app")
	goCmd(t, mod, env, "build", "-o", bin, "./e2e")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	require.NoError(t, err, "the app did not start: %q, %v", line, err)
	require.True(t, ok, "the app did not start: %q, %v", line, err)
	base := "http://" + addr

	type result struct {
		cache        string
		orders, runs int
		status       int
	}
	do := func(method, path string) result {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, base+path, nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		r := result{cache: resp.Header.Get("X-Cache"), status: resp.StatusCode}
		if method == http.MethodGet {
			var v struct{ Orders, Runs int }
			err := json.Unmarshal(body, &v)
			require.NoError(t, err, "%s %s: %v: %s", method, path, err, body)
			r.orders, r.runs = v.Orders, v.Runs
		}
		return r
	}
	expect := func(method, path, cache string, orders int) result {
		t.Helper()
		r := do(method, path)
		require.Equal(t, http.StatusOK, r.status, "%s %s: status %d, X-Cache %q, orders %d; want 200, %q, %d", method, path, r.status, r.cache, r.orders, cache, orders)
		require.Equal(t, cache, r.cache, "%s %s: status %d, X-Cache %q, orders %d; want 200, %q, %d", method, path, r.status, r.cache, r.orders, cache, orders)
		require.Equal(t, orders, r.orders, "%s %s: status %d, X-Cache %q, orders %d; want 200, %q, %d", method, path, r.status, r.cache, r.orders, cache, orders)
		return r
	}

	// Each cached GET: a MISS that runs the handler, then a HIT that
	// replays it (same run number: the handler did not run again).
	var first = make(map[string]result)
	for _, path := range []string{"/orders", "/reports/summary", "/reports/stats"} {
		first[path] = expect("GET", path, "MISS", 0)
		hit := expect("GET", path, "HIT", 0)
		assert.Equal(t, first[path].runs, hit.runs, "GET %s: the HIT ran the handler (run %d after", path, hit.runs)
	}

	r := do("POST", "/orders")
	require.Equal(t, http.StatusCreated, r.status, "POST /orders: status")
	// Invalidated: /orders by the automatic rule (POST renews its own
	// responses), /reports/summary by the directive's invalidate=.
	expect("GET", "/orders", "MISS", 1)
	expect("GET", "/reports/summary", "MISS", 1)
	// Untouched: nothing invalidates /reports/stats, which still replays
	// the response stored before the write.
	r = expect("GET", "/reports/stats", "HIT", 0)
	assert.Equal(t, first["/reports/stats"].runs, r.runs, "GET /reports/stats: run")
	expect("GET", "/reports/summary", "HIT", 1)
}
