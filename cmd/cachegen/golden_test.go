package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen/internal/generator"
	"github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen/internal/textdiff"
)

// explainCases also get their -explain output checked, in both formats.
var explainCases = map[string]bool{"invalidation": true}

// goldenCase is one directory of testdata.
type goldenCase struct {
	name string
	args []string
}

func (c goldenCase) varName() string {
	if i := slices.Index(c.args, "-var"); i >= 0 && i+1 < len(c.args) {
		return c.args[i+1]
	}
	return generator.DefaultVar
}

func goldenCases(t *testing.T) []goldenCase {
	entries, err := os.ReadDir("testdata")
	require.NoError(t, err)
	var cases []goldenCase
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "e2e" || e.Name() == "wholemodule" {
			continue
		}
		c := goldenCase{name: e.Name()}
		if data, err := os.ReadFile(filepath.Join("testdata", e.Name(), "args")); err == nil {
			c.args = strings.Fields(string(data))
		}
		cases = append(cases, c)
	}
	return cases
}

// TestGolden runs cachegen on every case of testdata and compares its exit
// code and diagnostics (want/stderr.txt), the generated file
// (want/cache_policies_gen.go) and for some cases the -explain output
// (want/explain.txt, want/explain.mmd). Then it compiles every generated
// file, checks each table with gincache's Validate, and runs the names
// case to compare the table's handler names with what Gin reports.

func TestGolden(t *testing.T) {
	cases := goldenCases(t)
	var names []string
	for _, c := range cases {
		names = append(names, c.name)
	}
	mod, env := caseModule(t, names...)

	var mu sync.Mutex
	var generated []goldenCase
	t.Run("cases", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				if runGoldenCase(t, mod, env, c) {
					mu.Lock()
					generated = append(generated, c)
					mu.Unlock()
				}
			})
		}
	})
	if t.Failed() {
		return
	}
	t.Run("compile and validate", func(t *testing.T) {
		validateTables(t, mod, env, generated)
	})
	t.Run("run-time names", func(t *testing.T) {
		checkRuntimeNames(t, mod, env)
	})
}

// runGoldenCase runs one case and reports whether it generated a file.
func runGoldenCase(t *testing.T, mod string, env []string, c goldenCase) bool {
	dir := filepath.Join(mod, c.name)
	want := filepath.Join("testdata", c.name, "want")
	out := filepath.Join(dir, generator.DefaultOutput)
	before, _ := os.ReadFile(out)

	var stdout, stderr bytes.Buffer
	code := run(c.args, dir, env, &stdout, &stderr)
	golden(t, filepath.Join(want, "stderr.txt"), fmt.Appendf(nil, "exit %d\n%s", code, stderr.Bytes()))
	assert.Empty(t, stdout.String(), "unexpected output on stdout")
	got, err := os.ReadFile(out)
	if code != 0 {
		assert.Equal(t, before, got, "a failed run changed %s", out)
		noGolden(t, filepath.Join(want, generator.DefaultOutput))
		return false
	}
	require.NoError(t, err, "exit 0 but no generated file")
	golden(t, filepath.Join(want, generator.DefaultOutput), got)
	formatted, err := format.Source(got)
	require.NoError(t, err, "the generated file is not gofmt'd (%v):\n%s", err, textdiff.Unified("generated", "gofmt", string(got), string(formatted)))
	assert.Equal(t, got, formatted, "the generated file is not gofmt'd (%v):\n%s", err, textdiff.Unified("generated", "gofmt", string(got), string(formatted)))

	if explainCases[c.name] {
		for format, file := range map[string]string{"text": "explain.txt", "mermaid": "explain.mmd"} {
			stdout.Reset()
			stderr.Reset()
			args := append([]string{"-explain", "-format=" + format}, c.args...)
			code := run(args, dir, env, &stdout, &stderr)
			require.Equal(t, 0, code, "-explain: exit %d\n%s", code, stderr.Bytes())
			golden(t, filepath.Join(want, file), stdout.Bytes())
		}
	}
	return true
}

// validateTables compiles every generated file, in a program that imports
// each generated package and checks its table with Table.Validate. (The
// main packages are built and checked by checkRuntimeNames.)
func validateTables(t *testing.T, mod string, env []string, cases []goldenCase) {
	slices.SortFunc(cases, func(x, y goldenCase) int { return strings.Compare(x.name, y.name) })
	var imports, checks strings.Builder
	n := 0
	for _, c := range cases {
		if c.name == "names" {
			continue
		}
		fmt.Fprintf(&imports, "\tc%d %q\n", n, "example.com/cases/"+c.name)
		fmt.Fprintf(&checks, "\tcheck(%q, c%d.%s)\n", c.name, n, c.varName())
		n++
	}
	require.NotZero(t, n, "no case generated a file")
	src := fmt.Sprintf(`package main

import (
	"fmt"
	"os"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"

%s)

func check(name string, t gincache.Table) {
	if err := t.Validate(); err != nil {
		fmt.Printf("%%s: %%v\n", name, err)
		os.Exit(1)
	}
	fmt.Printf("%%s: %%d routes\n", name, len(t))
}

func main() {
%s}
`, imports.String(), checks.String())
	dir := filepath.Join(mod, "validate")
	require.NoError(t, os.MkdirAll(dir, 0o777))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o666))
	out := goCmd(t, mod, env, "run", "./validate")
	got := len(validated.FindAllString(string(out), -1))
	assert.Equal(t, n, got, "validated %d tables", got)
}

var validated = regexp.MustCompile(`(?m)^\S+: \d+ routes$`)

type route struct {
	Method, Path, Handler string
}

// checkRuntimeNames builds and runs the names case, which registers every
// form of handler on a real Gin engine, and checks that each route of the
// table is a route Gin reports: same method, same path, and the same
// handler name when the table gives one.
func checkRuntimeNames(t *testing.T, mod string, env []string) {
	var got struct {
		Routes, Table []route
		Invalid       string
	}
	require.NoError(t, json.Unmarshal(goCmd(t, mod, env, "run", "./names"), &got))
	assert.Empty(t, got.Invalid, "the table fails Validate: %s", got.Invalid)
	require.GreaterOrEqual(t, len(got.Table), 12, "the table has %d routes, want at least 12: %+v", len(got.Table), got.Table)
	named := 0
	for _, e := range got.Table {
		i := slices.IndexFunc(got.Routes, func(r route) bool {
			return r.Method == e.Method && r.Path == e.Path
		})
		if !assert.NotEqual(t, -1, i, "table route %s %s: Gin has no such route", e.Method, e.Path) {
			continue
		}
		if e.Handler == "" {
			continue // a closure: matched by path only
		}
		named++
		r := got.Routes[i]
		assert.Equal(t, e.Handler, r.Handler, "%s %s: table says handler %q, Gin reports", e.Method, e.Path, e.Handler)
	}
	assert.GreaterOrEqual(t, named, 10, "only %d routes carry a handler name", named)
}
