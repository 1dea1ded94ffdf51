// Command e2e is the small application of cachegen's end-to-end test: its
// handlers carry //cache: directives, cachegen writes its table, and the
// test builds it, runs it and checks over HTTP that the policies apply.
//
// It listens on a free loopback port and prints "listening on ADDR".
package main

//go:generate go run github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

// orders is the application's state; every response says how many
// orders it saw and how many times a handler ran.
type orders struct {
	mu    sync.Mutex
	count int
	runs  int
}

func (o *orders) snapshot() gin.H {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.runs++
	return gin.H{"orders": o.count, "runs": o.runs}
}

// listOrders is cached for an hour.
//
//cache:ttl=1h
func (o *orders) listOrders(c *gin.Context) { c.JSON(http.StatusOK, o.snapshot()) }

// summary is cached for an hour. It lives outside /orders, so creating
// an order invalidates it only because createOrder says so.
//
//cache:ttl=3600
func (o *orders) summary(c *gin.Context) { c.JSON(http.StatusOK, o.snapshot()) }

// stats is cached; no write names it, so it stays cached.
//
//cache:ttl=1h
func (o *orders) stats(c *gin.Context) { c.JSON(http.StatusOK, o.snapshot()) }

// createOrder adds an order: by the automatic rules that invalidates GET
// /orders, and the directive adds /reports/summary.
//
//cache:invalidate=/reports/summary
func (o *orders) createOrder(c *gin.Context) {
	o.mu.Lock()
	o.count++
	n := o.count
	o.mu.Unlock()
	c.JSON(http.StatusCreated, gin.H{"id": strconv.Itoa(n)})
}

func register(r gin.IRouter, o *orders) {
	r.GET("/orders", o.listOrders)
	r.POST("/orders", o.createOrder)
	reports := r.Group("/reports")
	reports.GET("/summary", o.summary)
	reports.GET("/stats", o.stats)
}

func main() {
	gin.SetMode(gin.ReleaseMode)
	cache, err := gincache.New(CachePolicies)
	if err != nil {
		log.Fatal(err)
	}
	defer cache.Close()
	r := gin.New()
	r.Use(cache.Middleware())
	register(r, &orders{})
	if err := cache.CheckRoutes(r.Routes()); err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stdout, "listening on %s\n", ln.Addr())
	log.Fatal(http.Serve(ln, r))
}
