// Package errabovenamed puts a directive above the registration of a
// named handler, where it does not belong.
package errabovenamed

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	//cache:ttl=60
	r.GET("/items", list)
}

func list(c *gin.Context) {}
