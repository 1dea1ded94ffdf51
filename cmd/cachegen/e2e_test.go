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
	if code, stdout, stderr := runIn(dir, env); code != 0 {
		t.Fatalf("cachegen: exit %d\n%s%s", code, stdout, stderr)
	}
	bin := filepath.Join(mod, "e2e-app")
	goCmd(t, mod, env, "build", "-o", bin, "./e2e")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		t.Fatalf("the app did not start: %q, %v", line, err)
	}
	base := "http://" + addr

	type result struct {
		cache        string
		orders, runs int
		status       int
	}
	do := func(method, path string) result {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		r := result{cache: resp.Header.Get("X-Cache"), status: resp.StatusCode}
		if method == http.MethodGet {
			var v struct{ Orders, Runs int }
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatalf("%s %s: %v: %s", method, path, err, body)
			}
			r.orders, r.runs = v.Orders, v.Runs
		}
		return r
	}
	expect := func(method, path, cache string, orders int) result {
		t.Helper()
		r := do(method, path)
		if r.status != http.StatusOK || r.cache != cache || r.orders != orders {
			t.Fatalf("%s %s: status %d, X-Cache %q, orders %d; want 200, %q, %d", method, path, r.status, r.cache, r.orders, cache, orders)
		}
		return r
	}

	// Each cached GET: a MISS that runs the handler, then a HIT that
	// replays it (same run number: the handler did not run again).
	var first = make(map[string]result)
	for _, path := range []string{"/orders", "/reports/summary", "/reports/stats"} {
		first[path] = expect("GET", path, "MISS", 0)
		if hit := expect("GET", path, "HIT", 0); hit.runs != first[path].runs {
			t.Errorf("GET %s: the HIT ran the handler (run %d after %d)", path, hit.runs, first[path].runs)
		}
	}

	if r := do("POST", "/orders"); r.status != http.StatusCreated {
		t.Fatalf("POST /orders: status %d", r.status)
	}
	// Invalidated: /orders by the automatic rule (POST renews its own
	// responses), /reports/summary by the directive's invalidate=.
	expect("GET", "/orders", "MISS", 1)
	expect("GET", "/reports/summary", "MISS", 1)
	// Untouched: nothing invalidates /reports/stats, which still replays
	// the response stored before the write.
	if r := expect("GET", "/reports/stats", "HIT", 0); r.runs != first["/reports/stats"].runs {
		t.Errorf("GET /reports/stats: run %d, want the cached run %d", r.runs, first["/reports/stats"].runs)
	}
	expect("GET", "/reports/summary", "HIT", 1)
}
