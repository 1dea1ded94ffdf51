// Package anymethods registers routes with Any, Handle and Match.
package anymethods

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// Register mounts the routes.
func Register(r *gin.Engine) {
	r.Any("/anything", anything)
	r.Handle("GET", "/handled", handled)
	r.Handle(http.MethodDelete, "/handled/:id", removed)
	r.Match([]string{http.MethodGet, http.MethodHead}, "/matched", matched)
	r.GET("/both", both)
	r.HEAD("/both", both)
}

//cache:ttl=60
func anything(c *gin.Context) {}

//cache:ttl=30
func handled(c *gin.Context) {}

//cache:invalidate=/handled
func removed(c *gin.Context) {}

//cache:ttl=15
func matched(c *gin.Context) {}

//cache:ttl=20
func both(c *gin.Context) {}
