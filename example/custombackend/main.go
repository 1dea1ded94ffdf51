// Command custombackend serves the Quick Start API with the cache on a
// backend of its own, MapBackend (mapbackend.go): what an application
// writes to keep cached responses wherever it likes. Its test runs the
// exported conformance suite (backend/backendtest) on it.
//
//	go run ./example/custombackend    # listens on :8080, or $ADDR
package main

import (
	"log"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
	"github.com/intelligentcache/gin-intelligent-cache/internal/quickstart"
)

func newEngine() (*gin.Engine, *gincache.Cache, error) {
	cache, err := gincache.New(quickstart.CachePolicies, gincache.WithBackend(NewMapBackend(nil)))
	if err != nil {
		return nil, nil, err
	}
	r := gin.New()
	r.Use(gin.Logger(), gin.Recovery(), cache.Middleware())
	(&quickstart.API{Store: quickstart.NewStore()}).Register(r)
	return r, cache, nil
}

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = ":8080"
	}
	r, cache, err := newEngine()
	if err != nil {
		log.Fatal(err)
	}
	defer cache.Close()
	defer cache.Backend().Close()
	log.Printf("custom backend example on %s; try: curl -i http://localhost%s/items", addr, addr)
	srv := &http.Server{Addr: addr, Handler: r, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
