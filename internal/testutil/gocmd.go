package testutil

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// GoEnv is the environment for the go command in a temporary module that
// a test writes: the process's own (its GOPROXY, GOMODCACHE, GOCACHE and
// GOFLAGS such as -modcacherw, so that such a test downloads what it needs
// through the module proxy and passes on an empty module cache), outside
// any workspace, and without a -mod flag that a module with no vendor
// directory could not honour.
func GoEnv() []string {
	env := append(os.Environ(), "GOWORK=off")
	if flags := os.Getenv("GOFLAGS"); flags != "" {
		var kept []string
		for _, f := range strings.Fields(flags) {
			if !strings.HasPrefix(f, "-mod=") {
				kept = append(kept, f)
			}
		}
		env = append(env, "GOFLAGS="+strings.Join(kept, " "))
	}
	return env
}

// RunGo runs the go command in dir with env and returns its combined
// output; the test fails with that output if the command does.
func RunGo(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
