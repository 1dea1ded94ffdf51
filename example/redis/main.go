// Command redis serves the Quick Start API with every GET cached in Redis,
// so that several instances share one cache and a write through any of
// them invalidates what all of them cached.
//
//	go run ./example/redis     # Redis at $REDIS_URL (default redis://localhost:6379), listens on $ADDR (default :8080)
//
// Keys live under the prefix "example" ("example:e:..." for responses,
// "example:t:..." for invalidation tokens). If Redis is not reachable at
// start, it says so and serves uncached; when Redis comes back, caching
// resumes by itself. The admin API and dashboard are mounted at
// /api/cache, answering loopback connections only; its key listing is a
// SCAN of Redis.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/admin"
	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
	"github.com/intelligentcache/gin-intelligent-cache/internal/exampleserver"
	"github.com/intelligentcache/gin-intelligent-cache/internal/quickstart"
)

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = ":8080"
	}
	redisURL := os.Getenv("REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://localhost:6379"
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, addr, redisURL, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// app is the application: the API behind the cache on Redis.
type app struct {
	engine  *gin.Engine
	cache   *gincache.Cache
	backend *redis.Redis
}

func (a *app) Close() {
	a.cache.Close()
	a.backend.Close() // after the cache, which uses it
}

// newApp builds the application on the Redis at redisURL. It does not
// need Redis to be up.
func newApp(redisURL string) (*app, error) {
	b, err := redis.New(redisURL, redis.Options{KeyPrefix: "example"})
	if err != nil {
		return nil, err
	}
	cache, err := gincache.New(quickstart.CachePolicies, gincache.WithBackend(b), gincache.WithDefaultTTL(60*time.Second))
	if err != nil {
		b.Close()
		return nil, err
	}
	r := gin.New()
	r.Use(gin.Logger(), gin.Recovery())
	a := &app{engine: r, cache: cache, backend: b}
	// The admin routes go outside the cache middleware, at the default
	// base /api/cache, for loopback connections only.
	if _, err := admin.Mount(r, cache); err != nil {
		a.Close()
		return nil, err
	}
	(&quickstart.API{Store: quickstart.NewStore()}).Register(r.Group("/", cache.Middleware()))
	if err := cache.CheckRoutes(r.Routes()); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// checkRedis says whether Redis answers, naming it without its password.
func checkRedis(ctx context.Context, a *app, redisURL string, out io.Writer) {
	shown := "the Redis URL"
	if u, err := url.Parse(redisURL); err == nil {
		shown = u.Redacted()
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := a.backend.Ping(ctx); err != nil {
		fmt.Fprintf(out, "WARNING: Redis at %s is not reachable (%v).\nServing every request uncached; caching starts by itself once Redis answers.\n\n", shown, err)
		return
	}
	fmt.Fprintf(out, "Redis at %s is reachable; responses are cached under the key prefix \"example\".\n\n", shown)
}

func run(ctx context.Context, addr, redisURL string, out io.Writer) error {
	a, err := newApp(redisURL)
	if err != nil {
		return err
	}
	defer a.Close()
	checkRedis(ctx, a, redisURL, out)
	return exampleserver.Run(ctx, addr, a.engine, func(base string) {
		fmt.Fprintf(out, `gin-intelligent-cache Redis example on %s

Try:
  curl -i %[2]s/items                       # X-Cache: MISS, then HIT
  curl -i %[2]s/spaces/4                    # a space, cached for a day
  curl -i -X PATCH %[2]s/spaces/4 -d '{"name":"shed"}'   # invalidates /spaces/4, its items, /spaces
  redis-cli --scan --pattern 'example:*'    # what is stored

Admin (from this machine only):
  open %[2]s/api/cache/                    # the dashboard
  curl -s %[2]s/api/cache/health           # backend redis, breaker state
  curl -s '%[2]s/api/cache/keys?pattern=*/spaces*'
`, addr, base)
	})
}
