package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runIn runs cachegen in dir and returns its exit code and outputs.
func runIn(dir string, env []string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, dir, env, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestCheck(t *testing.T) {
	mod, env := sharedModule(t)
	dir := filepath.Join(mod, "functions")
	out := filepath.Join(dir, "cache_policies_gen.go")
	// The module is shared by the whole run: leave it as found, without
	// the file, so that the test passes again under -count.
	t.Cleanup(func() { _ = os.Remove(out) })

	code, stdout, stderr := runIn(dir, env, "-check")
	require.Equal(t, 1, code, "-check without the file: stdout:\n%s\nstderr:\n%s", stdout, stderr)
	require.Contains(t, stderr, "cache_policies_gen.go is missing: run go generate", "-check without the file")
	require.Contains(t, stdout, "+++ cache_policies_gen.go (generated)", "-check without the file")
	_, err := os.Stat(out)
	require.ErrorIs(t, err, os.ErrNotExist, "-check wrote the file")

	code, _, stderr = runIn(dir, env)
	require.Equal(t, 0, code, "generate: %s", stderr)
	fresh, err := os.ReadFile(out)
	require.NoError(t, err)
	code, stdout, stderr = runIn(dir, env, "-check")
	require.Equal(t, 0, code, "-check on a current file: stdout:\n%s\nstderr:\n%s", stdout, stderr)
	require.Empty(t, stdout, "-check on a current file")
	require.Empty(t, stderr, "-check on a current file")

	stale := bytes.Replace(fresh, []byte("TTL: time.Hour}"), []byte("TTL: 2 * time.Hour}"), 1)
	require.False(t, bytes.Equal(stale, fresh), "the generated file has no TTL: time.Hour to edit:\n%s", fresh)
	require.NoError(t, os.WriteFile(out, stale, 0o666))
	code, stdout, stderr = runIn(dir, env, "-check")
	require.Equal(t, 1, code, "-check on a stale file: exit %d\n%s", code, stderr)
	require.Contains(t, stderr, "cache_policies_gen.go is stale: run go generate", "-check on a stale file: exit %d\n%s", code, stderr)
	for _, want := range []string{
		"--- cache_policies_gen.go (on disk)\n+++ cache_policies_gen.go (generated)\n@@ ",
		"Policy: gincache.Policy{TTL: 2 * time.Hour}},\n+",
	} {
		assert.Contains(t, stdout, want, "the diff lacks %q:\n%s", want, stdout)
	}
	got, _ := os.ReadFile(out)
	assert.Equal(t, stale, got, "-check rewrote the stale file")
}

// TestRewritesOnlyWhenChanged checks that a run that would write the same
// bytes leaves the file alone (its modification time too), and that a
// second run gives the same bytes as the first.
func TestRewritesOnlyWhenChanged(t *testing.T) {
	mod, env := sharedModule(t)
	dir := filepath.Join(mod, "nested")
	out := filepath.Join(dir, "cache_policies_gen.go")
	code, _, stderr := runIn(dir, env)
	require.Equal(t, 0, code, "exit %d\n%s", code, stderr)
	first, _ := os.ReadFile(out)
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	require.NoError(t, os.Chtimes(out, old, old))
	code, _, stderr = runIn(dir, env)
	require.Equal(t, 0, code, "exit %d\n%s", code, stderr)
	second, _ := os.ReadFile(out)
	assert.Equal(t, second, first, "two runs gave different files")
	fi, err := os.Stat(out)
	require.NoError(t, err, "the unchanged file was rewritten (%v)", err)
	assert.True(t, fi.ModTime().Equal(old), "the unchanged file was rewritten (%v)", err)
}

func TestTags(t *testing.T) {
	mod, env := sharedModule(t)
	dir := filepath.Join(mod, "tags")
	code, stdout, stderr := runIn(dir, env, "-explain")
	require.Equal(t, 0, code, "without tags: %s%s", stdout, stderr)
	require.NotContains(t, stdout, "/extra", "without tags")
	code, stdout, stderr = runIn(dir, env, "-explain", "-tags=extra")
	require.Equal(t, 0, code, "with -tags=extra: exit %d\n%s%s", code, stdout, stderr)
	require.Contains(t, stdout, "GET /extra", "with -tags=extra: exit %d\n%s%s", code, stdout, stderr)
	require.Contains(t, stdout, "GET /always", "with -tags=extra: exit %d\n%s%s", code, stdout, stderr)
}

func TestOutputAndVar(t *testing.T) {
	mod, env := sharedModule(t)
	dir := filepath.Join(mod, "group")
	code, _, stderr := runIn(dir, env, "-output", "policies.go", "-var", "routeCache")
	require.Equal(t, 0, code, "exit %d\n%s", code, stderr)
	got, err := os.ReadFile(filepath.Join(dir, "policies.go"))
	require.NoError(t, err)
	assert.True(t, bytes.Contains(got, []byte("\nvar routeCache = gincache.Table{\n")), "policies.go does not declare routeCache:\n%s", got)
	_, err = os.Stat(filepath.Join(dir, "cache_policies_gen.go"))
	assert.Error(t, err, "the default output was written too")
}

func TestVerbose(t *testing.T) {
	mod, env := sharedModule(t)
	code, _, stderr := runIn(filepath.Join(mod, "group"), env, "-v", "-explain")
	require.Equal(t, 0, code, "exit %d\n%s", code, stderr)
	require.Contains(t, stderr, "cachegen: 1 packages, 2 route registrations: load ", "exit %d\n%s", code, stderr)
	require.Contains(t, stderr, ", analysis ", "exit %d\n%s", code, stderr)
}

// TestDiagnosticsFail checks that errors in the code exit 1 and write
// nothing, also under -explain and -check.
func TestDiagnosticsFail(t *testing.T) {
	mod, env := sharedModule(t)
	dir := filepath.Join(mod, "err_ttl_missing")
	for _, args := range [][]string{nil, {"-explain"}, {"-check"}} {
		code, stdout, stderr := runIn(dir, env, args...)
		assert.Equal(t, 1, code, "%v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, stdout, stderr)
		assert.Empty(t, stdout, "%v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, stdout, stderr)
		assert.Equal(t, 2, strings.Count(stderr, "a cached GET needs ttl="), "%v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, stdout, stderr)
	}
	_, err := os.Stat(filepath.Join(dir, "cache_policies_gen.go"))
	assert.Error(t, err, "a failed run wrote the file")
}

func TestUsageErrors(t *testing.T) {
	mod, env := sharedModule(t)
	dir := filepath.Join(mod, "functions")
	require.NoError(t, os.MkdirAll(filepath.Join(mod, "empty"), 0o777))
	handWritten := filepath.Join(dir, "mine.go")
	require.NoError(t, os.WriteFile(handWritten, []byte("package functions\n"), 0o666))
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"-format=mermaid"}, "cachegen: -format applies to -explain only"},
		{[]string{"-explain", "-format=svg"}, `cachegen: -format "svg": want text or mermaid`},
		{[]string{"-check", "-explain"}, "cachegen: -check and -explain cannot be combined"},
		{[]string{"-var", "1x"}, `cachegen: -var "1x" is not a Go identifier`},
		{[]string{"-var", "_"}, `cachegen: -var "_" is not a Go identifier`},
		{[]string{"-output", "policies.txt"}, `cachegen: -output "policies.txt" must name a .go file that is not a test file`},
		{[]string{"-output", "x_test.go"}, `must name a .go file that is not a test file`},
		{[]string{"-output", "mine.go"}, "mine.go exists and was not generated by cachegen: refusing to overwrite it"},
		{[]string{"-output", "../empty/x.go"}, "no loaded package is in " + filepath.Join(mod, "empty") + ", where x.go goes: add that directory to the patterns, or move -output"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runIn(dir, env, tt.args...)
		assert.Equal(t, 2, code, "%v: exit %d, stderr:\n%s\nwant exit 2 and %q", tt.args, code, stderr, tt.want)
		assert.Empty(t, stdout, "%v: exit %d, stderr:\n%s\nwant exit 2 and %q", tt.args, code, stderr, tt.want)
		assert.Contains(t, stderr, tt.want, "%v: exit %d, stderr:\n%s\nwant exit 2 and %q", tt.args, code, stderr, tt.want)
	}
	got, _ := os.ReadFile(handWritten)
	assert.Equal(t, "package functions\n", string(got), "the hand-written file was changed")
	_, err := os.Stat(filepath.Join(mod, "empty", "x.go"))
	assert.Error(t, err, "a file was written where no package is")
}

func TestLoadFailure(t *testing.T) {
	mod, env := sharedModule(t)
	code, _, stderr := runIn(filepath.Join(mod, "functions"), env, "./does-not-exist")
	require.Equal(t, 1, code, "exit %d\n%s", code, stderr)
	require.NotEmpty(t, stderr, "exit %d\n%s", code, stderr)
}
