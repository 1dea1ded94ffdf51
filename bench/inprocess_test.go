package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The in-process comparisons: one prebuilt request served by the Gin
// engine into a fresh httptest.NewRecorder per iteration (the harness
// DESIGN.md's peer figures were taken with), no network. They report
// ns/op, cpu-ns/op, B/op and allocs/op, and on Redis what the server did
// per request.

// BenchmarkHit: a cached response served again; the handler must not
// run.
func BenchmarkHit(b *testing.B) { compareInProcess(b, hit) }

// BenchmarkMiss: a new URL each request (a cycle of URLs, the cache
// cleared off the clock between cycles); the handler encodes the
// document each time. Baseline: the same handler uncached.
func BenchmarkMiss(b *testing.B) { compareInProcess(b, miss) }

// BenchmarkBypass: the request says Cache-Control: no-cache; the handler
// runs and nothing is stored.
func BenchmarkBypass(b *testing.B) { compareInProcess(b, bypass) }

func compareInProcess(b *testing.B, m mode) {
	for _, sz := range sizes {
		runs := fixtures(b, m, sz, contendersFor(m), func(b *testing.B, f *fixture) { inProcess(b, f, m, sz) })
		interleave(b, "size="+sz.name+"/", runs)
	}
}

// requests are the requests of a mode: one for hits and bypasses, a
// cycle of distinct URLs for misses.
func requests(m mode, sz size) []*http.Request {
	if m != miss {
		req := httptest.NewRequest("GET", target, nil)
		if m == bypass {
			req.Header.Set("Cache-Control", "no-cache")
		}
		return []*http.Request{req}
	}
	reqs := make([]*http.Request, cycleLen(sz))
	for i := range reqs {
		reqs[i] = httptest.NewRequest("GET", missTarget(i), nil)
	}
	return reqs
}

func inProcess(b *testing.B, f *fixture, m mode, sz size) {
	reqs := requests(m, sz)
	ctx := context.Background()
	// Warm up: fills the entry of the hits, opens pooled connections.
	f.serve(b, reqs[0], sz.n, "")
	f.settleStores(b)
	clear := func() {
		if f.clear != nil {
			require.NoError(b, f.clear(ctx))
		}
	}
	if m == miss {
		clear()
	}
	meter := startMeter(b, f.redis)
	runs := f.app.runs.Load()
	var offClock time.Duration // CPU time spent clearing, taken off cpu-ns/op
	var last *httptest.ResponseRecorder
	b.ReportAllocs()
	start := cpuTime()
	i := 0
	for b.Loop() {
		if i == len(reqs) {
			i = 0
			if m == miss {
				b.StopTimer()
				// The stores of the cycle's last misses may still be
				// under way (gincache on Redis stores after responding):
				// they are the misses' work, so they end inside the
				// meter's window and on the CPU clock, not in clear's.
				f.settleStores(b)
				t := cpuTime()
				meter.pause()
				clear()
				meter.resume()
				offClock += cpuTime() - t
				b.StartTimer()
			}
		}
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, reqs[i])
		// Checked by hand in the timed loop: testify boxes its arguments,
		// an allocation per op the benchmark would report.
		if w.Code != http.StatusOK || w.Body.Len() != sz.n {
			b.Fatalf("status %d, %d bytes; want 200, %d bytes", w.Code, w.Body.Len(), sz.n)
		}
		last = w
		i++
	}
	f.settleStores(b) // the last misses' stores, as above
	b.ReportMetric(float64(cpuTime()-start-offClock)/float64(b.N), "cpu-ns/op")
	meter.report(b)
	f.checkRuns(b, m, runs)
	if f.xcache != "" {
		require.Equal(b, f.xcache, last.Header().Get("X-Cache"), "X-Cache")
	}
}
