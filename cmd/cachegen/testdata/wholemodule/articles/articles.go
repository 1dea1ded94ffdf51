// Package articles serves the articles.
package articles

import "github.com/gin-gonic/gin"

// Register mounts the routes on g.
func Register(g *gin.RouterGroup) {
	g.GET("", list)
	g.GET("/:slug", get)
	g.POST("", create)
}

//cache:ttl=60
func list(c *gin.Context) {}

//cache:ttl=120 vary=user_id
func get(c *gin.Context) {}

//cache:invalidate=/api/profiles/*
func create(c *gin.Context) {}
