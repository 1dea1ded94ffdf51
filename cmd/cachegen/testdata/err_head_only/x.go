// Package errheadonly annotates a handler registered only for HEAD.
package errheadonly

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	r.HEAD("/items", head)
	r.OPTIONS("/items", head)
}

//cache:ttl=60
func head(c *gin.Context) {}
