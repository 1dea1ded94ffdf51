// Package errabovenamed puts a directive above the registration of a
// named handler, where it does not belong.
package errabovenamed

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	//cache:ttl=60
	r.GET("/items", list)

	h := list
	if len(r.Routes()) > 1 {
		h = other
	}
	//cache:ttl=60
	r.GET("/either", h)
}

func other(c *gin.Context) {}

func list(c *gin.Context) {}
