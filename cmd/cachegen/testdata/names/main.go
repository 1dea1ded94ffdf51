// Command names registers every form of handler on a real Gin engine and
// prints what Gin reports for each route next to the generated table, so
// that the test can check the table's handler names against the run time.
package main

import (
	"encoding/json"
	"os"

	"github.com/gin-gonic/gin"

	web "example.com/cases/names/web.v1"
)

// Store has methods with both kinds of receivers.
type Store struct{}

//cache:ttl=60
func (s *Store) List(c *gin.Context) {}

//cache:ttl=60
func (s Store) Show(c *gin.Context) {}

// Embeds promotes Store's methods.
type Embeds struct{ *Store }

//cache:ttl=60
func plain(c *gin.Context) {}

//cache:ttl=60
func factory(n int) gin.HandlerFunc {
	return func(c *gin.Context) { _ = n }
}

//cache:ttl=60
func namedFactory() gin.HandlerFunc { return named }

func named(c *gin.Context) {}

// G is generic.
type G[T any] struct{}

//cache:ttl=60
func (g *G[T]) H(c *gin.Context) {}

//cache:ttl=60
func generic[T any](c *gin.Context) {}

func register(r *gin.Engine) {
	s := &Store{}
	api := r.Group("/api")
	api.GET("/plain", plain)
	api.GET("/list", s.List)
	api.GET("/show", s.Show)
	api.GET("/promoted", Embeds{s}.List)
	api.GET("/factory", factory(1))
	api.GET("/named", namedFactory())
	api.GET("/generic-method", (&G[int]{}).H)
	api.GET("/generic-func", generic[string])
	//cache:ttl=60
	api.GET("/literal", func(c *gin.Context) {})
	api.GET("/converted", gin.HandlerFunc(plain))
	web.Mount(api.Group("/web"))
	api.Any("/any", plain)
}

type route struct {
	Method, Path, Handler string
}

func main() {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	register(r)
	var out struct {
		Routes, Table []route
		Invalid       string
	}
	for _, ri := range r.Routes() {
		out.Routes = append(out.Routes, route{ri.Method, ri.Path, ri.Handler})
	}
	for _, e := range CachePolicies {
		out.Table = append(out.Table, route{e.Method, e.Path, e.Handler})
	}
	if err := CachePolicies.Validate(); err != nil {
		out.Invalid = err.Error()
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
