package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkParallel serves 1 KiB hits in process from 1, 2 and 8
// goroutines per core (b.SetParallelism): the ns/op of a parallel run is
// wall time over all goroutines, so its inverse is the throughput, and
// its growth with the goroutines shows contention on shared state (locks,
// atomics, connection pools).
func BenchmarkParallel(b *testing.B) {
	sz := sizes[0]
	for _, par := range []int{1, 2, 8} {
		runs := fixtures(b, hit, sz, contendersFor(hit), func(b *testing.B, f *fixture) { parallelHits(b, f, par) })
		interleave(b, fmt.Sprintf("par=%d/", par), runs)
	}
}

func parallelHits(b *testing.B, f *fixture, par int) {
	req := httptest.NewRequest("GET", target, nil)
	f.serve(b, req, sizeOf(f), "") // fills the entry
	f.settleStores(b)
	runs := f.app.runs.Load()
	b.SetParallelism(par)
	b.ReportAllocs()
	start := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		// Each goroutine has its own request: a handler may keep state in it.
		r := req.Clone(context.Background())
		for pb.Next() {
			w := httptest.NewRecorder()
			f.h.ServeHTTP(w, r)
			// Checked by hand in the timed loop: testify boxes its
			// arguments, an allocation per op the benchmark would report.
			if w.Code != http.StatusOK || w.Body.Len() != len(f.app.body) {
				b.Errorf("status %d, %d bytes", w.Code, w.Body.Len())
				return
			}
		}
	})
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	f.checkRuns(b, hit, runs)
}

func sizeOf(f *fixture) int { return len(f.app.body) }
