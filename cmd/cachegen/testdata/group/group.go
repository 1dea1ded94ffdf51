// Package group registers routes on one group.
package group

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	api := r.Group("/api")
	api.GET("/items", listItems)
	{
		api.POST("/items", createItem)
	}
}

//cache:ttl=60
func listItems(c *gin.Context) {}

//cache:off
func createItem(c *gin.Context) {}
