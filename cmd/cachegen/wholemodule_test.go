package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWholeModule runs cachegen on a whole module from its root, as CI
// does with cachegen -check ./...: each package with directives gets its
// own table, with the group prefixes main gives its routes; the check
// covers every table and names the stale one; the run works from any
// directory.
func TestWholeModule(t *testing.T) {
	t.Parallel()
	mod, env := caseModule(t, "wholemodule")
	app := filepath.Join(mod, "wholemodule")
	articles := filepath.Join(app, "articles", "cache_policies_gen.go")
	profiles := filepath.Join(app, "profiles", "cache_policies_gen.go")

	code, stdout, stderr := runIn(mod, env, "-check", "./...")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "cachegen: wholemodule/articles/cache_policies_gen.go is missing: run go generate (package example.com/cases/wholemodule/articles)")
	assert.Contains(t, stderr, "cachegen: wholemodule/profiles/cache_policies_gen.go is missing")
	assert.Contains(t, stdout, "+++ wholemodule/articles/cache_policies_gen.go (generated)")

	code, stdout, stderr = runIn(mod, env, "./...")
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stdout)
	assert.Empty(t, stderr, "every route's path is resolved: no warning")
	got, err := os.ReadFile(articles)
	require.NoError(t, err)
	assert.Contains(t, string(got), "\npackage articles\n")
	assert.Contains(t, string(got), `{Method: "GET", Path: "/api/articles", Handler: "example.com/cases/wholemodule/articles.list", Policy: gincache.Policy{TTL: time.Minute}},`)
	assert.Contains(t, string(got), `{Method: "POST", Path: "/api/articles", Handler: "example.com/cases/wholemodule/articles.create", Policy: gincache.Policy{Invalidate: []string{"/api/profiles/*"}}},`)
	assert.NotContains(t, string(got), "profiles.show", "a table holds its own package's directives")
	got, err = os.ReadFile(profiles)
	require.NoError(t, err)
	assert.Contains(t, string(got), `{Method: "GET", Path: "/api/profiles/:username", Handler: "example.com/cases/wholemodule/profiles.show", Policy: gincache.Policy{TTL: 5 * time.Minute}},`)
	assert.NoFileExists(t, filepath.Join(app, "cache_policies_gen.go"), "main has no directives")
	assert.NoFileExists(t, filepath.Join(app, "plain", "cache_policies_gen.go"))

	code, stdout, stderr = runIn(mod, env, "-check", "./...")
	assert.Equal(t, 0, code)
	assert.Empty(t, stdout)
	assert.Empty(t, stderr)

	// Run in one handler package alone, cachegen cannot see the prefix
	// main gives: the README says to run it on main with the packages.
	code, _, stderr = runIn(filepath.Dir(profiles), env, "-check")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "profiles.go:8:8: warning: cannot resolve the full path of this route (g is a parameter of Register, which no loaded package calls)")

	// One stale table: the check fails, and its diff and message name
	// that package only.
	src := filepath.Join(app, "profiles", "profiles.go")
	writeFile(t, src, strings.Replace(readFile(t, src), "//cache:ttl=300", "//cache:ttl=600", 1))
	code, stdout, stderr = runIn(mod, env, "-check", "./...")
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "--- wholemodule/profiles/cache_policies_gen.go (on disk)\n+++ wholemodule/profiles/cache_policies_gen.go (generated)\n")
	assert.Contains(t, stdout, "+\t{Method: \"GET\", Path: \"/api/profiles/:username\", Handler: \"example.com/cases/wholemodule/profiles.show\", Policy: gincache.Policy{TTL: 10 * time.Minute}},")
	assert.Equal(t, "cachegen: wholemodule/profiles/cache_policies_gen.go is stale: run go generate (package example.com/cases/wholemodule/profiles)\n", stderr)
	assert.NotContains(t, stdout, "articles")

	// From another directory, with a relative pattern: the same check,
	// the files named relative to where it runs.
	code, stdout, stderr = runIn(filepath.Join(app, "plain"), env, "-check", "../...")
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "--- ../profiles/cache_policies_gen.go (on disk)")
	assert.Contains(t, stderr, "cachegen: ../profiles/cache_policies_gen.go is stale")

	// -explain covers every table, one section per package.
	code, stdout, stderr = runIn(mod, env, "-explain", "./...")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "# example.com/cases/wholemodule/articles (wholemodule/articles/cache_policies_gen.go)\nCached routes (2):\n")
	assert.Contains(t, stdout, "\n# example.com/cases/wholemodule/profiles (wholemodule/profiles/cache_policies_gen.go)\nCached routes (1):\n")

	// Regenerating rewrites the stale table only.
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	require.NoError(t, os.Chtimes(articles, old, old))
	code, _, stderr = runIn(mod, env, "./...")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, readFile(t, profiles), "TTL: 10 * time.Minute")
	fi, err := os.Stat(articles)
	require.NoError(t, err)
	assert.True(t, fi.ModTime().Equal(old), "the current table was rewritten")

	// A package whose directives are all gone keeps its generated file,
	// which must then be emptied: -check says it is stale.
	writeFile(t, src, strings.Replace(readFile(t, src), "//cache:ttl=600\n", "", 1))
	code, stdout, stderr = runIn(mod, env, "-check", "./...")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "wholemodule/profiles/cache_policies_gen.go is stale")
	assert.Contains(t, stdout, "+var CachePolicies = gincache.Table{}\n")
}

// TestDiagnosticPaths checks that diagnostics name files relative to the
// working directory, as go vet does, and by absolute path under go
// generate, whose working directory is the package's, not the user's.
func TestDiagnosticPaths(t *testing.T) {
	t.Parallel()
	mod, env := caseModule(t, "wholemodule")
	src := filepath.Join(mod, "wholemodule", "articles", "articles.go")
	writeFile(t, src, strings.Replace(readFile(t, src), "//cache:ttl=60\n", "//cache:tll=60\n", 1))

	code, _, stderr := runIn(mod, env, "-check", "./...")
	assert.Equal(t, 1, code)
	assert.Equal(t, "wholemodule/articles/articles.go:13:9: unknown key \"tll\": did you mean ttl?\n", stderr)

	code, _, stderr = runIn(filepath.Join(mod, "wholemodule", "plain"), env, "-check", "../...")
	assert.Equal(t, 1, code)
	assert.Equal(t, "../articles/articles.go:13:9: unknown key \"tll\": did you mean ttl?\n", stderr)

	genEnv := append(env[:len(env):len(env)], "GOFILE=main.go", "GOPACKAGE=main", "GOLINE=1")
	code, _, stderr = runIn(filepath.Join(mod, "wholemodule"), genEnv, "./...")
	assert.Equal(t, 1, code)
	assert.Equal(t, src+":13:9: unknown key \"tll\": did you mean ttl?\n", stderr)
}

// TestLoadFailures checks that a failure of the go command or of loading
// is printed as the go command reported it, with exit 1, and never
// turned into another message.
func TestLoadFailures(t *testing.T) {
	t.Parallel()
	broken := t.TempDir()
	writeFile(t, filepath.Join(broken, "go.mod"), "module example.com/broken\n\ngo 1.26\n\nrequire (\n")
	writeFile(t, filepath.Join(broken, "b.go"), "package broken\n")
	code, stdout, stderr := runIn(broken, moduleEnv(), "-check", "./...")
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "go: errors parsing go.mod:\n")
	assert.Contains(t, stderr, "go.mod:6: syntax error (unterminated block started at ")
	assert.NotContains(t, stderr, "err: exit status")
	assert.NotContains(t, stderr, "no loaded package")

	missing := t.TempDir()
	writeFile(t, filepath.Join(missing, "go.mod"), "module example.com/missing\n\ngo 1.26\n")
	writeFile(t, filepath.Join(missing, "m.go"), "package missing\n\nimport _ \"example.com/nowhere/pkg\"\n")
	code, _, stderr = runIn(missing, moduleEnv(), "./...")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "m.go:3:8: no required module provides package example.com/nowhere/pkg")
	assert.NoFileExists(t, filepath.Join(missing, "cache_policies_gen.go"))

	mod, env := sharedModule(t)
	code, _, stderr = runIn(mod, env, "./nothing/...")
	assert.Equal(t, 1, code)
	assert.Equal(t, "cachegen: pattern ./nothing/...: lstat ./nothing/: no such file or directory\n", stderr)
	require.NoError(t, os.MkdirAll(filepath.Join(mod, "nogo", "sub"), 0o777))
	code, _, stderr = runIn(mod, env, "./nogo/...")
	assert.Equal(t, 1, code)
	assert.Equal(t, "cachegen: ./nogo/... matched no packages\n", stderr)
}

// TestHelp checks that -h, asked for, prints the usage and exits 0.
func TestHelp(t *testing.T) {
	code, stdout, stderr := runIn(t.TempDir(), nil, "-h")
	assert.Equal(t, 0, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "usage: cachegen [flags] [packages]")
	assert.Contains(t, stderr, "-check")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o666))
}

// TestGatheredTable checks -output with several packages: one table, in
// main, of every package's directives; and that a run without -output
// refuses to replace it with main's own directives, which would silently
// drop the others.
func TestGatheredTable(t *testing.T) {
	t.Parallel()
	mod, env := caseModule(t, "wholemodule")
	app := filepath.Join(mod, "wholemodule")
	gathered := filepath.Join(app, "cache_policies_gen.go")

	code, _, stderr := runIn(app, env, "-output", "cache_policies_gen.go", "./...")
	require.Equal(t, 0, code, stderr)
	got := readFile(t, gathered)
	assert.Contains(t, got, "\npackage main\n")
	assert.Contains(t, got, `Path: "/api/articles/:slug", Handler: "example.com/cases/wholemodule/articles.get"`)
	assert.Contains(t, got, `Path: "/api/profiles/:username", Handler: "example.com/cases/wholemodule/profiles.show"`)
	assert.NoFileExists(t, filepath.Join(app, "articles", "cache_policies_gen.go"))

	code, _, stderr = runIn(mod, env, "-check", "-output", "wholemodule/cache_policies_gen.go", "./...")
	assert.Equal(t, 0, code, stderr)

	code, _, stderr = runIn(mod, env, "./...")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "cachegen: wholemodule/cache_policies_gen.go holds a table gathered from several packages with -output: run cachegen with the same -output, or remove the file for a table per package\n")
	assert.Equal(t, got, readFile(t, gathered))
	assert.NoFileExists(t, filepath.Join(app, "articles", "cache_policies_gen.go"))
}
