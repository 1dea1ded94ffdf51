// Command wholemodule is an application laid out as most are: handlers in
// packages of their own, each with a Register function that takes a
// *gin.RouterGroup, and the group prefixes given in main. Run per
// package, cachegen cannot know those prefixes; run once on the module
// (cachegen ./...), it writes each handler package's table with full
// paths.
package main

import (
	"github.com/gin-gonic/gin"

	"example.com/cases/wholemodule/articles"
	"example.com/cases/wholemodule/plain"
	"example.com/cases/wholemodule/profiles"
)

func main() {
	newEngine().Run(plain.Addr())
}

func newEngine() *gin.Engine {
	r := gin.New()
	api := r.Group("/api")
	articles.Register(api.Group("/articles"))
	profiles.Register(api.Group("/profiles"))
	return r
}
