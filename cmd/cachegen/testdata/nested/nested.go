// Package nested registers routes on nested groups, reached through
// chains, variables, a struct field and a function result.
package nested

import "github.com/gin-gonic/gin"

// Server keeps its router in a field.
type Server struct {
	router *gin.RouterGroup
}

func (s *Server) routes() {
	s.router.GET("/field", fromField)
}

// Embedded registers through an embedded group.
type Embedded struct {
	*gin.RouterGroup
}

func apiGroup(r *gin.Engine) *gin.RouterGroup { return r.Group("/api") }

func auth(c *gin.Context) {}

// Register mounts the routes.
func Register(r *gin.Engine) {
	api := apiGroup(r)
	v1 := api.Group("/v1", auth)
	v1.Group("/admin").Use(auth).GET("/stats", stats)
	var items gin.IRouter = v1.Group("items/")
	items.GET(":id", getItem)
	v2 := r.Group("/api").Group("/v2")
	v2.GET("/items", listItems)
	s := &Server{router: v1}
	s.routes()
	var routes gin.IRoutes = v2.Use(auth)
	routes.GET("/chained", chained)
	e := Embedded{RouterGroup: v2.Group("/embedded")}
	e.GET("/x", viaEmbedded)
}

//cache:ttl=60
func stats(c *gin.Context) {}

//cache:ttl=60
func getItem(c *gin.Context) {}

//cache:ttl=60
func listItems(c *gin.Context) {}

//cache:ttl=60
func fromField(c *gin.Context) {}

//cache:ttl=60
func chained(c *gin.Context) {}

//cache:ttl=60
func viaEmbedded(c *gin.Context) {}
