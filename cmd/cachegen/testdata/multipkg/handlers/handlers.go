// Package handlers holds annotated handlers.
package handlers

import "github.com/gin-gonic/gin"

// List lists the items.
//
//cache:ttl=60
func List(c *gin.Context) {}

// Items serves one item.
type Items struct{}

// Show shows an item.
//
//cache:ttl=120 vary=user_id
func (h *Items) Show(c *gin.Context) {}

// Register mounts the handlers that only this package can name.
func Register(r gin.IRouter) {
	r.GET("/secret", secret)
}

//cache:ttl=5
func secret(c *gin.Context) {}
