// Package errliteralambiguous has one directive above a statement that
// registers two function literals.
package errliteralambiguous

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	//cache:ttl=60
	r.GET("/a", func(c *gin.Context) {}).GET("/b", func(c *gin.Context) {})
}
