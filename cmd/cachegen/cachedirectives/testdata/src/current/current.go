// Package current has a table that agrees with its directives: the
// analyzer reports nothing.
package current

import "github.com/gin-gonic/gin"

func New() *gin.Engine {
	r := gin.New()
	r.GET("/items", list)
	r.GET("/items/:id", get)
	r.POST("/items", create)
	//cache:ttl=30 public
	r.GET("/about", func(c *gin.Context) {})
	return r
}

//cache:ttl=1h stale=5m vary=user_id,header:X-Tenant query=page,limit
func list(c *gin.Context) {}

//cache:ttl=default
func get(c *gin.Context) {}

//cache:off invalidate=/items/*
func create(c *gin.Context) {}
