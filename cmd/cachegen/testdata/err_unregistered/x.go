// Package errunregistered has an annotated handler no route registers,
// and a type with a method named GET that is not Gin's: calling it
// registers nothing.
package errunregistered

import "github.com/gin-gonic/gin"

type fakeRouter struct{}

func (fakeRouter) GET(path string, h ...gin.HandlerFunc) {}

// Router is not Gin's either.
type Router interface {
	GET(string, ...gin.HandlerFunc) gin.IRoutes
}

// Register mounts the routes.
func Register(r *gin.Engine, custom Router) {
	fakeRouter{}.GET("/fake", fake)
	custom.GET("/custom", viaCustom)
	// r.GET("/commented", commented)
	r.GET("/served", served)
}

//cache:ttl=60
func fake(c *gin.Context) {}

//cache:ttl=60
func viaCustom(c *gin.Context) {}

//cache:ttl=60
func commented(c *gin.Context) {}

//cache:ttl=60
func served(c *gin.Context) {}
