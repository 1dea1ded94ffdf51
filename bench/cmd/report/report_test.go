package main

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	require.NoError(t, err)
	assert.Equal(t, "Intel(R) Xeon(R) Processor", r.config["cpu"], "cpu")
	require.Len(t, r.results, 7)
	first := r.results[0]
	assert.Equal(t, "Hit", first.bench, "first result %+v", first)
	assert.Equal(t, map[string]string{"size": "1KiB", "impl": "bare", "round": "0"}, first.keys, "first result's keys")
	assert.Equal(t, 100000, first.n, "first result's iterations")
	assert.Equal(t, map[string]float64{"ns/op": 1000, "cpu-ns/op": 800, "B/op": 2000, "allocs/op": 12}, first.metrics, "first result's figures")
	last := r.results[6]
	assert.Equal(t, "Invalidate", last.bench, "last result %+v", last)
	assert.Equal(t, map[string]string{"impl": "gincache-redis", "keys": "1000", "fanout": "1"}, last.keys, "last result's keys")
	assert.Equal(t, map[string]float64{"ns/op": 60000, "keys": 1011}, last.metrics, "last result's figures")
}

func TestParseRejectsMalformedResults(t *testing.T) {
	for _, line := range []string{
		"BenchmarkHit/size=1KiB-2 100 12 ns/op extra",
		"BenchmarkHit/notakey-2 100 12 ns/op",
		"BenchmarkHit-2 many 12 ns/op",
		"BenchmarkHit-2 100 twelve ns/op",
	} {
		_, err := parse(strings.NewReader(line + "\n"))
		assert.Error(t, err, "parse(%q)", line)
	}
}

// The ratio is the median of per-round ratios, not the ratio of medians:
// round 1's slow pair (both twice as slow) must not tilt it.
func TestRatioPairsRounds(t *testing.T) {
	r, err := parse(strings.NewReader(sample))
	require.NoError(t, err)
	ours, bare := pick("Hit", "size", "1KiB", "impl", "gincache-memory"), pick("Hit", "size", "1KiB", "impl", "bare")
	// cpu: 1000/800 = 1.25, 2000/1000 = 2, 600/500 = 1.2: median 1.25.
	got, ok := r.ratio(ours, bare, "cpu-ns/op")
	if assert.True(t, ok, "cpu ratio") {
		assert.InDelta(t, 1.25, got, 1e-9, "cpu ratio")
	}
	// wall: 1.2, 1.5, 1.1: median 1.2.
	got, ok = r.ratio(ours, bare, "ns/op")
	if assert.True(t, ok, "wall ratio") {
		assert.InDelta(t, 1.2, got, 1e-9, "wall ratio")
	}
	got, ok = r.median(bare, "ns/op")
	if assert.True(t, ok, "median") {
		assert.Equal(t, 1000.0, got, "median")
	}
	_, ok = r.ratio(pick("Hit", "impl", "gincache-redis"), bare, "ns/op")
	assert.False(t, ok, "a ratio of a skipped contender")
}

func TestMedian(t *testing.T) {
	assert.Equal(t, 2.0, median([]float64{3, 1, 2}), "median(3,1,2)")
	assert.Equal(t, 2.5, median([]float64{4, 1, 3, 2}), "median(4,1,3,2)")
}

func TestFillBlocks(t *testing.T) {
	doc := "intro\n<!-- bench:a -->\nold\n<!-- /bench:a -->\nmiddle\n<!-- bench:b -->\n<!-- /bench:b -->\nend\n"
	got, err := fillBlocks(doc, map[string]string{"a": "new A\n", "b": "| t |"})
	require.NoError(t, err)
	want := "intro\n<!-- bench:a -->\nnew A\n<!-- /bench:a -->\nmiddle\n<!-- bench:b -->\n| t |\n<!-- /bench:b -->\nend\n"
	assert.Equal(t, want, got)
	// Filling again gives the same document.
	again, err := fillBlocks(got, map[string]string{"a": "new A\n", "b": "| t |"})
	if assert.NoError(t, err, "refilling") {
		assert.Equal(t, got, again, "refilling changed the document")
	}
	_, err = fillBlocks(doc, map[string]string{"a": "x", "b": "y", "c": "z"})
	assert.ErrorContains(t, err, "no block for c", "a missing block")
	_, err = fillBlocks(doc, map[string]string{"a": "x"})
	assert.ErrorContains(t, err, `"b" is not generated`, "an unknown block")
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
		assert.Equal(t, c.want, c.got)
	}
}

func TestChartsAreWellFormedSVG(t *testing.T) {
	r, err := parse(strings.NewReader(sample))
	require.NoError(t, err)
	for _, c := range charts(r) {
		assert.True(t, strings.HasPrefix(c.svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""), "%s: not an SVG document", c.file)
		assert.True(t, strings.HasSuffix(c.svg, "</svg>\n"), "%s: not an SVG document", c.file)
		assert.NotContains(t, c.svg, "NaN", "%s: holds NaN coordinates", c.file)
		assert.NotContains(t, c.svg, "Inf", "%s: holds Inf coordinates", c.file)
		assert.Equal(t, strings.Count(c.svg, "<text"), strings.Count(c.svg, "</text>"), "%s: unbalanced text elements", c.file)
	}
	// The hit-cost chart shows the 1.25 ratio of the sample.
	assert.Contains(t, hitCostChart(r).svg, ">1.25<", "the hit-cost chart does not show the measured ratio 1.25")
}

func TestNiceStep(t *testing.T) {
	for _, c := range []struct{ raw, want float64 }{{0.7, 1}, {1.3, 2}, {3, 5}, {6000, 10000}, {12000, 20000}} {
		assert.Equal(t, c.want, niceStep(c.raw), "niceStep(%v)", c.raw)
	}
}

// A Markdown file that cannot be read stops the report before any
// benchmark runs (they take ten minutes) and before the run's output or
// the charts are written.
func TestPublishChecksTheMarkdownFirst(t *testing.T) {
	dir := t.TempDir()
	raw, charts := filepath.Join(dir, "raw.txt"), filepath.Join(dir, "charts")
	err := publish("", raw, filepath.Join(dir, "missing.md"), charts, "1x", 1)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.NoFileExists(t, raw)
	require.NoDirExists(t, charts)
}

// The two-round-trips row is judged on the server's reply writes; the
// reads beside them show a pipeline the server read in two parts.
func TestRoundTripsRow(t *testing.T) {
	const out = `BenchmarkMiss/size=16KiB/impl=gincache-redis/round=0-2 	 100	 1000 ns/op	 2.000 redis-trips/op	 2.000 redis-reads/op
BenchmarkMiss/size=16KiB/impl=gincache-redis/round=1-2 	 100	 1000 ns/op	 2.200 redis-trips/op	 2.200 redis-reads/op
BenchmarkMiss/size=16KiB/impl=gincache-redis/round=2-2 	 100	 1000 ns/op	 2.100 redis-trips/op	 2.100 redis-reads/op
BenchmarkMiss/size=256KiB/impl=gincache-redis/round=0-2 	 100	 1000 ns/op	 2.000 redis-trips/op
`
	r, err := parse(strings.NewReader(out))
	require.NoError(t, err)
	var row string
	for line := range strings.SplitSeq(peerTargetsTable(r), "\n") {
		if strings.Contains(line, "two round trips") {
			row = line
		}
	}
	assert.Contains(t, row, "| 2.1 16KiB (2.1 reads), 2 256KiB |", "the row's figures")
	assert.Contains(t, row, "**not met**", "the verdict")
}
