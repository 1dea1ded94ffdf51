package main

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen/internal/textdiff"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite the want/ files under testdata from the current output")

// ginVersion is the Gin release the cases are built against.
const ginVersion = "v1.12.0"

// caseModule copies testdata/<case> for each case into a fresh module,
// example.com/cases, that requires Gin and this repository (through a
// replace directive), and returns its directory and the environment the
// go command needs there. The module is tidied through the module proxy
// (GOPROXY as the environment sets it), so the tests pass on an empty
// module cache.
func caseModule(t testing.TB, cases ...string) (string, []string) {
	t.Helper()
	mod := t.TempDir()
	env, err := makeCaseModule(mod, cases...)
	require.NoError(t, err)
	return mod, env
}

var shared struct {
	once sync.Once
	dir  string
	env  []string
	err  error
}

// sharedModule is a case module built once for the tests that each work
// on their own case of it (and remove with TestMain).
func sharedModule(t testing.TB) (string, []string) {
	t.Helper()
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "cachegen-cli-")
		if shared.err == nil {
			shared.env, shared.err = makeCaseModule(shared.dir, "functions", "tags", "group", "nested", "err_ttl_missing")
		}
	})
	require.NoError(t, shared.err)
	return shared.dir, shared.env
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// makeCaseModule builds a case module in mod. It is made complete once with
// go mod tidy, so that the runs that follow, in parallel, never write
// go.mod.
func makeCaseModule(mod string, cases ...string) ([]string, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return nil, err
	}
	for _, c := range cases {
		if err := copyCase(filepath.Join("testdata", c), filepath.Join(mod, c)); err != nil {
			return nil, err
		}
	}
	gomod := fmt.Sprintf(`module example.com/cases

go 1.26

require (
	github.com/gin-gonic/gin %s
	github.com/intelligentcache/gin-intelligent-cache v0.0.0-00010101000000-000000000000
)

replace github.com/intelligentcache/gin-intelligent-cache => %s
`, ginVersion, root)
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte(gomod), 0o666); err != nil {
		return nil, err
	}
	// As in an application's module, Gin and gincache are dependencies
	// whatever the cases import: go mod tidy must keep them.
	deps := "// Package cases keeps the module's dependencies.\npackage cases\n\nimport (\n\t_ \"github.com/gin-gonic/gin\"\n\t_ \"github.com/intelligentcache/gin-intelligent-cache/gincache\"\n)\n"
	if err := os.WriteFile(filepath.Join(mod, "deps.go"), []byte(deps), 0o666); err != nil {
		return nil, err
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(mod, "go.sum"), sum, 0o666); err != nil {
		return nil, err
	}
	env := moduleEnv()
	// The checkout's go.sum, copied in above, already holds the checksums
	// of most modules; tidy downloads (and verifies) the rest, such as
	// the modules only Gin's build-tagged JSON codecs import.
	cmd := exec.Command("go", "mod", "tidy")
	cmd.Dir = mod
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go mod tidy: %v\n%s", err, out)
	}
	return env, nil
}

// moduleEnv is the environment of the go command in a case module.
func moduleEnv() []string { return testutil.GoEnv() }

// copyCase copies a case's inputs, leaving out its expectations (want/
// and the args file).
func copyCase(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if d.Name() == "want" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o777)
		}
		if rel == "args" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o666)
	})
}

// goCmd runs the go command in dir and returns its standard output.
func goCmd(t testing.TB, dir string, env []string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	return out
}

// golden compares got with the file at path, or rewrites the file under
// -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o777))
		require.NoError(t, os.WriteFile(path, got, 0o666))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "%v (run go test -update to create it)", err)
	d := textdiff.Unified("want", "got", string(want), string(got))
	assert.Empty(t, d, "%s differs (-want +got):\n%s", path, d)
}

// noGolden checks that no expectation file exists at path (or removes it
// under -update).
func noGolden(t *testing.T, path string) {
	t.Helper()
	if *update {
		os.Remove(path)
		return
	}
	_, err := os.Stat(path)
	assert.Error(t, err, "%s exists, but the run produced no such output", path)
}
