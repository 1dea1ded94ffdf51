// Package errmethodnotconst registers an annotated handler with a method
// cachegen cannot know.
package errmethodnotconst

import "github.com/gin-gonic/gin"

// Register mounts the routes.
func Register(r *gin.Engine, method string) {
	r.Handle(method, "/items", items)
}

//cache:ttl=60
func items(c *gin.Context) {}
