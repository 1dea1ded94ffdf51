// Package errauthnoidentity has GET routes behind authentication whose
// directives name no identity.
package errauthnoidentity

import (
	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

func requireUser(c *gin.Context) {}

// Register mounts the routes.
func Register(r *gin.Engine) {
	r.GET("/me", gincache.Auth(requireUser), me)
	api := r.Group("/api", gincache.AuthGate(requireUser))
	api.GET("/profile", profile)
}

//cache:ttl=60 vary=user_id
func me(c *gin.Context) {}

//cache:ttl=60 vary=cookie:lang
func profile(c *gin.Context) {}
