// Package multipkg is an application whose handlers and routes live in
// other packages; the table is declared here.
package multipkg

import (
	"github.com/gin-gonic/gin"

	"example.com/cases/multipkg/handlers"
	"example.com/cases/multipkg/routes"
)

// New builds the engine.
func New() *gin.Engine {
	r := gin.New()
	api := r.Group("/api")
	routes.Mount(api, &handlers.Items{})
	handlers.Register(api)
	r.GET("/home", home)
	return r
}

//cache:ttl=10
func home(c *gin.Context) {}
