package near_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/backendtest"
	"github.com/intelligentcache/gin-intelligent-cache/backend/near"
	redisbackend "github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// The near cache is a backend like any other: it passes the contract's
// conformance suite in front of a real redis-server, so everything the
// middleware builds on the contract (stale entries, coalesced fills,
// tokens, scans, clears) behaves through it as through the Redis backend.
// The clock cases are left out: the near cache keeps time by the wall
// clock, which the suite cannot move.
func TestNearConformance(t *testing.T) {
	srv := testutil.StartRealRedis(t)
	backendtest.Run(t, backendtest.Harness{
		New: func(t *testing.T) backend.Backend {
			// A key prefix of its own: each subtest wants an empty backend.
			src, err := redisbackend.New(srv.URL(), redisbackend.Options{KeyPrefix: testutil.Prefix(t), Logger: quiet,
				DialTimeout: testutil.SocketTimeout, SocketTimeout: testutil.SocketTimeout})
			require.NoError(t, err)
			t.Cleanup(func() { _ = src.Close() })
			n, err := near.New(src, near.Options{Delta: 50 * time.Millisecond, Logger: quiet})
			require.NoError(t, err)
			return n
		},
		DuplicatesAcrossPages: true,
	})
}
