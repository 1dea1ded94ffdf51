// Package lacking registered a route since its table was generated.
package lacking

import "github.com/gin-gonic/gin"

func New() *gin.Engine {
	r := gin.New()
	r.GET("/a", a)
	r.GET("/b", b)
	return r
}

//cache:ttl=60
func a(c *gin.Context) {}

// want +2 `cache_policies_gen.go is stale: it lacks GET /b: run go generate`
//
//cache:ttl=60
func b(c *gin.Context) {}
