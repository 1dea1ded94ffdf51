package testutil

import (
	"os"
	"testing"

	"github.com/intelligentcache/gin-intelligent-cache/internal/redisserver"
)

// RequireEnv names the environment variable that turns a missing
// redis-server into a test failure instead of a fallback or a skip.
const RequireEnv = "GINCACHE_REQUIRE_REDIS"

// lookPath finds the redis-server binary; tests replace it to simulate a
// machine without one.
var lookPath = redisserver.LookPath

// Required reports whether GINCACHE_REQUIRE_REDIS asks for a real server
// (programs that start servers themselves, such as the bench module, ask too).
func Required() bool {
	v := os.Getenv(RequireEnv)
	return v != "" && v != "0" && v != "false"
}

// serverBinary returns the redis-server path, or "" when there is none
// and a fallback is acceptable. With GINCACHE_REQUIRE_REDIS set, a missing
// binary fails the test.
func serverBinary(t testing.TB) string {
	t.Helper()
	path, err := lookPath()
	if err == nil {
		return path
	}
	if Required() {
		t.Fatalf("testutil: %s is set but redis-server was not found: %v", RequireEnv, err)
	}
	return ""
}

// RealServerBinary returns the redis-server path, or skips the test (fails
// it under GINCACHE_REQUIRE_REDIS) when there is none, with a message
// naming what needed it: for tests that start servers of their own
// (through internal/redisserver, or a program that does, such as
// cmd/chaos) or need what miniredis cannot do (signals, a cluster, INFO
// server).
func RealServerBinary(t testing.TB, what string) string {
	t.Helper()
	path := serverBinary(t)
	if path == "" {
		t.Skipf("testutil: skipping %s: redis-server not found on PATH (install redis-server, or set %s=1 to make this a failure)", what, RequireEnv)
	}
	return path
}
