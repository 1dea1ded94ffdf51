// Package passed registers routes in functions that receive their group
// as an argument.
package passed

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	mountItems(r.Group("/v1"))
	mountItems(r.Group("/v2"))
	admin := r.Group("/admin")
	mountReports(admin)
}

// mountItems is called with two groups: its routes get both prefixes.
func mountItems(g *gin.RouterGroup) {
	g.GET("/items", listItems)
	g.PUT("/items/:id", updateItem)
}

func mountReports(g gin.IRouter) {
	g.GET("/reports", reports)
}

//cache:ttl=60
func listItems(c *gin.Context) {}

//cache:invalidate=/admin/reports
func updateItem(c *gin.Context) {}

//cache:ttl=300 vary=user_id
func reports(c *gin.Context) {}
