// Package routes mounts the handlers of package handlers.
package routes

import (
	"github.com/gin-gonic/gin"

	"example.com/cases/multipkg/handlers"
)

// Mount registers the item routes on r.
func Mount(r gin.IRouter, h *handlers.Items) {
	r.GET("/items", handlers.List)
	r.GET("/items/:id", h.Show)
}
