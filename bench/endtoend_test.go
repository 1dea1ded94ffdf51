package bench

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// e2eConns is the number of keep-alive connections the client drives at
// once: four per core, so the server always has work queued.
const e2eConns = 8

// BenchmarkEndToEnd serves each contender over loopback HTTP and drives
// it from e2eConns connections: requests per second, and the p50 and p99
// of each request's round trip as the client sees it. Client and server
// share the process and the two cores.
func BenchmarkEndToEnd(b *testing.B) {
	for _, m := range []mode{hit, miss, bypass} {
		for _, sz := range sizes {
			runs := fixtures(b, m, sz, contendersFor(m), func(b *testing.B, f *fixture) {
				h := &servedCounter{h: f.h}
				srv := httptest.NewServer(h)
				defer srv.Close()
				endToEnd(b, srv, h, f, m, sz)
			})
			interleave(b, "case="+m.String()+"/size="+sz.name+"/", runs)
		}
	}
}

// e2eConn is one client connection and the latencies it saw.
type e2eConn struct {
	conn net.Conn
	br   *bufio.Reader
	lat  []time.Duration
}

// servedCounter counts the requests whose handling has ended. A cache
// stores a miss after its response has been written, so the client can
// read a response before the server is done with it; a cycle of misses
// waits for the server before clearing the cache, or a late store would
// turn the next cycle's first request into a hit.
type servedCounter struct {
	h      http.Handler
	served atomic.Int64
}

func (s *servedCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.h.ServeHTTP(w, r)
	s.served.Add(1)
}

// settle waits until the server has finished handling n requests.
func (s *servedCounter) settle(tb testing.TB, n int64) {
	deadline := time.Now().Add(time.Minute)
	for s.served.Load() < n {
		if time.Now().After(deadline) {
			tb.Fatalf("the server handled %d of %d requests after a minute", s.served.Load(), n)
		}
		time.Sleep(50 * time.Microsecond)
	}
}

func endToEnd(b *testing.B, srv *httptest.Server, counter *servedCounter, f *fixture, m mode, sz size) {
	addr := srv.Listener.Addr().String()
	reqs := [][]byte{rawRequest(addr, target, m)}
	if m == miss {
		reqs = reqs[:0]
		for i := range cycleLen(sz) {
			reqs = append(reqs, rawRequest(addr, missTarget(i), m))
		}
	}
	conns := make([]*e2eConn, e2eConns)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		require.NoError(b, err)
		defer c.Close()
		conns[i] = &e2eConn{conn: c, br: bufio.NewReaderSize(c, 64<<10), lat: make([]time.Duration, 0, b.N/e2eConns+1)}
	}
	ctx := context.Background()
	clear := func() {
		if f.clear != nil {
			require.NoError(b, f.clear(ctx))
		}
	}
	// Warm up every connection; the first request fills the hits' entry.
	for _, c := range conns {
		_, err := c.conn.Write(reqs[0])
		require.NoError(b, err)
		require.NoError(b, readResponse(c.br, sz.n, ""))
	}
	sent := int64(len(conns)) // the warm-up requests
	counter.settle(b, sent)
	f.settleStores(b)
	if m == miss {
		clear()
	}
	runs := f.app.runs.Load()
	var offClock time.Duration
	// The server's CPU time too (Redis contenders): it runs on the same two
	// cores, so what a request costs it weighs on the requests per second.
	meter := startMeter(b, f.redis)
	b.ResetTimer()
	start := cpuTime()
	for done := 0; done < b.N; {
		n := b.N - done
		if m == miss {
			n = min(n, len(reqs))
		}
		require.NoError(b, drive(conns, reqs, n, sz.n, f.xcache))
		done += n
		sent += int64(n)
		if m == miss && done < b.N {
			b.StopTimer()
			counter.settle(b, sent)
			f.settleStores(b) // the cycle's stores count, the clear does not
			meter.pause()
			t := cpuTime()
			clear()
			offClock += cpuTime() - t
			meter.resume()
			b.StartTimer()
		}
	}
	b.StopTimer()
	counter.settle(b, sent) // the last stores count in the handler runs checked below
	f.settleStores(b)       // and on the CPU clock and the meter, as every cycle's
	cpu := cpuTime() - start - offClock
	meter.report(b)
	var lat []time.Duration
	for _, c := range conns {
		lat = append(lat, c.lat...)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(percentile(lat, 0.50))/1e3, "p50-us")
	b.ReportMetric(float64(percentile(lat, 0.99))/1e3, "p99-us")
	f.checkRuns(b, m, runs)
}

// drive sends n requests over the connections, each taking the next
// request as soon as it has read its previous response; request k is
// reqs[k%len(reqs)], so a cycle of misses has n <= len(reqs) distinct
// URLs.
func drive(conns []*e2eConn, reqs [][]byte, n, length int, want string) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, len(conns))
	for i, c := range conns {
		wg.Go(func() {
			for {
				k := int(next.Add(1) - 1)
				if k >= n {
					return
				}
				t := time.Now()
				if _, err := c.conn.Write(reqs[k%len(reqs)]); err != nil {
					errs[i] = err
					return
				}
				if err := readResponse(c.br, length, want); err != nil {
					errs[i] = err
					return
				}
				c.lat = append(c.lat, time.Since(t))
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// percentile returns the p-quantile of sorted durations (0 when empty).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}
