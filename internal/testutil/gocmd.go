package testutil

import (
	"os"
	"strings"
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
