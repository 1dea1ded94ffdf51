// Package functions registers top-level handler functions.
package functions

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	r.GET("/items", listItems)
	r.GET("/items/:id", getItem)
	r.POST("/items", createItem)
	r.DELETE("/items/:id", deleteItem)
	r.GET("/health", health) // no directive: not in the table
	r.GET("/reports/summary", health)
}

// listItems lists the items.
//
//cache:ttl=3600
func listItems(c *gin.Context) {}

//cache:ttl=1h30m vary=user_id
func getItem(c *gin.Context) {}

//cache:invalidate=/reports/summary
func createItem(c *gin.Context) {}

//cache:off
func deleteItem(c *gin.Context) {}

func health(c *gin.Context) {}
