package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/admin"
	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/example/quickstart"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

// keyPrefix is the Redis key prefix of the application's cache.
const keyPrefix = "chaos"

// Paths and headers of the per-user route.
const (
	profilePath = "/me/profile"
	headerUser  = "X-User-ID"
)

// profileRoute caches the per-user route once per user: its policy varies
// on the user_id that userAuth sets.
var profileRoute = gincache.Route{
	Method: http.MethodGet,
	Path:   profilePath,
	Policy: gincache.Policy{TTL: time.Hour, Identity: []string{"user_id"}},
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

// app is the application under test: the Quick Start API and the
// per-user route behind gincache on Redis, served over loopback HTTP.
type app struct {
	store    *quickstart.Store
	cache    *gincache.Cache
	backend  *backend.Redis
	srv      *http.Server
	base     string // http://127.0.0.1:port
	inflight atomic.Int64
	serveErr chan error
}

// newApp builds the application on the Redis at redisAddr and starts
// serving it on a free loopback port.
func newApp(redisAddr string, logger *slog.Logger, sab sabotage) (*app, error) {
	b, err := backend.NewRedis("redis://"+redisAddr+"/0", backend.RedisOptions{KeyPrefix: keyPrefix, Logger: logger})
	if err != nil {
		return nil, err
	}
	cache, err := gincache.New(policyTable(sab),
		gincache.WithBackend(b),
		gincache.WithDefaultTTL(60*time.Second),
		gincache.WithLogger(logger))
	if err != nil {
		b.Close()
		return nil, err
	}
	a := &app{store: quickstart.NewStore(), cache: cache, backend: b, serveErr: make(chan error, 1)}
	r := gin.New()
	r.Use(gin.Recovery(), a.countInflight)
	if sab.corrupt != nil {
		r.Use(sab.corrupt)
	}
	// As example/redis: the admin routes outside the cache, the API
	// behind it; here with the checksum between the cache and handlers.
	if _, err := admin.Mount(r, cache); err != nil {
		a.closeCache()
		return nil, err
	}
	(&quickstart.API{Store: a.store}).Register(r.Group("/", cache.Middleware(), bodyChecksum))
	r.GET(profilePath, gincache.Auth(userAuth), cache.Middleware(), bodyChecksum, profile)
	if err := cache.CheckRoutes(r.Routes()); err != nil {
		a.closeCache()
		return nil, err
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		a.closeCache()
		return nil, err
	}
	a.base = "http://" + l.Addr().String()
	a.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { a.serveErr <- a.srv.Serve(l) }()
	return a, nil
}

// policyTable is the Quick Start table plus the per-user route, broken
// as sab says.
func policyTable(sab sabotage) gincache.Table {
	t := slices.Clone(quickstart.CachePolicies)
	pr := profileRoute
	if sab.noVary {
		pr.Policy.Identity = nil
		// Without an identity in the key, X-User-ID is just a header:
		// nothing bypasses, users share the entry.
	}
	t = append(t, pr)
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

// countInflight counts requests the server is handling, so that the final
// sweep can wait until no write is still being handled.
func (a *app) countInflight(c *gin.Context) {
	a.inflight.Add(1)
	defer a.inflight.Add(-1)
	c.Next()
}

// quiesce waits until the server handles no request, or ctx ends.
func (a *app) quiesce(ctx context.Context) error {
	for a.inflight.Load() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d requests still being handled: %w", a.inflight.Load(), ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

func (a *app) closeCache() {
	a.cache.Close()
	a.backend.Close() // after the cache, which uses it
}

// Close stops the server, then the cache and its backend.
func (a *app) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := a.srv.Shutdown(ctx)
	if serr := <-a.serveErr; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	a.closeCache()
	return err
}
