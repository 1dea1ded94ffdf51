// Package methods registers method values.
package methods

import "github.com/gin-gonic/gin"

// Store serves items.
type Store struct{}

// List has a pointer receiver.
//
//cache:ttl=60
func (s *Store) List(c *gin.Context) {}

// Show has a value receiver.
//
//cache:ttl=120
func (s Store) Show(c *gin.Context) {}

// API embeds Store: its List is Store's.
type API struct{ *Store }

// Generic is a generic type; its methods cannot be referred to without
// instantiation, so the table refers to Register instead.
type Generic[T any] struct{}

// Get is a method of a generic type.
//
//cache:ttl=30
func (g *Generic[T]) Get(c *gin.Context) {}

type unexported struct{}

//cache:invalidate=/list
func (unexported) update(c *gin.Context) {}

// Register mounts the routes.
func Register(r *gin.Engine) {
	s := &Store{}
	r.GET("/list", s.List)
	r.GET("/show", s.Show)
	api := API{s}
	r.GET("/promoted", api.List)
	r.GET("/generic", (&Generic[int]{}).Get)
	r.PUT("/list", unexported{}.update)
}
