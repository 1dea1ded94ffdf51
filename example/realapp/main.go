// Command realapp is the cache inside the arrangement real Gin
// applications use: Recovery outermost, then an error middleware that
// turns c.Error into a JSON 500 after c.Next(), gin-contrib/cors, an
// authentication middleware marked for the cache, and the cache. Handlers
// fail the Gin way (c.Error(err); return), and:
//
//   - GET /catalog is the same for every caller but varies by the lang
//     cookie (public, vary=cookie:lang);
//   - GET /me is per user (identity=user_id);
//   - GET /report is cached 10 s and may be served stale for a minute
//     while one request refreshes it in the background, or while the
//     database is down (stale-if-error); PUT /report changes it.
//
// Run it and try:
//
//	go run ./example/realapp       # listens on :8080, or $ADDR
//	curl -i localhost:8080/report
//	curl -i -H 'Authorization: Bearer alice' localhost:8080/me
//	curl -i -H 'Cookie: lang=fr' localhost:8080/catalog
package main

import (
	"errors"
	"log"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
	"github.com/intelligentcache/gin-intelligent-cache/internal/exampleserver"
)

//go:generate go tool cachegen

// errDown is what the database says while it is down.
var errDown = errors.New("database unavailable")

// db stands in for the application's database.
type db struct {
	mu      sync.Mutex
	down    bool
	version int
	// gate, when set, holds every report read until it is closed (tests
	// use it to show a refresh running while its client has its answer).
	gate chan struct{}
}

func (d *db) report() (string, error) {
	d.mu.Lock()
	gate := d.gate
	d.mu.Unlock()
	if gate != nil {
		<-gate
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down {
		return "", errDown
	}
	return "report v" + strconv.Itoa(d.version), nil
}

type app struct{ db *db }

// report answers the current report; a failure goes to the error
// middleware, as Gin handlers do.
//
//cache:ttl=10 stale=60 public
func (a *app) report(c *gin.Context) {
	r, err := a.db.report()
	if err != nil {
		_ = c.Error(err)
		return
	}
	c.String(http.StatusOK, "%s", r)
}

// updateReport writes a new report version.
func (a *app) updateReport(c *gin.Context) {
	a.db.mu.Lock()
	a.db.version++
	a.db.mu.Unlock()
	c.Status(http.StatusNoContent)
}

// catalog is the same for everyone, in the caller's language.
//
//cache:ttl=300 public vary=cookie:lang
func (a *app) catalog(c *gin.Context) {
	lang, err := c.Cookie("lang")
	if err != nil {
		lang = "en"
	}
	c.String(http.StatusOK, "catalog in %s", lang)
}

// me is the caller's own page.
//
//cache:ttl=300 identity=user_id
func (a *app) me(c *gin.Context) {
	c.String(http.StatusOK, "page of %s", c.GetString("user_id"))
}

// errorJSON writes a JSON 500 for the errors the handlers reported, once
// the chain has run.
func errorJSON(c *gin.Context) {
	c.Next()
	if len(c.Errors) > 0 && !c.Writer.Written() {
		c.JSON(http.StatusInternalServerError, gin.H{"error": c.Errors.Last().Error()})
	}
}

// authenticate sets user_id from "Authorization: Bearer <name>" (a real
// application verifies a token here), and lets anonymous callers through.
func authenticate(c *gin.Context) {
	if u, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer "); ok && u != "" {
		c.Set("user_id", u)
	}
	c.Next()
}

// requireUser answers 401 to a caller without an identity.
func requireUser(c *gin.Context) {
	if c.GetString("user_id") == "" {
		c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "sign in"})
		return
	}
	c.Next()
}

func newEngine(d *db, opts ...gincache.Option) (*gin.Engine, *gincache.Cache, error) {
	cache, err := gincache.New(CachePolicies, opts...)
	if err != nil {
		return nil, nil, err
	}
	a := &app{db: d}
	r := gin.New()
	r.Use(gin.Recovery(), errorJSON, cors.New(cors.Config{
		AllowOrigins: []string{"https://app.example"},
		AllowMethods: []string{"GET", "PUT"},
	}))
	// Authentication first, marked so the cache checks the order; then
	// the cache. requireUser only rejects, so it may follow the cache on
	// /me, whose key holds the user_id authenticate set.
	api := r.Group("/", gincache.Auth(authenticate), cache.Middleware())
	api.GET("/report", a.report)
	api.PUT("/report", a.updateReport)
	api.GET("/catalog", a.catalog)
	api.GET("/me", gincache.AuthGate(requireUser), a.me)
	if err := cache.CheckRoutes(r.Routes()); err != nil {
		cache.Close()
		return nil, nil, err
	}
	return r, cache, nil
}

func main() {
	r, cache, err := newEngine(&db{version: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer cache.Close()
	exampleserver.Main(r, nil)
}
