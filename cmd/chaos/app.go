package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/admin"
	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/near"
	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
	"github.com/intelligentcache/gin-intelligent-cache/internal/quickstart"
)

// keyPrefix is the Redis key prefix of the application's cache.
const keyPrefix = "chaos"

// Paths and headers of the routes the harness adds to the Quick Start API.
const (
	profilePath = "/me/profile"
	headerUser  = "X-User-ID"
	// digestPath is the root: an ancestor of every resource, whose
	// response shows every version.
	digestPath = "/"
)

// profileRoute caches the per-user route once per user: its policy varies
// on the user_id that userAuth sets.
var profileRoute = gincache.Route{
	Method: http.MethodGet,
	Path:   profilePath,
	Policy: gincache.Policy{TTL: time.Hour, Identity: []string{"user_id"}},
}

// digestRoute caches the root, which every write makes stale (each one
// renews the E token of every ancestor of what it writes, the root's
// included).
var digestRoute = gincache.Route{
	Method: http.MethodGet,
	Path:   digestPath,
	Policy: gincache.Policy{TTL: time.Hour},
}

// sabotage breaks the application on purpose, for the tests that show
// each check catches what it should. The zero value breaks nothing.
type sabotage struct {
	// noInvalidate gives the PATCH routes NoInvalidate: writes then leave
	// stale entries behind.
	noInvalidate bool
	// noVary drops identity=user_id from the per-user route: users then
	// share one entry.
	noVary bool
	// corrupt, when set, runs first on every request and may replace the
	// writer, to damage bodies after the checksum was computed.
	corrupt gin.HandlerFunc
}

// instance is one replica of the application: the Quick Start API, the
// per-user route and the digest behind its own gincache.Cache, on its own
// go-redis client (redis.New), served by its own HTTP server on a
// loopback port. Replicas share the store, as replicas of one API share
// its database, and the cache's Redis.
type instance struct {
	id       int    // 1-based, as the report names it (#1)
	proxy    *proxy // non-nil: this instance reaches Redis through it
	cache    *gincache.Cache
	backend  *redis.Redis
	near     *near.Near // the near cache in front of backend, with -near
	srv      *http.Server
	base     string // http://127.0.0.1:port
	inflight atomic.Int64
	serveErr chan error
	// crashed is set when a crash fault has killed the instance: requests
	// to it that fail are then the fault's, not violations.
	crashed atomic.Bool
}

// newInstance builds replica id on store, its cache on the Redis at
// redisAddr (directly, or through a proxy it starts when viaProxy), and
// starts serving it on a free loopback port.
func newInstance(id int, redisAddr string, viaProxy bool, store *quickstart.Store, logger *slog.Logger, sab sabotage, patience, nearDelta time.Duration, storeFirst bool) (*instance, error) {
	in := &instance{id: id, serveErr: make(chan error, 1)}
	addr := redisAddr
	if viaProxy {
		p, err := newProxy(redisAddr)
		if err != nil {
			return nil, err
		}
		in.proxy, addr = p, p.Addr()
	}
	b, err := redis.New("redis://"+addr+"/0", redis.Options{KeyPrefix: keyPrefix, Logger: logger.With("instance", id),
		DialTimeout: patience, SocketTimeout: patience})
	if err != nil {
		in.closeProxy()
		return nil, err
	}
	in.backend = b
	var cb backend.Backend = b
	if nearDelta > 0 {
		n, err := near.New(b, near.Options{Delta: nearDelta, Logger: logger.With("instance", id)})
		if err != nil {
			b.Close()
			in.closeProxy()
			return nil, err
		}
		in.near, cb = n, n
	}
	opts := []gincache.Option{gincache.WithBackend(cb), gincache.WithDefaultTTL(60 * time.Second), gincache.WithLogger(logger.With("instance", id)),
		gincache.WithStoreBeforeResponse(storeFirst)}
	if patience > 0 {
		opts = append(opts, gincache.WithBudget(patience))
	}
	cache, err := gincache.New(policyTable(sab), opts...)
	if err != nil {
		in.closeBackend()
		in.closeProxy()
		return nil, err
	}
	in.cache = cache
	r := gin.New()
	r.Use(gin.Recovery(), in.countInflight)
	if sab.corrupt != nil {
		r.Use(sab.corrupt)
	}
	// As example/redis: the admin routes outside the cache, the API
	// behind it; here with the checksum between the cache and handlers.
	if _, err := admin.Mount(r, cache); err != nil {
		in.closeCache()
		return nil, err
	}
	(&quickstart.API{Store: store}).Register(r.Group("/", cache.Middleware(), bodyChecksum))
	r.GET(profilePath, gincache.Auth(userAuth), cache.Middleware(), bodyChecksum, profile)
	r.GET(digestPath, cache.Middleware(), bodyChecksum, digest(store))
	if err := cache.CheckRoutes(r.Routes()); err != nil {
		in.closeCache()
		return nil, err
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		in.closeCache()
		return nil, err
	}
	in.base = "http://" + l.Addr().String()
	in.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { in.serveErr <- in.srv.Serve(l) }()
	return in, nil
}

// name is how the report names the instance.
func (in *instance) name() string { return "#" + strconv.Itoa(in.id) }

// policyTable is the Quick Start table plus the per-user route and the
// digest, broken as sab says.
func policyTable(sab sabotage) gincache.Table {
	t := slices.Clone(quickstart.CachePolicies)
	pr := profileRoute
	if sab.noVary {
		pr.Policy.Identity = nil
		// Without an identity in the key, X-User-ID is just a header:
		// nothing bypasses, users share the entry.
	}
	t = append(t, pr, digestRoute)
	if sab.noInvalidate {
		for _, p := range []string{"/spaces/:space_id", "/spaces/:space_id/items/:item_id"} {
			t = append(t, gincache.Route{Method: http.MethodPatch, Path: p, Policy: gincache.Policy{NoInvalidate: true}})
		}
	}
	return t
}

// userAuth is the per-user route's authentication: the user is whoever
// X-User-ID names (the harness trusts its clients). It runs before the
// cache, which the cache checks (gincache.Auth marks it).
func userAuth(c *gin.Context) {
	user := c.GetHeader(headerUser)
	if user == "" {
		c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": headerUser + " is required"})
		return
	}
	c.Set("user_id", user)
}

// profile answers with data only its user may see.
func profile(c *gin.Context) {
	user := c.GetString("user_id")
	c.JSON(http.StatusOK, gin.H{
		"user_id":      user,
		"secret":       "private notes of " + user,
		"generated_at": time.Now().UTC().Format(time.RFC3339Nano),
	})
}

// digest answers GET /: the version of every space and of every item in
// a space, keyed "space" and "space/item". It stands for the pages real
// APIs serve at a collection's root (a dashboard, a feed) that show what
// lies below them.
func digest(store *quickstart.Store) gin.HandlerFunc {
	return func(c *gin.Context) {
		spaces := map[string]int{}
		items := map[string]int{}
		for _, sp := range store.Spaces() {
			spaces[sp.ID] = sp.Version
			in, _ := store.SpaceItems(sp.ID)
			for _, it := range in {
				items[sp.ID+"/"+it.ID] = it.Version
			}
		}
		c.JSON(http.StatusOK, gin.H{"spaces": spaces, "items": items, "generated_at": time.Now().UTC().Format(time.RFC3339Nano)})
	}
}

// countInflight counts requests the server is handling, so that the final
// sweep can wait until no write is still being handled.
func (in *instance) countInflight(c *gin.Context) {
	in.inflight.Add(1)
	defer in.inflight.Add(-1)
	c.Next()
}

// quiesce waits until the server handles no request, or ctx ends.
func (in *instance) quiesce(ctx context.Context) error {
	for in.inflight.Load() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("instance %s: %d requests still being handled: %w", in.name(), in.inflight.Load(), ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

func (in *instance) closeProxy() {
	if in.proxy != nil {
		in.proxy.sever()
	}
}

func (in *instance) closeCache() {
	in.cache.Close()
	in.closeBackend() // after the cache, which uses it
	in.closeProxy()
}

// closeBackend closes the near cache, if any, then the Redis backend.
func (in *instance) closeBackend() {
	if in.near != nil {
		in.near.Close()
	}
	in.backend.Close()
}

// crash kills the instance as a process crash would, in process: its
// listener and every connection closed at once (clients in flight get no
// answer), what its link to Redis holds dropped, its cache and backend
// closed. It returns how many requests were being handled.
func (in *instance) crash() int64 {
	in.crashed.Store(true)
	held := in.inflight.Load()
	_ = in.srv.Close()
	<-in.serveErr
	in.closeProxy()
	in.cache.Close()
	in.closeBackend()
	return held
}

// Close stops the server, then the cache, its backend and its proxy.
func (in *instance) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if in.proxy != nil {
		in.proxy.resume() // a held write must not keep Shutdown waiting
	}
	err := in.srv.Shutdown(ctx)
	if serr := <-in.serveErr; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	in.closeCache()
	return err
}
