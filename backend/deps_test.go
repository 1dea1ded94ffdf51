package backend_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

const goRedis = "github.com/redis/go-redis/v9"

// deps lists the packages pkg links, as go list -deps reports them (test
// files aside: they are what a user's binary gets).
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out := testutil.RunGo(t, ".", testutil.GoEnv(), "list", "-deps", pkg)
	return strings.Fields(out)
}

// The contract and the memory backend link no Redis client: a memory-only
// application, or a custom backend, does not carry go-redis. The Redis
// backend does, which shows the check sees it when it is there.
func TestOnlyTheRedisBackendLinksGoRedis(t *testing.T) {
	for _, pkg := range []string{".", "./memory"} {
		d := deps(t, pkg)
		require.NotEmpty(t, d, "go list -deps %s", pkg)
		for _, p := range d {
			assert.False(t, strings.HasPrefix(p, goRedis), "go list -deps %s holds %s", pkg, p)
		}
	}
	assert.Contains(t, deps(t, "./redis"), goRedis, "go list -deps ./redis")
}
