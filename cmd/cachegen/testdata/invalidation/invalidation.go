// Package invalidation has a small resource tree, to show what each write
// invalidates (cachegen -explain).
package invalidation

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	r.GET("/", home)
	r.GET("/spaces", listSpaces)
	r.GET("/spaces/:space_id", getSpace)
	r.GET("/spaces/:space_id/items", listItems)
	r.GET("/spaces/:space_id/items/:id", getItem)
	r.GET("/spaces/:space_id/stats/daily", stats)
	r.GET("/reports/summary", summary)
	r.GET("/files/*path", file)

	r.POST("/spaces", write)
	r.PUT("/spaces/:space_id", write)
	r.POST("/spaces/:space_id/items", createItem)
	r.PATCH("/spaces/:space_id/items/:id", write)
	r.DELETE("/spaces/:space_id/items/:id", deleteItem)
	r.POST("/ping", write)
	r.PUT("/files/*path", write)
}

//cache:ttl=60
func home(c *gin.Context) {}

//cache:ttl=60
func listSpaces(c *gin.Context) {}

//cache:ttl=60
func getSpace(c *gin.Context) {}

//cache:ttl=60
func listItems(c *gin.Context) {}

//cache:ttl=60
func getItem(c *gin.Context) {}

//cache:ttl=60
func stats(c *gin.Context) {}

//cache:ttl=60
func summary(c *gin.Context) {}

//cache:ttl=60
func file(c *gin.Context) {}

func write(c *gin.Context) {}

//cache:invalidate=/spaces/:space_id/stats/*,/reports/summary
func createItem(c *gin.Context) {}

//cache:off invalidate=/reports/summary
func deleteItem(c *gin.Context) {}
