// Package web sits in a directory whose name has a dot, which the linker
// escapes in symbol names (web%2ev1).
package web

import "github.com/gin-gonic/gin"

// Mount registers the package's routes.
func Mount(r gin.IRouter) {
	r.GET("/index", Index)
	r.GET("/page", (&Pages{}).Page)
}

// Index is a handler.
//
//cache:ttl=60
func Index(c *gin.Context) {}

// Pages serves pages.
type Pages struct{}

// Page is a method handler.
//
//cache:ttl=60
func (p *Pages) Page(c *gin.Context) {}
