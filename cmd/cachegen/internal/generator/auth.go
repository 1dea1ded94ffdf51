package generator

import (
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/types/typeutil"
)

// The one check cachegen makes about authentication: a GET route behind a
// middleware marked with gincache.Auth or gincache.AuthGate (in its
// group's Group call, a Use on its router, or its own registration) must
// say who the response is for (identity=) or that it is the same for
// every caller (public). Without either, requests carrying credentials are
// never cached, and an authentication that reads something the cache does
// not count as a credential would share one caller's response with all.
//
// Use is followed without regard to order: a route registered on a router
// before a Use that marks it is flagged too (add public or identity= to
// it, or register it on another router).

// authMark describes e when it is a call of gincache.Auth or
// gincache.AuthGate ("gincache.Auth at main.go:12:3"), and is "" otherwise.
func (a *analysis) authMark(info *types.Info, e ast.Expr) string {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok {
		return ""
	}
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != gincachePath || fn.Signature().Recv() != nil {
		return ""
	}
	if fn.Name() != "Auth" && fn.Name() != "AuthGate" {
		return ""
	}
	return "gincache." + fn.Name() + " at " + a.where(call.Pos())
}

// authIn returns the first authentication mark among handler arguments.
func (a *analysis) authIn(info *types.Info, args []ast.Expr) string {
	for _, arg := range args {
		if m := a.authMark(info, arg); m != "" {
			return m
		}
	}
	return ""
}

// markUse records a Use call whose handlers hold an authentication mark
// on the router variable or field it is called on.
func (a *analysis) markUse(info *types.Info, sel *ast.SelectorExpr, args []ast.Expr) {
	m := a.authIn(info, args)
	if m == "" {
		return
	}
	if k, ok := routerVar(info, sel.X); ok && a.authUses[k] == "" {
		a.authUses[k] = m
	}
}

// usedAuth returns the mark a Use put on the router variable e, if any.
func (a *analysis) usedAuth(info *types.Info, e ast.Expr) string {
	if k, ok := routerVar(info, e); ok {
		return a.authUses[k]
	}
	return ""
}

// routerVar is the node of a router held in a variable or a field.
func routerVar(info *types.Info, e ast.Expr) (nodeKey, bool) {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		if v, ok := info.ObjectOf(e).(*types.Var); ok {
			return varKey(v), true
		}
	case *ast.SelectorExpr:
		if v, ok := info.ObjectOf(e.Sel).(*types.Var); ok {
			return varKey(v), true
		}
	}
	return nodeKey{}, false
}
