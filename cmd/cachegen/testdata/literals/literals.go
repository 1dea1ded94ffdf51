// Package literals registers function literals.
package literals

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	//cache:ttl=60
	r.GET("/lit", func(c *gin.Context) {})

	// Other comment lines may come before the directive.
	//cache:ttl=30 vary=user_id
	r.GET("/lit2", func(c *gin.Context) {
		c.String(200, "x")
	})

	h := func(c *gin.Context) {}
	//cache:ttl=10
	r.GET("/via-var", h)

	r.GET("/plain", func(c *gin.Context) {}) // no directive: not in the table

	func() {
		//cache:invalidate=/lit
		r.POST("/nested", func(c *gin.Context) {})
	}()
}

var engine = gin.New()

// A literal registered in init: nothing can refer to init, so cachegen
// warns that renaming will go unnoticed.
func init() {
	//cache:ttl=5
	engine.GET("/init", func(c *gin.Context) {})
}
