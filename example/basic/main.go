// Command basic serves the Quick Start API with every GET cached in
// memory: the first GET of a URL says X-Cache: MISS, the next ones HIT,
// and a successful write clears exactly what it made stale.
//
//	go run ./example/basic            # listens on :8080, or $ADDR
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/example/quickstart"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
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
// (the default), then the API.
func newEngine() (*gin.Engine, *gincache.Cache, error) {
	cache, err := gincache.New(quickstart.CachePolicies, gincache.WithDefaultTTL(60*time.Second))
	if err != nil {
		return nil, nil, err
	}
	r := gin.New()
	r.Use(gin.Logger(), gin.Recovery(), cache.Middleware())
	api := &quickstart.API{Store: quickstart.NewStore()}
	api.Register(r)
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
	srv := &http.Server{Addr: addr, Handler: r, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()

	base := "http://localhost" + addr
	if addr[0] != ':' {
		base = "http://" + addr
	}
	fmt.Fprintf(out, `gin-intelligent-cache basic example on %s (in-memory backend)

Try:
  curl -i %[2]s/items                       # X-Cache: MISS, then HIT
  curl -i %[2]s/items?limit=10\&page=1        # same entry as ?page=1&limit=10
  curl -i %[2]s/spaces/4                    # a space, cached for a day
  curl -i -X PATCH %[2]s/spaces/4 -d '{"name":"shed"}'   # invalidates /spaces/4, its items, /spaces
  curl -i -H 'Cache-Control: no-cache' %[2]s/items       # X-Cache: SKIP
`, addr, base)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
