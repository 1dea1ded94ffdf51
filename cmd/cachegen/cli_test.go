package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

	if code, stdout, stderr := runIn(dir, env, "-check"); code != 1 || !strings.Contains(stderr, "cache_policies_gen.go is missing: run go generate") || !strings.Contains(stdout, "+++ cache_policies_gen.go (generated)") {
		t.Fatalf("-check without the file: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("-check wrote the file")
	}

	if code, _, stderr := runIn(dir, env); code != 0 {
		t.Fatalf("generate: exit %d\n%s", code, stderr)
	}
	fresh, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := runIn(dir, env, "-check"); code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("-check on a current file: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	stale := bytes.Replace(fresh, []byte("TTL: time.Hour}"), []byte("TTL: 2 * time.Hour}"), 1)
	if bytes.Equal(stale, fresh) {
		t.Fatalf("the generated file has no TTL: time.Hour to edit:\n%s", fresh)
	}
	if err := os.WriteFile(out, stale, 0o666); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runIn(dir, env, "-check")
	if code != 1 || !strings.Contains(stderr, "cache_policies_gen.go is stale: run go generate") {
		t.Fatalf("-check on a stale file: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"--- cache_policies_gen.go (on disk)\n+++ cache_policies_gen.go (generated)\n@@ ",
		"Policy: gincache.Policy{TTL: 2 * time.Hour}},\n+",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the diff lacks %q:\n%s", want, stdout)
		}
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, stale) {
		t.Error("-check rewrote the stale file")
	}
}

// TestRewritesOnlyWhenChanged checks that a run that would write the same
// bytes leaves the file alone (its modification time too), and that a
// second run gives the same bytes as the first.
func TestRewritesOnlyWhenChanged(t *testing.T) {
	mod, env := sharedModule(t)
	dir := filepath.Join(mod, "nested")
	out := filepath.Join(dir, "cache_policies_gen.go")
	if code, _, stderr := runIn(dir, env); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	first, _ := os.ReadFile(out)
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(out, old, old); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runIn(dir, env); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	second, _ := os.ReadFile(out)
	if !bytes.Equal(first, second) {
		t.Error("two runs gave different files")
	}
	if fi, err := os.Stat(out); err != nil || !fi.ModTime().Equal(old) {
		t.Errorf("the unchanged file was rewritten (%v)", err)
	}
}

func TestTags(t *testing.T) {
	mod, env := sharedModule(t)
	dir := filepath.Join(mod, "tags")
	if code, stdout, stderr := runIn(dir, env, "-explain"); code != 0 || strings.Contains(stdout, "/extra") {
		t.Fatalf("without tags: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr := runIn(dir, env, "-explain", "-tags=extra")
	if code != 0 || !strings.Contains(stdout, "GET /extra") || !strings.Contains(stdout, "GET /always") {
		t.Fatalf("with -tags=extra: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestOutputAndVar(t *testing.T) {
	mod, env := sharedModule(t)
	dir := filepath.Join(mod, "group")
	code, _, stderr := runIn(dir, env, "-output", "policies.go", "-var", "routeCache")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	got, err := os.ReadFile(filepath.Join(dir, "policies.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(got, []byte("\nvar routeCache = gincache.Table{\n")) {
		t.Errorf("policies.go does not declare routeCache:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "cache_policies_gen.go")); err == nil {
		t.Error("the default output was written too")
	}
}

func TestVerbose(t *testing.T) {
	mod, env := sharedModule(t)
	code, _, stderr := runIn(filepath.Join(mod, "group"), env, "-v", "-explain")
	if code != 0 || !strings.Contains(stderr, "cachegen: 1 packages, 2 route registrations: load ") || !strings.Contains(stderr, ", analysis ") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}

// TestDiagnosticsFail checks that errors in the code exit 1 and write
// nothing, also under -explain and -check.
func TestDiagnosticsFail(t *testing.T) {
	mod, env := sharedModule(t)
	dir := filepath.Join(mod, "err_ttl_missing")
	for _, args := range [][]string{nil, {"-explain"}, {"-check"}} {
		code, stdout, stderr := runIn(dir, env, args...)
		if code != 1 || stdout != "" || strings.Count(stderr, "a cached GET needs ttl=") != 2 {
			t.Errorf("%v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, stdout, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "cache_policies_gen.go")); err == nil {
		t.Error("a failed run wrote the file")
	}
}

func TestUsageErrors(t *testing.T) {
	mod, env := sharedModule(t)
	dir := filepath.Join(mod, "functions")
	if err := os.MkdirAll(filepath.Join(mod, "empty"), 0o777); err != nil {
		t.Fatal(err)
	}
	handWritten := filepath.Join(dir, "mine.go")
	if err := os.WriteFile(handWritten, []byte("package functions\n"), 0o666); err != nil {
		t.Fatal(err)
	}
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
		if code != 2 || stdout != "" || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant exit 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
	if got, _ := os.ReadFile(handWritten); string(got) != "package functions\n" {
		t.Error("the hand-written file was changed")
	}
	if _, err := os.Stat(filepath.Join(mod, "empty", "x.go")); err == nil {
		t.Error("a file was written where no package is")
	}
}

func TestLoadFailure(t *testing.T) {
	mod, env := sharedModule(t)
	code, _, stderr := runIn(filepath.Join(mod, "functions"), env, "./does-not-exist")
	if code != 1 || stderr == "" {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}
