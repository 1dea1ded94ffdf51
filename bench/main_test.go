package bench

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/internal/redisserver"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// rounds is how many times each comparison alternates its contenders.
var rounds = flag.Int("rounds", 3, "rounds of each interleaved comparison")

// storeFirst builds the gincache contenders with
// gincache.WithStoreBeforeResponse(true): on Redis a miss is stored before
// its response rather than after it (BENCHMARKS.md compares the two).
var storeFirst = flag.Bool("store-first", false, "gincache stores a miss before its response (WithStoreBeforeResponse(true))")

// shared is the redis-server the hit, miss, bypass and parallel
// benchmarks share (each fixture under its own key prefix), in a directory
// of its own; benchmarks that need a keyspace of their own start their own.
var shared struct {
	once sync.Once
	dir  string
	srv  *redisserver.Server
	err  error
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if shared.srv != nil {
		shared.srv.Close()
	}
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// noRedis is the message of the Redis benchmarks skipped for want of a
// server.
const noRedis = "redis-server not found on PATH: Redis benchmarks skipped (set " + testutil.RequireEnv + " to fail instead)"

// sharedRedis returns the shared server, or nil when there is no
// redis-server and none is required. It fails b when the server cannot
// start, or is missing and required.
func sharedRedis(b *testing.B) *redisserver.Server {
	b.Helper()
	shared.once.Do(func() {
		if shared.dir, shared.err = os.MkdirTemp("", "bench-redis-"); shared.err == nil {
			shared.srv, shared.err = redisserver.Start(redisserver.Options{Dir: shared.dir})
		}
	})
	return check(b, shared.srv, shared.err)
}

// ownRedis starts a server for b alone, stopped at b's cleanup; nil as
// sharedRedis.
func ownRedis(b *testing.B) *redisserver.Server {
	b.Helper()
	srv, err := redisserver.Start(redisserver.Options{Dir: b.TempDir()})
	if srv != nil {
		b.Cleanup(srv.Close)
	}
	return check(b, srv, err)
}

func check(b *testing.B, srv *redisserver.Server, err error) *redisserver.Server {
	b.Helper()
	if errors.Is(err, redisserver.ErrNoBinary) && !testutil.Required() {
		return nil
	}
	require.NotErrorIs(b, err, redisserver.ErrNoBinary, "%s is set but redis-server is not on PATH", testutil.RequireEnv)
	require.NoError(b, err)
	return srv
}

// interleave runs each case once per round, as sub-benchmarks named
// prefix+"impl=NAME/round=N", in the listed order on even rounds and in
// reverse on odd ones, so that no contender always runs right after the
// same other one.
func interleave(b *testing.B, prefix string, cases []namedRun) {
	for r := range *rounds {
		for i := range cases {
			c := cases[i]
			if r%2 == 1 {
				c = cases[len(cases)-1-i]
			}
			b.Run(fmt.Sprintf("%simpl=%s/round=%d", prefix, c.name, r), c.run)
		}
	}
}

// namedRun is one contender's benchmark body.
type namedRun struct {
	name string
	run  func(b *testing.B)
}

// skipped is the body of a contender that cannot run here.
func skipped(msg string) func(b *testing.B) {
	return func(b *testing.B) { b.Skip(msg) }
}
