package generator

import (
	"go/types"
	"net/http"
	"path"
	"strings"
)

// ginPath is the import path of Gin. Routes are recognised by the types of
// this package, never by identifier names.
const ginPath = "github.com/gin-gonic/gin"

// anyMethods are the methods RouterGroup.Any registers (gin v1.12).
var anyMethods = []string{
	http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodHead, http.MethodOptions, http.MethodDelete, http.MethodConnect,
	http.MethodTrace,
}

// routeMethods maps the Gin methods that register one route to the HTTP
// method they register.
var routeMethods = map[string]string{
	"GET":     http.MethodGet,
	"POST":    http.MethodPost,
	"PUT":     http.MethodPut,
	"PATCH":   http.MethodPatch,
	"DELETE":  http.MethodDelete,
	"HEAD":    http.MethodHead,
	"OPTIONS": http.MethodOptions,
}

// sameRouter are the Gin methods whose result is their receiver (as
// gin.IRoutes), so chains such as r.Use(mw).GET(...) keep the prefix.
var sameRouter = map[string]bool{
	"Use": true, "Handle": true, "Any": true, "Match": true,
	"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "HEAD": true, "OPTIONS": true,
	"StaticFile": true, "StaticFileFS": true, "Static": true, "StaticFS": true,
}

// ginNamed returns the name of t when it is a type declared in Gin, with
// a pointer followed once.
func ginNamed(t types.Type) (name string, pointer bool) {
	t = types.Unalias(t)
	if p, ok := t.(*types.Pointer); ok {
		t, pointer = types.Unalias(p.Elem()), true
	}
	n, ok := t.(*types.Named)
	if !ok || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != ginPath {
		return "", false
	}
	return n.Obj().Name(), pointer
}

// isEngine reports whether t is *gin.Engine, whose prefix is always "/".
func isEngine(t types.Type) bool {
	name, ptr := ginNamed(t)
	return name == "Engine" && ptr
}

// isRouter reports whether t is a type routes are registered on:
// *gin.Engine, *gin.RouterGroup, gin.IRoutes or gin.IRouter.
func isRouter(t types.Type) bool {
	switch name, ptr := ginNamed(t); name {
	case "Engine", "RouterGroup":
		return ptr
	case "IRoutes", "IRouter":
		return !ptr
	}
	return false
}

// ginMethod returns the name of fn when it is a method of one of Gin's
// router types (declared on *RouterGroup or *Engine, or on the IRoutes and
// IRouter interfaces).
func ginMethod(fn *types.Func) string {
	if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != ginPath {
		return ""
	}
	recv := fn.Signature().Recv()
	if recv == nil {
		return ""
	}
	switch name, _ := ginNamed(recv.Type()); name {
	case "RouterGroup", "Engine", "IRoutes", "IRouter":
		return fn.Name()
	}
	// Methods of the interfaces have the interface as receiver; a method
	// declared in an embedded interface may carry an unnamed one.
	if _, ok := types.Unalias(recv.Type()).Underlying().(*types.Interface); ok {
		return fn.Name()
	}
	return ""
}

// isHandlerType reports whether t is gin.HandlerFunc or func(*gin.Context).
func isHandlerType(t types.Type) bool {
	if name, ptr := ginNamed(t); name == "HandlerFunc" && !ptr {
		return true
	}
	sig, ok := types.Unalias(t).(*types.Signature)
	return ok && isHandlerSig(sig)
}

// isHandlerSig reports whether sig is func(*gin.Context), receiver aside.
func isHandlerSig(sig *types.Signature) bool {
	if sig.Params().Len() != 1 || sig.Results().Len() != 0 || sig.Variadic() {
		return false
	}
	name, ptr := ginNamed(sig.Params().At(0).Type())
	return name == "Context" && ptr
}

// isFactorySig reports whether sig returns one handler: a factory such as
// func listItems(db *DB) gin.HandlerFunc.
func isFactorySig(sig *types.Signature) bool {
	return sig.Results().Len() == 1 && isHandlerType(sig.Results().At(0).Type())
}

// joinPaths joins a group prefix and a relative path exactly as Gin does
// (path.Join, keeping a trailing slash of the relative path).
func joinPaths(abs, rel string) string {
	if rel == "" {
		return abs
	}
	final := path.Join(abs, rel)
	if strings.HasSuffix(rel, "/") && !strings.HasSuffix(final, "/") {
		return final + "/"
	}
	return final
}
