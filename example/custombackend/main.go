// Command custombackend serves the Quick Start API with the cache on a
// backend of its own, MapBackend (mapbackend.go): what an application
// writes to keep cached responses wherever it likes. Its test runs the
// exported conformance suite (backend/backendtest) on it.
//
//	go run ./example/custombackend    # listens on :8080, or $ADDR
package main

import (
	"log"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
	"github.com/intelligentcache/gin-intelligent-cache/internal/exampleserver"
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
	r, cache, err := newEngine()
	if err != nil {
		log.Fatal(err)
	}
	defer cache.Close()
	defer cache.Backend().Close()
	exampleserver.Main(r, func(base string) {
		log.Printf("custom backend example on %s; try: curl -i %s/items", exampleserver.Addr(), base)
	})
}
