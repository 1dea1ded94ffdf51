package main

import (
	"math"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/intelligentcache/gin-intelligent-cache/bench
cpu: Intel(R) Xeon(R) Processor
BenchmarkHit/size=1KiB/impl=bare/round=0-2         	  100000	      1000 ns/op	       800.0 cpu-ns/op	    2000 B/op	      12 allocs/op
BenchmarkHit/size=1KiB/impl=gincache-memory/round=0-2	  100000	      1200 ns/op	      1000 cpu-ns/op	    2000 B/op	       8 allocs/op
BenchmarkHit/size=1KiB/impl=gincache-memory/round=1-2	  100000	      3000 ns/op	      2000 cpu-ns/op	    2000 B/op	       8 allocs/op
BenchmarkHit/size=1KiB/impl=bare/round=1-2         	  100000	      2000 ns/op	      1000 cpu-ns/op	    2000 B/op	      12 allocs/op
BenchmarkHit/size=1KiB/impl=bare/round=2-2         	  100000	      1000 ns/op	       500.0 cpu-ns/op	    2000 B/op	      12 allocs/op
BenchmarkHit/size=1KiB/impl=gincache-memory/round=2-2	  100000	      1100 ns/op	       600.0 cpu-ns/op	    2000 B/op	       8 allocs/op
BenchmarkSlow
    some_test.go:12: a log line
--- SKIP: BenchmarkHit/size=1KiB/impl=gincache-redis/round=0
BenchmarkInvalidate/impl=gincache-redis/keys=1000/fanout=1-2 	    5000	     60000 ns/op	      1011 keys
PASS
ok  	github.com/intelligentcache/gin-intelligent-cache/bench	1.0s
`

func TestParse(t *testing.T) {
	r, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.config["cpu"]; got != "Intel(R) Xeon(R) Processor" {
		t.Errorf("cpu = %q", got)
	}
	if len(r.results) != 7 {
		t.Fatalf("%d results, want 7", len(r.results))
	}
	first := r.results[0]
	if first.bench != "Hit" || first.keys["size"] != "1KiB" || first.keys["impl"] != "bare" || first.keys["round"] != "0" {
		t.Errorf("first result %+v", first)
	}
	if first.n != 100000 || first.metrics["ns/op"] != 1000 || first.metrics["cpu-ns/op"] != 800 || first.metrics["allocs/op"] != 12 {
		t.Errorf("first result's figures %+v", first)
	}
	last := r.results[6]
	if last.bench != "Invalidate" || last.keys["fanout"] != "1" || last.metrics["keys"] != 1011 {
		t.Errorf("last result %+v", last)
	}
}

func TestParseRejectsMalformedResults(t *testing.T) {
	for _, line := range []string{
		"BenchmarkHit/size=1KiB-2 100 12 ns/op extra",
		"BenchmarkHit/notakey-2 100 12 ns/op",
		"BenchmarkHit-2 many 12 ns/op",
		"BenchmarkHit-2 100 twelve ns/op",
	} {
		if _, err := parse(strings.NewReader(line + "\n")); err == nil {
			t.Errorf("parse(%q) succeeded", line)
		}
	}
}

// The ratio is the median of per-round ratios, not the ratio of medians:
// round 1's slow pair (both twice as slow) must not tilt it.
func TestRatioPairsRounds(t *testing.T) {
	r, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	ours, bare := pick("Hit", "size", "1KiB", "impl", "gincache-memory"), pick("Hit", "size", "1KiB", "impl", "bare")
	// cpu: 1000/800 = 1.25, 2000/1000 = 2, 600/500 = 1.2: median 1.25.
	if got, ok := r.ratio(ours, bare, "cpu-ns/op"); !ok || math.Abs(got-1.25) > 1e-9 {
		t.Errorf("cpu ratio = %v, %v; want 1.25", got, ok)
	}
	// wall: 1.2, 1.5, 1.1: median 1.2.
	if got, ok := r.ratio(ours, bare, "ns/op"); !ok || math.Abs(got-1.2) > 1e-9 {
		t.Errorf("wall ratio = %v, %v; want 1.2", got, ok)
	}
	if got, ok := r.median(bare, "ns/op"); !ok || got != 1000 {
		t.Errorf("median = %v, %v; want 1000", got, ok)
	}
	if _, ok := r.ratio(pick("Hit", "impl", "gincache-redis"), bare, "ns/op"); ok {
		t.Error("a ratio of a skipped contender")
	}
}

func TestMedian(t *testing.T) {
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median(3,1,2) = %v", got)
	}
	if got := median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("median(4,1,3,2) = %v", got)
	}
}

func TestFillBlocks(t *testing.T) {
	doc := "intro\n<!-- bench:a -->\nold\n<!-- /bench:a -->\nmiddle\n<!-- bench:b -->\n<!-- /bench:b -->\nend\n"
	got, err := fillBlocks(doc, map[string]string{"a": "new A\n", "b": "| t |"})
	if err != nil {
		t.Fatal(err)
	}
	want := "intro\n<!-- bench:a -->\nnew A\n<!-- /bench:a -->\nmiddle\n<!-- bench:b -->\n| t |\n<!-- /bench:b -->\nend\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Filling again gives the same document.
	again, err := fillBlocks(got, map[string]string{"a": "new A\n", "b": "| t |"})
	if err != nil || again != got {
		t.Errorf("refilling changed the document (%v):\n%s", err, again)
	}
	if _, err := fillBlocks(doc, map[string]string{"a": "x", "b": "y", "c": "z"}); err == nil || !strings.Contains(err.Error(), "no block for c") {
		t.Errorf("a missing block: err = %v", err)
	}
	if _, err := fillBlocks(doc, map[string]string{"a": "x"}); err == nil || !strings.Contains(err.Error(), `"b" is not generated`) {
		t.Errorf("an unknown block: err = %v", err)
	}
}

func TestFormats(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{dur(720), "720 ns"}, {dur(1234), "1.23 µs"}, {dur(45_600), "46 µs"}, {dur(1_500_000), "1.50 ms"},
		{dur(230_000_000), "230 ms"}, {dur(2.5e9), "2.50 s"},
		{count(94123.4), "94,123"}, {count(1_000_000), "1,000,000"}, {count(999), "999"},
		{ratio(1.234), "1.23×"}, {num(6), "6"}, {num(212.5), "212.5"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestChartsAreWellFormedSVG(t *testing.T) {
	r, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range charts(r) {
		if !strings.HasPrefix(c.svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"") || !strings.HasSuffix(c.svg, "</svg>\n") {
			t.Errorf("%s: not an SVG document", c.file)
		}
		if strings.Contains(c.svg, "NaN") || strings.Contains(c.svg, "Inf") {
			t.Errorf("%s: holds NaN or Inf coordinates", c.file)
		}
		if strings.Count(c.svg, "<text") != strings.Count(c.svg, "</text>") {
			t.Errorf("%s: unbalanced text elements", c.file)
		}
	}
	// The hit-cost chart shows the 1.25 ratio of the sample.
	if svg := hitCostChart(r).svg; !strings.Contains(svg, ">1.25<") {
		t.Error("the hit-cost chart does not show the measured ratio 1.25")
	}
}

func TestNiceStep(t *testing.T) {
	for _, c := range []struct{ raw, want float64 }{{0.7, 1}, {1.3, 2}, {3, 5}, {6000, 10000}, {12000, 20000}} {
		if got := niceStep(c.raw); got != c.want {
			t.Errorf("niceStep(%v) = %v, want %v", c.raw, got, c.want)
		}
	}
}
