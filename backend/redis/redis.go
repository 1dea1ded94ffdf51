package redis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/internal/ratelog"
)

// Redis is the Redis backend, on a standalone server, a Sentinel-managed
// master (go-redis FailoverClient) or a Redis Cluster. It needs Redis 7.0
// or later (PEXPIRE GT, in a Lua script). It never runs FLUSHDB or FLUSHALL:
// ClearPattern deletes entries under its KeyPrefix only.
//
// # Keys
//
// An entry is a string under "<KeyPrefix>:e:<key>" ("e:<key>" without a
// KeyPrefix) holding Entry.MarshalBinary, with the entry's TTL. A token is
// a string under "<KeyPrefix>:t:<name>" holding 16 hex digits; a value
// that does not parse counts as a mismatch. A Store creates or extends
// the tokens it records to live twice what its entry needs (the entry's
// TTL and a second's margin), and remembers that per token and value, so
// that later stores leave a token be while it is known to outlive their
// entries (lives.go). On a standalone or Sentinel master a Store first
// writes the entry under "<KeyPrefix>:s:<random>" (a staged entry, with
// the entry's TTL) and its script renames it onto the entry's key once
// the tokens check out, so the entry's bytes never pass through Lua; a
// Store cut off between the two (a connection lost mid-pipeline) leaves
// its staged entry until that TTL ends, never served and outside what
// Scan and ClearPattern see. The namespaces keep Scan and ClearPattern,
// which match under "e:", from ever selecting a token or a staged entry.
//
// # Round trips
//
// Lookup is one round trip. On a standalone or Sentinel master it is one
// MGET of the entry and its tokens together. On a cluster it is one
// pipeline (go-redis sends each node its part at once): GET of the entry
// plus one MGET of the tokens per hash slot among them. The cache's token
// names carry a hash tag per first path segment ({/spaces}), and the epoch
// and root tokens {/}, so that is usually two MGETs; entries carry no hash
// tag and spread over the cluster. No command or script spans slots.
// Store is one round trip too: one pipeline of the SET that stages the
// entry (see Keys) and an EVALSHA of a script (EVAL after a restart, which
// loads it again) that checks the tokens against what Lookup read,
// creates the absent ones, and renames the staged entry onto the entry's
// key only if none changed. On a cluster it is one script call per hash slot of tokens (one
// pipeline), then the entry's SET. Renew is one pipeline
// of SETs: O(number of tokens), whatever the number of entries or keys.
// The epoch token and the tokens of the first path segments are hot,
// read-mostly keys on the shards that hold them.
//
// Tokens live one second longer than the longest entry that records them
// (SET PX on creation, PEXPIRE GT on reuse, both in the script), so an entry never outlives
// its tokens.
//
// # Failures
//
// Every call honours the context's deadline (the clients the backend
// builds set ContextTimeoutEnabled, short dial and socket timeouts, one
// dial retry, one command retry). Each node has a circuit breaker: after
// BreakerThreshold consecutive failures its calls fail at once with
// ErrBreakerOpen for BreakerCooldown, then a probe decides. It is a
// redis.Hook on the client (on each node client of a cluster). Calls whose
// context is marked WithoutBreaker (a write's invalidation) get through it
// while it is open.
// Failures are logged through Options.Logger, at most one line per
// node and kind of event every 10 seconds.
//
// # Scan
//
// Scan runs SCAN on each master in turn (never ClusterClient.Scan, which
// asks one node), with an opaque cursor naming the node and its SCAN
// cursor, so an iteration resumes where it stopped, across nodes. As with
// Redis SCAN, a key present for the whole iteration is returned at least
// once, and may come back on a later page; within one page it appears
// once. Patterns are matched by Match, on the server's reply: the server
// gets the pattern with its '?' and classes widened to '*', so every
// backend selects the same keys byte for byte.
//
// # Epoch
//
// Epoch changes when a node's breaker closes after being open (writes
// could not invalidate meanwhile) and when a master's run_id changes (a
// restart, or a failover to a replica that may have missed renewals). A
// goroutine, stopped by Close, reads run_ids every CheckInterval and soon
// after each new connection; between a failover and that check, a hit may
// still be served from the promoted replica.
type Redis struct {
	client  redis.UniversalClient
	cluster *redis.ClusterClient // the same client, when it is a cluster
	owned   bool                 // built here, closed by Close
	kind    string

	entryNS, tokenNS string
	stagedNS         string // where a standalone Store stages its entry

	breakers *breakers
	hookMu   sync.Mutex
	hooked   map[*redis.Client]bool // node clients with the hook (a cluster makes few over its life)
	watch    *watcher
	log      *ratelog.Logger
	epoch    atomic.Uint64
	lives    *tokenLives // until when tokens are known to live (lives.go)

	closed    atomic.Bool
	closeOnce sync.Once
}

var (
	_ backend.Backend         = (*Redis)(nil)
	_ backend.Kinder          = (*Redis)(nil)
	_ backend.BreakerReporter = (*Redis)(nil)
	_ backend.Epocher         = (*Redis)(nil)
)

// New connects to the Redis server at rawURL: redis://, rediss://
// (TLS) or unix://, as go-redis's ParseURL reads them
// ("redis://user:password@host:6379/0?dial_timeout=1s"). It does not
// contact the server: a Redis that is down only makes calls fail.
func New(rawURL string, opts Options) (*Redis, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	co, err := opts.clientOptions(rawURL)
	if err != nil {
		return nil, err
	}
	r := newRedis(opts, "redis")
	c := redis.NewClient(co)
	// The breaker is a hook rather than the go-redis Limiter, which sees
	// no context: calls marked WithoutBreaker must get past it.
	c.AddHook(breakerHook{b: r.breakers.get(co.Addr), r: r, dialed: r.watch.nudge})
	r.client, r.owned = c, true
	r.start()
	return r, nil
}

// NewCluster connects to the Redis Cluster that the node addresses
// (host:port, one is enough) belong to. Connection fields of opts apply to
// every node; DB must be unset. It does not contact the cluster.
func NewCluster(addrs []string, opts Options) (*Redis, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	co, err := opts.clusterOptions(addrs)
	if err != nil {
		return nil, err
	}
	r := newRedis(opts, "redis-cluster")
	c := redis.NewClusterClient(co)
	// Node clients are made lazily, so every one of them gets the hook.
	c.OnNewNode(r.hookNode)
	r.client, r.cluster, r.owned = c, c, true
	r.start()
	return r, nil
}

// FromClient uses a client the caller made: a *redis.Client (a
// standalone server, or a Sentinel master from redis.NewFailoverClient) or
// a *redis.ClusterClient. The caller keeps it and closes it after the
// backend; Close leaves it open.
//
// The client keeps its own options, so the cache's budget holds only as
// far as they allow: the client must set ContextTimeoutEnabled (checked:
// without it a hung Redis stalls each call for the client's ReadTimeout),
// and calls that carry no deadline wait for its dial and read timeouts and
// retries. The breaker is installed as a redis.Hook on the client (on each
// node client of a cluster: the nodes the client makes after this call,
// and the ones it already has, reached with one ForEachShard within
// ctx); it also guards the caller's own commands on that client while it
// is open, until the backend is closed.
func FromClient(ctx context.Context, client redis.UniversalClient, opts Options) (*Redis, error) {
	if client == nil {
		return nil, errors.New("backend: FromClient needs a client")
	}
	if set := opts.connectionFields(); len(set) > 0 {
		return nil, fmt.Errorf("backend: redis.Options %v configure connections; set them on the client passed to FromClient", set)
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := checkClient(client, opts.Logger); err != nil {
		return nil, err
	}
	var r *Redis
	switch c := client.(type) {
	case *redis.ClusterClient:
		r = newRedis(opts, "redis-cluster")
		r.client, r.cluster = c, c
		c.OnNewNode(r.hookNode)
		// Nodes made before OnNewNode: hook them now. hookNode hooks a
		// client once, so a node made meanwhile is not hooked twice.
		if err := c.ForEachShard(ctx, func(_ context.Context, n *redis.Client) error {
			r.hookNode(n)
			return nil
		}); err != nil {
			opts.Logger.Warn("backend: could not reach the Redis Cluster to guard its existing node clients; nodes it makes from now on are guarded", "err", err)
		}
	case *redis.Client:
		if err := checkMaster(ctx, c, opts.Logger); err != nil {
			return nil, err
		}
		kind, node := "redis", c.Options().Addr
		if node == "FailoverClient" {
			kind, node = "redis-sentinel", "sentinel master"
		}
		r = newRedis(opts, kind)
		r.client = c
		c.AddHook(breakerHook{b: r.breakers.get(node), r: r, dialed: r.watch.nudge})
	}
	r.start()
	return r, nil
}

func newRedis(opts Options, kind string) *Redis {
	r := &Redis{kind: kind, log: ratelog.New(opts.Logger, opts.Now), lives: newTokenLives()}
	r.entryNS, r.tokenNS, r.stagedNS = namespaces(opts.KeyPrefix)
	r.watch = newWatcher(r, opts.CheckInterval)
	r.breakers = &breakers{
		nodes: make(map[string]*breaker),
		make: func(node string) *breaker {
			return &breaker{
				node:      node,
				threshold: int32(opts.BreakerThreshold),
				cooldown:  opts.BreakerCooldown,
				now:       opts.Now,
				onChange:  r.breakerChanged,
				onFailure: r.callFailed,
			}
		},
	}
	r.hooked = make(map[*redis.Client]bool)
	return r
}

func (r *Redis) start() { go r.watch.run() }

// hookNode installs the breaker hook on a cluster node client, once.
func (r *Redis) hookNode(c *redis.Client) {
	r.hookMu.Lock()
	defer r.hookMu.Unlock()
	if r.hooked[c] {
		return
	}
	r.hooked[c] = true
	c.AddHook(breakerHook{b: r.breakers.get(c.Options().Addr), r: r, dialed: r.watch.nudge})
}

func (r *Redis) breakerChanged(b *breaker, from, to breakerState) {
	node := nodeName(b.node)
	switch {
	case to == stateOpen && from == stateClosed:
		r.log.Log(slog.LevelWarn, "breaker-open:"+b.node, "backend: redis circuit breaker opened, skipping the node", "node", node, "cooldown", b.cooldown)
	case to == stateClosed:
		r.log.Log(slog.LevelInfo, "breaker-closed:"+b.node, "backend: redis circuit breaker closed, the node answers again", "node", node)
		// Writes could not invalidate while the node failed.
		r.renewEpoch("node " + node + " back after failures")
		r.watch.nudge()
	}
}

func (r *Redis) callFailed(b *breaker, err error) {
	r.log.Log(slog.LevelWarn, "fail:"+b.node, "backend: redis call failed", "node", nodeName(b.node), "err", err)
}

// Kind implements Kinder: "redis", "redis-sentinel" or "redis-cluster".
func (r *Redis) Kind() string { return r.kind }

// Epoch implements Epocher.
func (r *Redis) Epoch() uint64 { return r.epoch.Load() }

// BreakerState implements BreakerReporter: on a cluster, the worst state
// among the nodes ("open" if any node's breaker is open).
func (r *Redis) BreakerState() string { return r.breakers.state() }

// Client returns the go-redis client the backend uses, to share its
// connections (a client the backend built is closed by Close).
func (r *Redis) Client() redis.UniversalClient { return r.client }

// masters lists the masters, sorted by address on a cluster.
func (r *Redis) masters(ctx context.Context) ([]masterNode, error) {
	if r.cluster == nil {
		return []masterNode{{client: r.client.(*redis.Client)}}, nil
	}
	var mu sync.Mutex
	var nodes []masterNode
	err := r.cluster.ForEachMaster(ctx, func(_ context.Context, c *redis.Client) error {
		mu.Lock()
		nodes = append(nodes, masterNode{addr: c.Options().Addr, client: c})
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(nodes, func(a, b masterNode) int { return cmp.Compare(a.addr, b.addr) })
	return nodes, nil
}

// Ping implements Backend: every master must answer.
func (r *Redis) Ping(ctx context.Context) error {
	if r.closed.Load() {
		return backend.ErrClosed
	}
	if r.cluster != nil {
		if err := r.cluster.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			return c.Ping(ctx).Err()
		}); err != nil {
			return fmt.Errorf("backend: redis ping: %w", err)
		}
		return nil
	}
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("backend: redis ping: %w", err)
	}
	return nil
}

// Close implements Backend: it stops the run_id watcher and closes the
// client if the backend built it. Hooks on a client passed in stay but
// let everything through.
func (r *Redis) Close() error {
	var err error
	r.closeOnce.Do(func() {
		r.closed.Store(true)
		r.watch.close()
		if r.owned {
			err = r.client.Close()
		}
	})
	return err
}
