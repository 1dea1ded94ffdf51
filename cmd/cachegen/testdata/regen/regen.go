// Package regen has a stale generated file that refers to a handler since
// renamed: cachegen must still load the package and replace the file.
package regen

import (
	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

// Policies is what the application hands to gincache.
var Policies gincache.Table = CachePolicies

// Register mounts the route.
func Register(r *gin.Engine) {
	r.GET("/items", newName)
}

//cache:ttl=60
func newName(c *gin.Context) {}
