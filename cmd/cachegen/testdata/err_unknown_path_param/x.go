// Package errunknownpathparam names a parameter of a route whose path is
// not known statically.
package errunknownpathparam

import "github.com/gin-gonic/gin"

// Mount is called from outside the loaded packages.
func Mount(r gin.IRouter) {
	r.PUT("/items/:id", update)
}

//cache:invalidate=/items/:id/*
func update(c *gin.Context) {}
