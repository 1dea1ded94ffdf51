// Package factories registers handlers built by factories.
package factories

import "github.com/gin-gonic/gin"

// DB stands for a dependency.
type DB struct{}

// listItems returns a closure: its run-time name depends on inlining, so
// the route is matched by path only.
//
//cache:ttl=60
func listItems(db *DB) gin.HandlerFunc {
	return func(c *gin.Context) { _ = db }
}

// named returns a named function: the table carries that function's name.
//
//cache:ttl=120
func named() gin.HandlerFunc {
	if true {
		return show
	}
	return gin.HandlerFunc(show)
}

func show(c *gin.Context) {}

// H holds handler factories.
type H struct{}

// Create is a method factory.
//
//cache:invalidate=/items
func (h *H) Create() gin.HandlerFunc {
	return func(c *gin.Context) {}
}

// bare returns the plain function type.
//
//cache:ttl=5
func bare() func(*gin.Context) {
	return other
}

func other(c *gin.Context) {}

// Register mounts the routes.
func Register(r *gin.Engine, db *DB) {
	r.GET("/items", listItems(db))
	r.GET("/named", named())
	h := &H{}
	r.POST("/items", h.Create())
	handler := bare()
	r.GET("/bare", handler)
	r.GET("/wrapped", timed(wrapped))
}

// timed wraps a handler and carries no directive: the wrapped handler's
// applies to the route. The wrapper's closure has no stable name, so the
// route is matched by path.
func timed(h gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) { h(c) }
}

//cache:ttl=7
func wrapped(c *gin.Context) {}
