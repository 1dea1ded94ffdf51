package testutil

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/intelligentcache/gin-intelligent-cache/internal/redisserver"
)

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// clusterTimeout bounds how long the nodes may take to agree on the
// cluster's state.
const clusterTimeout = 30 * time.Second

// Cluster is a Redis Cluster of masters on loopback, shared by the tests
// of one test binary. Tests must not stop its nodes; they keep their keys
// under a Prefix and Flush them.
type Cluster struct {
	dir     string
	procs   []*redisserver.Server
	private bool // started for one test, which may fault its nodes
}

var shared struct {
	mu       sync.Mutex
	clusters map[int]*sharedCluster
}

type sharedCluster struct {
	once sync.Once
	c    *Cluster
	err  error
}

// StartCluster returns the test binary's cluster of the given number of
// masters (at least 3), starting it at the first call. Without a
// redis-server binary it skips the test (fails it under
// GINCACHE_REQUIRE_REDIS). See the package doc for cleanup (Main).
func StartCluster(t testing.TB, masters int) *Cluster {
	t.Helper()
	if masters < 3 {
		t.Fatalf("testutil: a Redis Cluster needs at least 3 masters, not %d", masters)
	}
	bin := RealServerBinary(t, "cluster test")
	shared.mu.Lock()
	if shared.clusters == nil {
		shared.clusters = make(map[int]*sharedCluster)
	}
	sc := shared.clusters[masters]
	if sc == nil {
		sc = &sharedCluster{}
		shared.clusters[masters] = sc
	}
	shared.mu.Unlock()
	sc.once.Do(func() { sc.c, sc.err = startCluster(bin, masters, sharedNodeTimeout) })
	if sc.err != nil {
		t.Fatal(sc.err)
	}
	return sc.c
}

// Main runs the package's tests and then stops the shared clusters and
// removes their files. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	stopShared()
	os.Exit(code)
}

func stopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	for size, sc := range shared.clusters {
		if sc.c != nil {
			sc.c.stop()
		}
		delete(shared.clusters, size)
	}
}

// Node timeouts: how long a master may be unreachable before the others
// mark it failed (and the cluster, without replicas, goes down). A private
// cluster waits long, so that a test can fault a node and watch the rest
// keep serving.
const (
	sharedNodeTimeout  = 5 * time.Second
	privateNodeTimeout = time.Minute
)

// StartPrivateCluster starts a cluster of the given number of masters for
// this test alone, stopped at its cleanup: slower than StartCluster, but
// its nodes can be killed and paused (Kill, Pause).
func StartPrivateCluster(t testing.TB, masters int) *Cluster {
	t.Helper()
	if masters < 3 {
		t.Fatalf("testutil: a Redis Cluster needs at least 3 masters, not %d", masters)
	}
	c, err := startCluster(RealServerBinary(t, "cluster test"), masters, privateNodeTimeout)
	if err != nil {
		t.Fatal(err)
	}
	c.private = true
	t.Cleanup(c.stop)
	return c
}

// Kill ends master i with SIGKILL. Private clusters only.
func (c *Cluster) Kill(t testing.TB, i int) {
	t.Helper()
	c.mustBePrivate(t)
	c.procs[i].Kill()
}

// Pause freezes master i with SIGSTOP; Resume undoes it. Private clusters
// only.
func (c *Cluster) Pause(t testing.TB, i int) {
	t.Helper()
	c.mustBePrivate(t)
	if err := c.procs[i].Pause(); err != nil {
		t.Fatal(err)
	}
}

// Resume continues master i after Pause.
func (c *Cluster) Resume(t testing.TB, i int) {
	t.Helper()
	c.mustBePrivate(t)
	if err := c.procs[i].Resume(); err != nil {
		t.Fatal(err)
	}
}

func (c *Cluster) mustBePrivate(t testing.TB) {
	t.Helper()
	if !c.private {
		t.Fatal("testutil: only a cluster from StartPrivateCluster may be faulted; the shared one serves other tests")
	}
}

func startCluster(bin string, masters int, nodeTimeout time.Duration) (c *Cluster, err error) {
	dir, err := os.MkdirTemp("", "gincache-cluster-")
	if err != nil {
		return nil, fmt.Errorf("testutil: cluster directory: %w", err)
	}
	c = &Cluster{dir: dir}
	defer func() {
		if err != nil {
			c.stop()
			c = nil
		}
	}()
	busPorts := make([]int, masters)
	for i := range masters {
		p, err := redisserver.Start(redisserver.Options{Binary: bin, Dir: dir, PortArgs: func(port int) ([]string, error) {
			bus, err := redisserver.FreePort()
			if err != nil {
				return nil, err
			}
			busPorts[i] = bus
			return []string{
				"--cluster-enabled", "yes",
				"--cluster-config-file", fmt.Sprintf("nodes-%d.conf", port),
				"--cluster-port", strconv.Itoa(bus),
				"--cluster-node-timeout", strconv.Itoa(int(nodeTimeout.Milliseconds())),
			}, nil
		}})
		if err != nil {
			return nil, err
		}
		c.procs = append(c.procs, p)
	}

	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	clients := make([]*redis.Client, masters)
	for i, p := range c.procs {
		clients[i] = redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1})
		defer clients[i].Close()
	}
	for i, cl := range clients {
		lo, hi := i*clusterSlots/masters, (i+1)*clusterSlots/masters-1
		if err := cl.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			return nil, fmt.Errorf("testutil: CLUSTER ADDSLOTSRANGE %d %d on %s: %w", lo, hi, c.procs[i].Addr(), err)
		}
	}
	for i := 1; i < masters; i++ {
		if err := clients[0].Do(ctx, "CLUSTER", "MEET", "127.0.0.1", c.procs[i].Port(), busPorts[i]).Err(); err != nil {
			return nil, fmt.Errorf("testutil: CLUSTER MEET %s: %w", c.procs[i].Addr(), err)
		}
	}
	for i, cl := range clients {
		if err := waitClusterOK(ctx, cl, masters); err != nil {
			return nil, fmt.Errorf("testutil: cluster node %s: %w; log: %s", c.procs[i].Addr(), err, c.procs[i].LogTail())
		}
	}
	return c, nil
}

// waitClusterOK polls CLUSTER INFO until the node sees every node and
// every slot assigned, which is what clients need to route commands.
func waitClusterOK(ctx context.Context, cl *redis.Client, masters int) error {
	want := []string{
		"cluster_state:ok",
		"cluster_slots_assigned:" + strconv.Itoa(clusterSlots),
		"cluster_known_nodes:" + strconv.Itoa(masters),
	}
	var last string
	for {
		info, err := cl.ClusterInfo(ctx).Result()
		if err == nil {
			last = info
			if containsAll(info, want) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return errors.Join(fmt.Errorf("not ready after %v: last CLUSTER INFO %q", clusterTimeout, last), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func containsAll(info string, want []string) bool {
	for _, w := range want {
		if !strings.Contains(info, w+"\r\n") {
			return false
		}
	}
	return true
}

func (c *Cluster) stop() {
	for _, p := range c.procs {
		p.Close()
	}
	_ = os.RemoveAll(c.dir)
}

// Addrs lists the masters' loopback addresses.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.procs))
	for i, p := range c.procs {
		addrs[i] = p.Addr()
	}
	return addrs
}

// Client returns a cluster client for the test, closed at its cleanup.
func (c *Cluster) Client(t testing.TB) *redis.ClusterClient {
	cl := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:       c.Addrs(),
		DialTimeout: time.Second,
		ReadTimeout: 2 * time.Second,
	})
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

// NodeClient returns a plain client for master i (0-based, in Addrs order),
// closed at the test's cleanup: for looking at one shard's keys.
func (c *Cluster) NodeClient(t testing.TB, i int) *redis.Client {
	cl := redis.NewClient(&redis.Options{Addr: c.procs[i].Addr(), ReadTimeout: 2 * time.Second})
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

// Flush deletes the keys starting with prefix on every master and returns
// how many it deleted.
func (c *Cluster) Flush(t testing.TB, prefix string) int {
	t.Helper()
	n := 0
	for i := range c.procs {
		cl := c.NodeClient(t, i)
		m, err := flushNode(context.Background(), cl, prefix)
		if err != nil {
			t.Fatalf("testutil: flushing %q on %s: %v", prefix, c.procs[i].Addr(), err)
		}
		n += m
	}
	return n
}
