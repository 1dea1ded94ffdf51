package generator

import (
	"fmt"
	"go/ast"
	"go/types"
	"strings"

	"golang.org/x/tools/go/types/typeutil"
)

// handlerKind is what form a handler argument takes.
type handlerKind int

const (
	hUnknown handlerKind = iota // not something cachegen follows
	hFunc                       // a top-level function: listItems
	hMethod                     // a method value: h.ListItems
	hFactory                    // a call returning a handler: listItems(db)
	hLiteral                    // a function literal: func(c *gin.Context) {...}
)

// maxHandlerDepth bounds how far variables and factories are followed.
const maxHandlerDepth = 4

// handlerRef is a resolved handler argument.
type handlerRef struct {
	kind handlerKind
	fn   *types.Func  // the function, method or factory (generic origin)
	lit  *ast.FuncLit // the literal
	// name is the name Gin reports for the handler at run time
	// (runtime.FuncForPC), or "" when it is not stable: the compiler names
	// a closure after the function it ends up in, which depends on
	// inlining.
	name string
	// inner is, for a factory call, the handler passed to it
	// (r.GET("/x", wrap(listItems))): when the factory carries no
	// directive, the wrapped handler's applies.
	inner *handlerRef
}

// label names the handler in messages.
func (h handlerRef) label() string {
	switch h.kind {
	case hFunc, hFactory:
		if h.fn.Signature().Recv() != nil {
			return recvPart(h.fn) + "." + h.fn.Name()
		}
		return h.fn.Name()
	case hMethod:
		return recvPart(h.fn) + "." + h.fn.Name()
	case hLiteral:
		return "the function literal"
	}
	return "the handler"
}

// classify resolves a handler expression.
func (a *analysis) classify(info *types.Info, e ast.Expr, depth int) handlerRef {
	if depth > maxHandlerDepth {
		return handlerRef{}
	}
	switch x := ast.Unparen(e).(type) {
	case *ast.FuncLit:
		return handlerRef{kind: hLiteral, lit: x}
	case *ast.CallExpr:
		if tv, ok := info.Types[x.Fun]; ok && tv.IsType() && len(x.Args) == 1 {
			return a.classify(info, x.Args[0], depth) // gin.HandlerFunc(f)
		}
		fn := typeutil.StaticCallee(info, x)
		if fn == nil || !a.isLoaded(fn.Pkg()) || !isFactorySig(fn.Signature()) {
			return handlerRef{}
		}
		fn = fn.Origin()
		ref := handlerRef{kind: hFactory, fn: fn, name: a.factoryName(fn, depth)}
		for _, arg := range x.Args {
			if tv, ok := info.Types[arg]; !ok || !isHandlerType(tv.Type) {
				continue
			}
			if in := a.classify(info, arg, depth+1); in.kind == hFunc || in.kind == hMethod || in.kind == hFactory {
				ref.inner = &in
				break
			}
		}
		return ref
	case *ast.IndexExpr:
		return a.classify(info, x.X, depth) // an instantiated generic handler
	case *ast.IndexListExpr:
		return a.classify(info, x.X, depth)
	case *ast.SelectorExpr:
		if sel := info.Selections[x]; sel != nil {
			fn, ok := sel.Obj().(*types.Func)
			if !ok || sel.Kind() != types.MethodVal || isInterfaceMethod(fn) {
				return handlerRef{}
			}
			fn = fn.Origin()
			return handlerRef{kind: hMethod, fn: fn, name: methodValueName(fn)}
		}
		return a.classifyObj(info, info.Uses[x.Sel], depth)
	case *ast.Ident:
		return a.classifyObj(info, info.Uses[x], depth)
	}
	return handlerRef{}
}

func (a *analysis) classifyObj(info *types.Info, obj types.Object, depth int) handlerRef {
	switch o := obj.(type) {
	case *types.Func:
		if o.Signature().Recv() != nil {
			return handlerRef{}
		}
		o = o.Origin()
		return handlerRef{kind: hFunc, fn: o, name: funcName(o)}
	case *types.Var:
		// A local variable assigned once: follow its value.
		if vals := a.handlerVars[o]; len(vals) == 1 {
			return a.classify(info, vals[0], depth+1)
		}
	}
	return handlerRef{}
}

// factoryName is the run-time name of the handler a factory returns, when
// every return statement returns the same named function or method value.
// A factory returning a closure has no stable name.
func (a *analysis) factoryName(fn *types.Func, depth int) string {
	d := a.decls[fn]
	if d == nil || d.decl.Body == nil {
		return ""
	}
	name, ok := "", true
	ast.Inspect(d.decl.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			if len(n.Results) != 1 {
				ok = false
				return false
			}
			ref := a.classify(d.pkg.TypesInfo, n.Results[0], depth+1)
			if ref.name == "" || name != "" && ref.name != name {
				ok = false
			}
			name = ref.name
		}
		return ok
	})
	if !ok {
		return ""
	}
	return name
}

func isInterfaceMethod(fn *types.Func) bool {
	recv := fn.Signature().Recv()
	return recv != nil && types.IsInterface(recv.Type())
}

// runtimePrefix is how the linker names a package in symbol names: "main"
// for a command, else the import path with the dots of its last element
// (and a few other bytes) escaped.
func runtimePrefix(p *types.Package) string {
	if p.Name() == "main" {
		return "main"
	}
	return pathToPrefix(p.Path())
}

// pathToPrefix escapes an import path as cmd/internal/objabi.PathToPrefix
// does.
func pathToPrefix(s string) string {
	slash := strings.LastIndexByte(s, '/')
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == '.' && i > slash || c == '%' || c == '"' || c >= 0x7f {
			fmt.Fprintf(&b, "%%%02x", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// funcName is the run-time name of a top-level function; an instance of a
// generic one is reported as F[...].
func funcName(fn *types.Func) string {
	name := runtimePrefix(fn.Pkg()) + "." + fn.Name()
	if fn.Signature().TypeParams().Len() > 0 {
		name += "[...]"
	}
	return name
}

// methodValueName is the run-time name of a method value h.M: the
// compiler's wrapper pkg.(*T).M-fm or pkg.T.M-fm, after the receiver the
// method is declared on (also when it is promoted through embedding).
func methodValueName(fn *types.Func) string {
	return runtimePrefix(fn.Pkg()) + "." + recvPart(fn) + "." + fn.Name() + "-fm"
}

// recvPart is (*T) or T for a method, T[...] for a generic T.
func recvPart(fn *types.Func) string {
	t := types.Unalias(fn.Signature().Recv().Type())
	ptr := false
	if p, ok := t.(*types.Pointer); ok {
		t, ptr = types.Unalias(p.Elem()), true
	}
	name := "?"
	if n, ok := t.(*types.Named); ok {
		name = n.Obj().Name()
		if n.TypeParams().Len() > 0 || n.TypeArgs().Len() > 0 {
			name += "[...]"
		}
	}
	if ptr {
		return "(*" + name + ")"
	}
	return name
}

// isGeneric reports whether fn or its receiver has type parameters: it
// cannot be referred to without instantiating it.
func isGeneric(fn *types.Func) bool {
	if fn.Signature().TypeParams().Len() > 0 {
		return true
	}
	if recv := fn.Signature().Recv(); recv != nil {
		if n, ok := types.Unalias(deref(recv.Type())).(*types.Named); ok && n.TypeParams().Len() > 0 {
			return true
		}
	}
	return false
}
