package testutil

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/intelligentcache/gin-intelligent-cache/internal/redisserver"
)

// StartReplica starts a redis-server replicating master and waits until
// it has synced. Both need the real binary (see StartRealRedis).
func StartReplica(t testing.TB, master *Redis) *Redis {
	t.Helper()
	if !master.Real() {
		t.Fatal("testutil: StartReplica needs a master started by StartRealRedis")
	}
	r := startReal(t, master.bin, "--replicaof", "127.0.0.1", strconv.Itoa(master.port))
	deadline := time.Now().Add(redisserver.DefaultStartTimeout)
	for {
		info, err := r.Client().Info(context.Background(), "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up") {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("testutil: replica %s not in sync with %s after %v: %v %q", r.Addr(), master.Addr(), redisserver.DefaultStartTimeout, err, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Sentinel is a Redis Sentinel watching one master, for tests of
// failovers. It is stopped at the test's cleanup.
type Sentinel struct {
	srv *redisserver.Server
}

// StartSentinel starts a Sentinel (redis-server --sentinel) that monitors
// master under name with a quorum of one, so that it can fail over on its
// own (SENTINEL FAILOVER, or the master down for a second).
func StartSentinel(t testing.TB, name string, master *Redis) *Sentinel {
	t.Helper()
	bin := RealServerBinary(t, "Sentinel test")
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf("sentinel monitor %[1]s 127.0.0.1 %[2]d 1\n"+
		"sentinel down-after-milliseconds %[1]s 1000\n"+
		"sentinel failover-timeout %[1]s 5000\n", name, master.port)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := redisserver.Start(redisserver.Options{Binary: bin, Dir: dir, ConfigFile: conf, Args: []string{"--sentinel"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return &Sentinel{srv: srv}
}

// Addr is the Sentinel's host:port on loopback.
func (s *Sentinel) Addr() string { return s.srv.Addr() }

// Failover has the Sentinel promote a replica of the master it monitors
// under name (SENTINEL FAILOVER), and fails the test if it cannot.
// Sentinel refuses with NOGOODSLAVE until a replica qualifies (its INFO
// read, a recent PING answered), which on a loaded machine takes it a few
// of its one-second rounds: the request is repeated on that refusal only,
// until it is accepted or WaitFor gives up.
func (s *Sentinel) Failover(t testing.TB, name string) {
	t.Helper()
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr(), DialTimeout: SocketTimeout, ReadTimeout: SocketTimeout})
	defer sc.Close()
	var err error
	WaitFor(t, "Sentinel to accept a failover of "+name, func() bool {
		err = sc.Failover(context.Background(), name).Err()
		return err == nil || !strings.HasPrefix(err.Error(), "NOGOODSLAVE")
	})
	if err != nil {
		t.Fatalf("testutil: SENTINEL FAILOVER %s: %v", name, err)
	}
}
