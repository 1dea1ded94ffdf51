// Package errinvalidatetarget names invalidate targets that reach no
// route: written without the group prefix the routes get from the router
// they are registered on, or matching nothing at all.
package errinvalidatetarget

import "github.com/gin-gonic/gin"

// New builds the engine: the article routes live under /api.
func New() *gin.Engine {
	r := gin.New()
	api := r.Group("/api")
	mount(api.Group("/articles"))
	return r
}

func mount(g *gin.RouterGroup) {
	g.GET("/feed", feed)
	g.GET("/:slug", article)
	g.POST("", create)
	g.PUT("/:slug", update)
	g.DELETE("/:slug", remove)
}

//cache:ttl=60
func feed(c *gin.Context) {}

//cache:ttl=60
func article(c *gin.Context) {}

// create forgets the /api prefix of both targets.
//
//cache:invalidate=/articles/feed,/articles/*
func create(c *gin.Context) {}

// update names the full paths: no error.
//
//cache:invalidate=/api/articles/feed,/api/articles/:slug/*
func update(c *gin.Context) {}

// remove names a path no route has, under any prefix.
//
//cache:invalidate=/reports/summary
func remove(c *gin.Context) {}
