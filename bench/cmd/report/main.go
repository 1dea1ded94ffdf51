// Command report runs the bench module's benchmarks (or reads their
// output from a file) and publishes them: it rewrites the generated
// blocks of BENCHMARKS.md (tables of ratios and figures, the machine, the
// commands) and the SVG charts under docs/bench/. Run it from bench/:
//
//	go run ./cmd/report                           # the full run, about a quarter of an hour
//	go run ./cmd/report -in results/latest.txt    # republish a saved run
//
// Usage errors exit 2; a failed run or a missing block exits 1.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// step is one go test invocation of the full run.
type step struct {
	bench, benchtime string
	rounds           bool // pass -rounds: the flag's value, or ownRounds
	ownRounds        int
}

func steps(benchtime string) []step {
	return []step{
		{`^Benchmark(Hit|Miss|Bypass)$`, benchtime, true, 0},
		{`^BenchmarkEndToEnd$`, benchtime, true, 0},
		{`^BenchmarkParallel$`, benchtime, true, 0},
		{`^BenchmarkInvalidate$`, benchtime, false, 0},
		{`^BenchmarkFootprint$`, "1x", false, 0},
		{`^BenchmarkCachegen$`, "5x", false, 0},
		// The near cache's (bench/near_test.go) run longer and more rounds
		// than the rest: a near hit is within a few percent of a memory
		// hit, which short rounds on a two-core machine cannot tell apart,
		// and a renewal waits δ, milliseconds each.
		{`^BenchmarkNearHit$/^size=1KiB$`, "1s", true, 10},
		{`^BenchmarkNearEndToEnd$`, "2s", true, 8},
		{`^BenchmarkNearRenew$`, "200x", true, 6},
	}
}

func (s step) args(rounds int) []string {
	args := []string{"test", "-run", "^$", "-bench", s.bench, "-benchtime", s.benchtime, "-timeout", "3h", "."}
	if s.ownRounds > 0 {
		rounds = s.ownRounds
	}
	if s.rounds {
		args = append(args, fmt.Sprintf("-rounds=%d", rounds))
	}
	return args
}

func main() {
	in := flag.String("in", "", "read go test -bench output from `file` instead of running the benchmarks")
	raw := flag.String("raw", "results/latest.txt", "where to save the output of a run (`file`)")
	md := flag.String("md", "../BENCHMARKS.md", "the Markdown `file` whose generated blocks are rewritten")
	chartDir := flag.String("charts", "../docs/bench", "the `directory` of the SVG charts")
	benchtime := flag.String("benchtime", "300ms", "-benchtime of each timed sub-benchmark")
	rounds := flag.Int("rounds", 5, "rounds of each interleaved comparison")
	flag.Parse()
	if flag.NArg() > 0 || *rounds < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := publish(*in, *raw, *md, *chartDir, *benchtime, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func publish(in, raw, md, chartDir, benchtime string, rounds int) error {
	// Read the Markdown first: a path that does not exist should fail
	// now, not after the ten minutes the benchmarks take.
	doc, err := os.ReadFile(md)
	if err != nil {
		return err
	}
	var output []byte
	if in != "" {
		if output, err = os.ReadFile(in); err != nil {
			return err
		}
	} else {
		if output, err = runBenchmarks(benchtime, rounds); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(raw), 0o777); err != nil {
			return err
		}
		if err := os.WriteFile(raw, output, 0o666); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "report: saved the run's output in", raw)
	}
	r, err := parse(bytes.NewReader(output))
	if err != nil {
		return err
	}
	if len(r.results) == 0 {
		return errors.New("no benchmark results in the output")
	}
	if err := os.MkdirAll(chartDir, 0o777); err != nil {
		return err
	}
	for _, c := range charts(r) {
		if err := os.WriteFile(filepath.Join(chartDir, c.file), []byte(c.svg), 0o666); err != nil {
			return err
		}
	}
	out, err := fillBlocks(string(doc), blocks(r, benchtime, rounds))
	if err != nil {
		return fmt.Errorf("%s: %w", md, err)
	}
	return os.WriteFile(md, []byte(out), 0o666)
}

// runBenchmarks runs every step, echoing the output, and returns it
// behind configuration lines describing the machine (benchstat reads
// "key: value" lines as configuration too).
func runBenchmarks(benchtime string, rounds int) ([]byte, error) {
	var all bytes.Buffer
	m := machine()
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&all, "%s: %s\n", k, m[k])
	}
	for _, s := range steps(benchtime) {
		args := s.args(rounds)
		fmt.Fprintf(os.Stderr, "report: go %s\n", strings.Join(args, " "))
		cmd := exec.Command("go", args...)
		cmd.Stdout = io.MultiWriter(os.Stdout, &all)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
		}
	}
	return all.Bytes(), nil
}

// machine describes where the run happens.
func machine() map[string]string {
	m := map[string]string{
		"go":    runtime.Version(),
		"cores": fmt.Sprint(runtime.NumCPU()),
		"date":  time.Now().UTC().Format("2006-01-02 15:04 UTC"),
	}
	if out, err := exec.Command("redis-server", "--version").Output(); err == nil {
		m["redis"] = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("uname", "-sr").Output(); err == nil {
		m["kernel"] = strings.TrimSpace(string(out))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			m["memory"] = fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
		}
	}
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m["commit"] = strings.TrimSpace(string(out))
	}
	return m
}
