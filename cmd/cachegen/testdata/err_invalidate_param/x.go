// Package errinvalidateparam names a parameter the route does not have.
package errinvalidateparam

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	r.PUT("/spaces/:space_id/items/:id", update)
	r.POST("/spaces/:space_id/items", update)
}

//cache:invalidate=/spaces/:space_id/stats/*,/items/:id
func update(c *gin.Context) {}
