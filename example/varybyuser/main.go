// Command varybyuser caches a per-user route: an auth middleware sets
// user_id from a bearer token, the cache comes after it, and
// GET /user/profile is cached per user (//cache:ttl=300 identity=user_id), so
// two users never see each other's profile.
//
//	go run ./example/varybyuser       # listens on :8080, or $ADDR
//	curl -i -H 'Authorization: Bearer alice-token' localhost:8080/user/profile
//	curl -i -H 'Authorization: Bearer bob-token'   localhost:8080/user/profile
package main

import (
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
	"github.com/intelligentcache/gin-intelligent-cache/internal/exampleserver"
)

//go:generate go tool cachegen

// demoTokens stands in for a real token check.
var demoTokens = map[string]string{
	"alice-token": "alice",
	"bob-token":   "bob",
}

// auth sets user_id from the bearer token, or answers 401.
func auth(c *gin.Context) {
	token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	user, known := demoTokens[token]
	if !ok || !known {
		c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "send Authorization: Bearer alice-token or bob-token"})
		return
	}
	c.Set("user_id", user)
}

// profile returns the caller's profile.
//
//cache:ttl=300 identity=user_id
func profile(c *gin.Context) {
	user := c.GetString("user_id")
	c.JSON(http.StatusOK, gin.H{
		"user":         user,
		"email":        user + "@example.com",
		"generated_at": time.Now().UTC().Format(time.RFC3339Nano),
	})
}

func newEngine() (*gin.Engine, *gincache.Cache, error) {
	cache, err := gincache.New(CachePolicies)
	if err != nil {
		return nil, nil, err
	}
	r := gin.New()
	r.Use(gin.Logger(), gin.Recovery())
	// Auth first, then the cache: a HIT is served only after auth ran.
	// gincache.Auth marks the middleware, so the cache refuses to cache a
	// route where it would run after the cache.
	user := r.Group("/user", gincache.Auth(auth), cache.Middleware())
	user.GET("/profile", profile)
	return r, cache, nil
}

func main() {
	r, cache, err := newEngine()
	if err != nil {
		log.Fatal(err)
	}
	defer cache.Close()
	exampleserver.Main(r, func(base string) {
		log.Printf("per-user caching on %s; try: curl -i -H 'Authorization: Bearer alice-token' %s/user/profile", exampleserver.Addr(), base)
	})
}
