// Package auth has routes behind authentication marked for the cache,
// each saying who its response is for.
package auth

import (
	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

func requireUser(c *gin.Context) {}

// Register mounts the routes.
func Register(r *gin.Engine, cache gin.HandlerFunc) {
	api := r.Group("/api", gincache.Auth(requireUser), cache)
	api.GET("/me", me)
	api.GET("/news", news)
	r.GET("/open", open)
	admin := r.Group("/admin")
	admin.Use(gincache.AuthGate(requireUser))
	admin.GET("/stats", stats)
}

//cache:ttl=60 identity=user_id vary=cookie:lang
func me(c *gin.Context) {}

//cache:ttl=60 public
func news(c *gin.Context) {}

// open is behind no authentication: it needs neither.
//
//cache:ttl=60
func open(c *gin.Context) {}

//cache:ttl=60 identity=header:Authorization
func stats(c *gin.Context) {}
