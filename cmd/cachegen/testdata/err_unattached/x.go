// Package errunattached has a directive that annotates nothing.
package errunattached

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	x := 1
	//cache:ttl=60
	_ = x

	r.GET("/x", func(c *gin.Context) {})
}
