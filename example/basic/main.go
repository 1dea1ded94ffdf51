// Command basic serves the Quick Start API with every GET cached in
// memory: the first GET of a URL says X-Cache: MISS, the next ones HIT,
// and a successful write clears exactly what it made stale. The admin
// API and dashboard are mounted at /api/cache, answering loopback
// connections only (as fastapi-intelligent-cache's include_admin_routes).
//
//	go run ./example/basic            # listens on :8080, or $ADDR
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/admin"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
	"github.com/intelligentcache/gin-intelligent-cache/internal/exampleserver"
	"github.com/intelligentcache/gin-intelligent-cache/internal/quickstart"
)

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = ":8080"
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, addr, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// newEngine builds the application: the cache on the in-memory backend
// (the default), the admin routes, then the API.
func newEngine() (*gin.Engine, *gincache.Cache, error) {
	cache, err := gincache.New(quickstart.CachePolicies, gincache.WithDefaultTTL(60*time.Second))
	if err != nil {
		return nil, nil, err
	}
	r := gin.New()
	r.Use(gin.Logger(), gin.Recovery())
	// The admin routes go outside the cache middleware, at the default
	// base /api/cache, for loopback connections only.
	if _, err := admin.Mount(r, cache); err != nil {
		cache.Close()
		return nil, nil, err
	}
	app := r.Group("/", cache.Middleware())
	api := &quickstart.API{Store: quickstart.NewStore()}
	api.Register(app)
	if err := cache.CheckRoutes(r.Routes()); err != nil {
		cache.Close()
		return nil, nil, err
	}
	return r, cache, nil
}

func run(ctx context.Context, addr string, out io.Writer) error {
	r, cache, err := newEngine()
	if err != nil {
		return err
	}
	defer cache.Close()
	return exampleserver.Run(ctx, addr, r, func(base string) {
		fmt.Fprintf(out, `gin-intelligent-cache basic example on %s (in-memory backend)

Try:
  curl -i %[2]s/items                       # X-Cache: MISS, then HIT
  curl -i %[2]s/items?limit=10\&page=1        # same entry as ?page=1&limit=10
  curl -i %[2]s/spaces/4                    # a space, cached for a day
  curl -i -X PATCH %[2]s/spaces/4 -d '{"name":"shed"}'   # invalidates /spaces/4, its items, /spaces
  curl -i -H 'Cache-Control: no-cache' %[2]s/items       # X-Cache: SKIP

Admin (from this machine only):
  open %[2]s/api/cache/                    # the dashboard
  curl -s %[2]s/api/cache/stats
  curl -s '%[2]s/api/cache/keys?pattern=*/spaces*'
  curl -s -X POST '%[2]s/api/cache/invalidate?path=/spaces/4'
  curl -s -X POST '%[2]s/api/cache/clear?pattern=*/items*'
`, addr, base)
	})
}
