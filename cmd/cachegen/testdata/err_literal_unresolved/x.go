// Package errliteralunresolved registers a function literal on a path
// cachegen cannot resolve: a literal has no stable name to fall back on.
package errliteralunresolved

import "github.com/gin-gonic/gin"

// Mount is called from outside the loaded packages.
func Mount(r gin.IRouter) {
	//cache:ttl=60
	r.GET("/items", func(c *gin.Context) {})
}
