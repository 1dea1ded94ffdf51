// Package erremptywrite has an empty directive on a write route.
package erremptywrite

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	r.DELETE("/items/:id", remove)
}

//cache:
func remove(c *gin.Context) {}
