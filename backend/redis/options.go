package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options configures the Redis backend. The zero value gives the
// defaults, chosen so that with Redis refusing connections or hung, a call
// costs at most the caller's deadline (the cache's budget) while the
// breaker is closed, and next to nothing while it is open.
//
// The connection fields (DB to PeekConnections) apply to the clients the
// backend builds (New, NewCluster). FromClient takes a client
// that is already configured and rejects them.
type Options struct {
	// KeyPrefix namespaces every key the backend writes, as
	// fastapi-intelligent-cache's key_prefix does: entries are stored
	// under "<KeyPrefix>:e:<key>", tokens under "<KeyPrefix>:t:<name>" and
	// entries being stored under "<KeyPrefix>:s:<random>" (without the "<KeyPrefix>:" part when it is empty). Keys passed to
	// and returned by the Backend methods never include it. It must not
	// hold '{' or '}', which would change the Redis Cluster hash slot of
	// every key. Default: "".
	KeyPrefix string

	// DB is the database to select, overriding the URL's path. Default:
	// the URL's, else 0.
	DB int

	// Username and Password authenticate the connection, overriding the
	// URL's. Default: the URL's, else none.
	Username string
	Password string

	// MaxConnections bounds the connections per Redis node (go-redis
	// PoolSize and MaxActiveConns). Default: 10 per GOMAXPROCS, go-redis's
	// default pool size.
	MaxConnections int

	// DialTimeout bounds one connection attempt; a failed dial is retried
	// once. Default: 200ms, or the URL's dial_timeout.
	DialTimeout time.Duration

	// SocketTimeout bounds each read and write on a connection, and the
	// wait for a free connection; a deadline in the context, when earlier,
	// wins. Default: 200ms, or the URL's read_timeout and write_timeout.
	SocketTimeout time.Duration

	// MaxRetries is how many times a failed command is retried (within the
	// context's deadline). -1 means never. Default: 1.
	MaxRetries int

	// PeekConnections keeps go-redis's check of a pooled connection each
	// time a command takes one: a recvfrom(MSG_PEEK) system call that
	// finds a connection the server has closed before a command goes out
	// on it. By default the clients New and NewCluster build do without
	// it, as go-redis does for TLS connections: a system call and three
	// allocations per command, 8% to 27% of a Redis hit's CPU time in
	// process on the project's VM (CHANGELOG.md). Instead they
	// replace a connection idle for a minute (go-redis ConnMaxIdleTime;
	// the URL's conn_max_idle_time wins), and a command on a connection
	// the server closed since its last use (a restart, a failover, an idle
	// timeout under a minute) fails and is retried on another, within
	// MaxRetries: after a restart the first few calls may fail, and their
	// requests go uncached. Default: false (docs/CACHING_LIMITS.md).
	PeekConnections bool

	// BreakerThreshold is the number of consecutive failed calls to one
	// Redis node that opens its circuit breaker: calls to it then fail at
	// once with ErrBreakerOpen. Default: 5.
	BreakerThreshold int

	// BreakerCooldown is how long an open breaker skips calls before it
	// lets one probe through; the probe's success closes it, its failure
	// opens it for another cooldown. Default: 1s.
	BreakerCooldown time.Duration

	// CheckInterval is how often the backend reads each master's run_id
	// (INFO server) to notice restarts and failovers; it also checks after
	// every new connection. Default: 5s.
	CheckInterval time.Duration

	// Logger receives the backend's logs (breaker changes, epoch changes,
	// failed calls), at most one line per kind of event every 10 seconds.
	// Default: slog.Default().
	Logger *slog.Logger

	// Now is the clock of the breakers' cooldowns and of the log's rate
	// limit (TTLs are Redis's). Default: time.Now. Tests inject a fake one.
	Now func() time.Time
}

const (
	defaultRedisDialTimeout   = 200 * time.Millisecond
	defaultRedisSocketTimeout = 200 * time.Millisecond
	defaultRedisMaxRetries    = 1
	defaultBreakerThreshold   = 5
	defaultBreakerCooldown    = time.Second
	defaultCheckInterval      = 5 * time.Second
	// redisDialAttempts is go-redis's DialerRetries, which counts attempts:
	// two attempts is one retry.
	redisDialAttempts = 2
	// Backoffs short enough to fit a retry inside a 50ms budget.
	redisDialBackoff     = 5 * time.Millisecond
	redisMinRetryBackoff = 5 * time.Millisecond
	redisMaxRetryBackoff = 20 * time.Millisecond
	// slowClientTimeout is the timeout above which a client the user passes
	// in is reported as slow to give up on calls without a deadline.
	slowClientTimeout = time.Second
)

// validate checks the options and fills in the defaults.
func (o *Options) validate() error {
	var errs []error
	if strings.ContainsAny(o.KeyPrefix, "{}") {
		errs = append(errs, fmt.Errorf("KeyPrefix %q must not hold '{' or '}' (a hash tag would put every key in one cluster slot)", o.KeyPrefix))
	}
	for _, f := range []struct {
		name string
		bad  bool
	}{
		{"DB", o.DB < 0},
		{"MaxConnections", o.MaxConnections < 0},
		{"DialTimeout", o.DialTimeout < 0},
		{"SocketTimeout", o.SocketTimeout < 0},
		{"MaxRetries", o.MaxRetries < -1},
		{"BreakerThreshold", o.BreakerThreshold < 0},
		{"BreakerCooldown", o.BreakerCooldown < 0},
		{"CheckInterval", o.CheckInterval < 0},
	} {
		if f.bad {
			errs = append(errs, fmt.Errorf("%s must not be negative", f.name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("backend: redis options: %w", err)
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = defaultRedisMaxRetries
	}
	if o.BreakerThreshold == 0 {
		o.BreakerThreshold = defaultBreakerThreshold
	}
	if o.BreakerCooldown == 0 {
		o.BreakerCooldown = defaultBreakerCooldown
	}
	if o.CheckInterval == 0 {
		o.CheckInterval = defaultCheckInterval
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// connectionFields lists the connection options that are set, which a
// client passed in already has its own values for.
func (o *Options) connectionFields() []string {
	var set []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"DB", o.DB != 0},
		{"Username", o.Username != ""},
		{"Password", o.Password != ""},
		{"MaxConnections", o.MaxConnections != 0},
		{"DialTimeout", o.DialTimeout != 0},
		{"SocketTimeout", o.SocketTimeout != 0},
		{"MaxRetries", o.MaxRetries != 0},
		{"PeekConnections", o.PeekConnections},
	} {
		if f.set {
			set = append(set, f.name)
		}
	}
	return set
}

// clientOptions turns a Redis URL and the options into go-redis options.
// Precedence: a field of Options, then the URL, then the default.
func (o *Options) clientOptions(rawURL string) (*redis.Options, error) {
	if _, err := url.Parse(rawURL); err != nil {
		// url.Error repeats the URL, password included: keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("backend: invalid Redis URL (not shown, it may hold a password): %v", err)
	}
	co, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("backend: invalid Redis URL: %w", err)
	}
	if o.DB != 0 {
		co.DB = o.DB
	}
	if o.Username != "" {
		co.Username = o.Username
	}
	if o.Password != "" {
		co.Password = o.Password
	}
	if o.MaxConnections != 0 {
		co.PoolSize = o.MaxConnections
		co.MaxActiveConns = o.MaxConnections
	}
	co.DialTimeout = first(o.DialTimeout, co.DialTimeout, defaultRedisDialTimeout)
	co.ReadTimeout = first(o.SocketTimeout, co.ReadTimeout, defaultRedisSocketTimeout)
	co.WriteTimeout = first(o.SocketTimeout, co.WriteTimeout, defaultRedisSocketTimeout)
	co.PoolTimeout = first(o.SocketTimeout, co.PoolTimeout, defaultRedisSocketTimeout)
	co.MaxRetries = o.MaxRetries
	co.MinRetryBackoff = redisMinRetryBackoff
	co.MaxRetryBackoff = redisMaxRetryBackoff
	co.DialerRetries = redisDialAttempts
	co.DialerRetryTimeout = redisDialBackoff
	co.ContextTimeoutEnabled = true
	if !o.PeekConnections {
		if co.ConnMaxIdleTime == 0 {
			co.ConnMaxIdleTime = unpeekedMaxIdle
		}
		co.Dialer = UnpeekedDialer(redis.NewDialer(co))
	}
	return co, nil
}

// clusterOptions builds go-redis cluster options for addrs.
func (o *Options) clusterOptions(addrs []string) (*redis.ClusterOptions, error) {
	if len(addrs) == 0 {
		return nil, errors.New("backend: NewCluster needs at least one node address")
	}
	if o.DB != 0 {
		return nil, errors.New("backend: a Redis Cluster has only database 0; leave DB unset")
	}
	co := &redis.ClusterOptions{
		Addrs:                 addrs,
		Username:              o.Username,
		Password:              o.Password,
		PoolSize:              o.MaxConnections,
		MaxActiveConns:        o.MaxConnections,
		DialTimeout:           first(o.DialTimeout, defaultRedisDialTimeout),
		ReadTimeout:           first(o.SocketTimeout, defaultRedisSocketTimeout),
		WriteTimeout:          first(o.SocketTimeout, defaultRedisSocketTimeout),
		PoolTimeout:           first(o.SocketTimeout, defaultRedisSocketTimeout),
		MaxRetries:            o.MaxRetries,
		MinRetryBackoff:       redisMinRetryBackoff,
		MaxRetryBackoff:       redisMaxRetryBackoff,
		DialerRetries:         redisDialAttempts,
		DialerRetryTimeout:    redisDialBackoff,
		ContextTimeoutEnabled: true,
	}
	if !o.PeekConnections {
		co.ConnMaxIdleTime = unpeekedMaxIdle
		co.Dialer = UnpeekedDialer(redis.NewDialer(&redis.Options{DialTimeout: co.DialTimeout}))
	}
	return co, nil
}

// first returns the first non-zero duration.
func first(ds ...time.Duration) time.Duration {
	for _, d := range ds {
		if d != 0 {
			return d
		}
	}
	return 0
}

// checkClient checks what can be checked of a client passed in: without
// ContextTimeoutEnabled go-redis ignores the context's deadline on
// sockets, so a hung Redis would stall calls for the client's read timeout
// (go-redis default 3s) whatever the cache's budget. Long timeouts are
// only logged: they bound the calls that carry no deadline.
func checkClient(c redis.UniversalClient, log *slog.Logger) error {
	var ctxTimeouts bool
	var dial, read, write time.Duration
	switch c := c.(type) {
	case *redis.Client:
		o := c.Options()
		ctxTimeouts, dial, read, write = o.ContextTimeoutEnabled, o.DialTimeout, o.ReadTimeout, o.WriteTimeout
	case *redis.ClusterClient:
		o := c.Options()
		ctxTimeouts, dial, read, write = o.ContextTimeoutEnabled, o.DialTimeout, o.ReadTimeout, o.WriteTimeout
		// go-redis turns ReadOnly on for either routing option.
		switch {
		case o.RouteByLatency:
			return replicaReads("ClusterOptions.RouteByLatency (FailoverOptions.RouteByLatency)")
		case o.RouteRandomly:
			return replicaReads("ClusterOptions.RouteRandomly (FailoverOptions.RouteRandomly)")
		case o.ReadOnly:
			return replicaReads("ClusterOptions.ReadOnly (FailoverOptions.ReplicaOnly)")
		}
	default:
		return fmt.Errorf("backend: unsupported Redis client %T: pass a *redis.Client (standalone or Sentinel) or a *redis.ClusterClient", c)
	}
	if !ctxTimeouts {
		return errors.New("backend: the Redis client must set ContextTimeoutEnabled: true, or a hung Redis stalls each call for the client's ReadTimeout instead of the cache's budget")
	}
	// After go-redis's own defaults, a negative timeout means socket
	// deadlines are off (the option's -2), and 0 means none (its -1).
	if read < 0 || write < 0 {
		return errors.New("backend: the Redis client's ReadTimeout or WriteTimeout is -2, which turns socket deadlines off, the context's too: a hung Redis would stall calls forever")
	}
	if dial > slowClientTimeout || read > slowClientTimeout || write > slowClientTimeout || read == 0 || write == 0 {
		log.Warn("backend: Redis client timeouts are long or off; admin calls without a deadline may wait that long",
			"dial_timeout", dial, "read_timeout", read, "write_timeout", write)
	}
	return nil
}

// replicaReads is the error for a client whose option makes it read from
// replicas. Replication is asynchronous: a replica can still hold the
// tokens a write has just renewed on its master, and a hit read there
// would serve what the write made stale.
func replicaReads(option string) error {
	return fmt.Errorf("backend: the Redis client sets %s, which sends reads to replicas: a hit read there could see tokens a write has already renewed on the master; leave it off (the cache reads masters only)", option)
}

// checkMaster asks the server a *redis.Client reaches for its role and
// refuses a replica: a Sentinel client made with
// FailoverOptions.ReplicaOnly, or a client given a replica's address.
// A server that does not answer within ctx cannot be checked: the client
// is accepted, with a warning.
func checkMaster(ctx context.Context, c *redis.Client, log *slog.Logger) error {
	role, err := c.Do(ctx, "role").Slice()
	if err != nil || len(role) == 0 {
		log.Warn("backend: could not ask the Redis server for its role; make sure the client reaches a master", "err", err)
		return nil
	}
	if r, _ := role[0].(string); r == "slave" || r == "replica" {
		if c.Options().Addr == "FailoverClient" {
			return replicaReads("FailoverOptions.ReplicaOnly")
		}
		return fmt.Errorf("backend: the Redis client's address %s is a replica: a hit read there could see tokens a write has already renewed on the master; give the master's address", c.Options().Addr)
	}
	return nil
}
