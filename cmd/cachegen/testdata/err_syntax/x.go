// Package errsyntax has directives with syntax errors: every one is
// reported, each at its own position.
package errsyntax

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	r.GET("/a", a)
	r.GET("/b", b)
	r.GET("/c", c)
	r.GET("/d", d)
}

//cache:tll=60 vary=user_id,,x
func a(c *gin.Context) {}

//cache:ttl=0 stale=soon public=yes
func b(c *gin.Context) {}

// c has a space after the slashes: not a directive, and cachegen says so.
//
// cache:ttl=60
func c(c *gin.Context) {}

// d had a bare //cache:, which gofmt turned into a plain comment.
//
// cache:
func d(c *gin.Context) {}
