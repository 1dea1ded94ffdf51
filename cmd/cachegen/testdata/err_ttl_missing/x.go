// Package errttlmissing has cached GETs without ttl.
package errttlmissing

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	r.GET("/stale", staleOnly)
	r.GET("/vary", varyOnly)
}

//cache:stale=5m
func staleOnly(c *gin.Context) {}

//cache:vary=user_id
func varyOnly(c *gin.Context) {}
