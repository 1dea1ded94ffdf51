// Package gin is a stub of Gin's router types, enough for the analyzer's
// tests: the analyzer finds routes by these types and method names.
package gin

type Context struct{}

type HandlerFunc func(*Context)

type IRoutes interface {
	Use(...HandlerFunc) IRoutes
	Handle(string, string, ...HandlerFunc) IRoutes
	Any(string, ...HandlerFunc) IRoutes
	GET(string, ...HandlerFunc) IRoutes
	POST(string, ...HandlerFunc) IRoutes
	PUT(string, ...HandlerFunc) IRoutes
	PATCH(string, ...HandlerFunc) IRoutes
	DELETE(string, ...HandlerFunc) IRoutes
}

type IRouter interface {
	IRoutes
	Group(string, ...HandlerFunc) *RouterGroup
}

type RouterGroup struct{ base string }

func (g *RouterGroup) Group(p string, h ...HandlerFunc) *RouterGroup { return &RouterGroup{g.base + p} }
func (g *RouterGroup) Use(h ...HandlerFunc) IRoutes                  { return g }
func (g *RouterGroup) Handle(m, p string, h ...HandlerFunc) IRoutes  { return g }
func (g *RouterGroup) Any(p string, h ...HandlerFunc) IRoutes        { return g }
func (g *RouterGroup) GET(p string, h ...HandlerFunc) IRoutes        { return g }
func (g *RouterGroup) POST(p string, h ...HandlerFunc) IRoutes       { return g }
func (g *RouterGroup) PUT(p string, h ...HandlerFunc) IRoutes        { return g }
func (g *RouterGroup) PATCH(p string, h ...HandlerFunc) IRoutes      { return g }
func (g *RouterGroup) DELETE(p string, h ...HandlerFunc) IRoutes     { return g }

type Engine struct{ RouterGroup }

func New() *Engine { return &Engine{} }
