// Package errtypeerror does not compile: cachegen reports the compiler's
// errors and stops.
package errtypeerror

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine) {
	r.GET("/items", missing)
}
