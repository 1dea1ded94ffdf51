package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// result is one benchmark line: BenchmarkHit/size=1KiB/impl=bare/round=0-2.
type result struct {
	bench   string            // "Hit": the top-level name without "Benchmark"
	keys    map[string]string // the key=value parts of the sub-benchmark names
	n       int
	metrics map[string]float64 // by unit: "ns/op", "cpu-ns/op", "req/s", ...
}

// run is everything one output holds.
type run struct {
	config  map[string]string // goos, goarch, pkg, cpu: the header lines
	results []result
}

var procsSuffix = regexp.MustCompile(`-\d+$`)

// parse reads go test -bench output. Lines that are not benchmark results
// or configuration (logs, PASS, ok) are skipped; a result line that does
// not parse is an error, so that a changed format cannot go unnoticed.
func parse(r io.Reader) (*run, error) {
	out := &run{config: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if k, v, ok := strings.Cut(text, ": "); ok && !strings.Contains(k, " ") && !strings.HasPrefix(k, "Benchmark") {
			out.config[k] = strings.TrimSpace(v)
			continue
		}
		if !strings.HasPrefix(text, "Benchmark") {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) == 1 {
			continue // a benchmark's name printed before its logs
		}
		res, err := parseResult(fields)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out.results = append(out.results, res)
	}
	return out, sc.Err()
}

func parseResult(fields []string) (result, error) {
	if len(fields) < 4 || len(fields)%2 != 0 {
		return result{}, fmt.Errorf("%q: want a name, an iteration count and value-unit pairs", strings.Join(fields, " "))
	}
	name := procsSuffix.ReplaceAllString(fields[0], "")
	parts := strings.Split(strings.TrimPrefix(name, "Benchmark"), "/")
	res := result{bench: parts[0], keys: map[string]string{}, metrics: map[string]float64{}}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return result{}, fmt.Errorf("%s: sub-benchmark %q is not key=value", name, p)
		}
		res.keys[k] = v
	}
	n, err := strconv.Atoi(fields[1])
	if err != nil {
		return result{}, fmt.Errorf("%s: iterations %q: %v", name, fields[1], err)
	}
	res.n = n
	for i := 2; i < len(fields); i += 2 {
		v, err := strconv.ParseFloat(fields[i], 64)
		if err != nil {
			return result{}, fmt.Errorf("%s: value %q: %v", name, fields[i], err)
		}
		res.metrics[fields[i+1]] = v
	}
	return res, nil
}
