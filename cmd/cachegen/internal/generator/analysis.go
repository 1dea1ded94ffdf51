package generator

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/go/types/typeutil"

	"github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen/internal/directive"
)

// analysis holds one run's view of the loaded packages.
type analysis struct {
	cfg Config
	// partial: the analysis sees one package of a program (the analyzer's
	// view), not every route: checks that need them all stay silent.
	partial bool
	fset    *token.FileSet
	pkgs    []*packages.Package // the loaded (root) packages
	loaded  map[*types.Package]*packages.Package

	decls map[*types.Func]*funcDecl

	// Router flows (prefixes.go).
	nodes     map[nodeKey]*prefixSet
	inflows   map[nodeKey]bool
	flows     []flow
	params    map[*types.Var]*types.Func // router parameters of declared functions
	litParams map[*types.Var]bool        // router parameters of function literals

	// Handler variables: the values assigned to local variables of
	// handler type, to follow h := listItems(db); r.GET("/", h).
	handlerVars map[*types.Var][]ast.Expr

	regs     []*registration
	stmtRegs map[stmtKey][]*registration

	// authUses maps router variables to the authentication mark a Use
	// call put on them (auth.go).
	authUses map[nodeKey]string

	groups     []*dirGroup
	groupOf    map[*ast.CommentGroup]*dirGroup
	groupBelow map[stmtKey]*dirGroup // directives not on a declaration, by the statement below

	// What build found: the routes of the tables (sorted, without
	// repeats) and the write routes without a directive.
	entries []entry
	writes  []writeRoute

	diags []Diagnostic
}

// funcDecl is a function or method declared in a loaded package.
type funcDecl struct {
	decl *ast.FuncDecl
	pkg  *packages.Package
	fn   *types.Func
}

// stmtKey identifies where a statement starts, for matching it with the
// directive on the line above.
type stmtKey struct {
	file string
	line int
	col  int
}

// registration is one call that registers routes: r.GET(path, h...),
// r.Any, r.Handle(method, path, ...) or r.Match(methods, path, ...).
type registration struct {
	pkg   *packages.Package
	call  *ast.CallExpr
	sel   *ast.SelectorExpr // call.Fun
	stmt  ast.Stmt          // the statement holding the call
	encl  *types.Func       // the declared function around it, if any
	gin   string            // the Gin method: GET, Any, Handle, Match...
	any   bool              // registered with Any
	rel   string            // the path argument
	relOK bool              // whether it is a constant

	methods     []string // the HTTP methods registered; nil when unknown
	methodsExpr ast.Expr // the argument they come from (Handle, Match)
	auth        string   // an authentication mark the route passes (auth.go)

	handler ast.Expr // the last handler argument; nil when spread (h...)

	// Resolved after the walk.
	paths    []string // full paths known statically
	prefixes []string // the group prefixes they were joined with
	unknown  string   // why (some of) its paths cannot be known; "" if all are
	h        handlerRef
}

func (a *analysis) isLoaded(p *types.Package) bool { return p != nil && a.loaded[p] != nil }

// where formats a position for a message, as diagnostics name files.
func (a *analysis) where(pos token.Pos) string {
	p := a.fset.Position(pos)
	return fmt.Sprintf("%s:%d:%d", RelPath(a.cfg.PathBase, p.Filename), p.Line, p.Column)
}

func (a *analysis) errorf(pos token.Pos, format string, args ...any) {
	a.report(pos, Error, format, args...)
}

func (a *analysis) warnf(pos token.Pos, format string, args ...any) {
	a.report(pos, Warning, format, args...)
}

func (a *analysis) notef(pos token.Pos, format string, args ...any) {
	a.report(pos, Note, format, args...)
}

// fix attaches an edit that repairs the code to the last diagnostic.
func (a *analysis) fix(e *directive.Edit) {
	if e != nil && len(a.diags) > 0 {
		a.diags[len(a.diags)-1].Fix = e
	}
}

func (a *analysis) report(pos token.Pos, sev Severity, format string, args ...any) {
	a.diags = append(a.diags, Diagnostic{At: pos, Pos: a.fset.Position(pos), Severity: sev, Message: fmt.Sprintf(format, args...)})
}

// walk records declarations in a first pass (a call may precede the
// declaration it calls), then flows, registrations and directives.
func (a *analysis) walk() {
	for _, pkg := range a.pkgs {
		for _, file := range pkg.Syntax {
			for _, d := range file.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok {
					continue
				}
				fn, ok := pkg.TypesInfo.Defs[fd.Name].(*types.Func)
				if !ok {
					continue
				}
				a.decls[fn] = &funcDecl{decl: fd, pkg: pkg, fn: fn}
				sig := fn.Signature()
				for i := range sig.Params().Len() {
					if p := sig.Params().At(i); isRouter(p.Type()) {
						a.params[p] = fn
					}
				}
			}
		}
	}
	for _, pkg := range a.pkgs {
		for _, file := range pkg.Syntax {
			a.walkFile(pkg, file)
			a.collectDirectives(pkg, file)
		}
	}
}

func (a *analysis) walkFile(pkg *packages.Package, file *ast.File) {
	info := pkg.TypesInfo
	var stack []ast.Node
	ast.Inspect(file, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			sig, _ := info.TypeOf(n).(*types.Signature)
			if sig != nil {
				for i := range sig.Params().Len() {
					if p := sig.Params().At(i); isRouter(p.Type()) {
						a.litParams[p] = true
					}
				}
			}
		case *ast.AssignStmt:
			a.assign(info, n.Lhs, n.Rhs)
		case *ast.ValueSpec:
			lhs := make([]ast.Expr, len(n.Names))
			for i, id := range n.Names {
				lhs[i] = id
			}
			a.assign(info, lhs, n.Values)
		case *ast.ReturnStmt:
			a.ret(info, n, stack)
		case *ast.CompositeLit:
			a.composite(info, n)
		case *ast.CallExpr:
			a.call(pkg, n, stack)
		}
		stack = append(stack, n)
		return true
	})
}

// target returns the node an assignment's left side names, if it is a
// variable or a field.
func (a *analysis) target(info *types.Info, lhs ast.Expr) (nodeKey, *types.Var, bool) {
	switch l := ast.Unparen(lhs).(type) {
	case *ast.Ident:
		if v, ok := info.ObjectOf(l).(*types.Var); ok {
			return varKey(v), v, true
		}
	case *ast.SelectorExpr:
		if sel := info.Selections[l]; sel != nil && sel.Kind() == types.FieldVal {
			v := sel.Obj().(*types.Var)
			return varKey(v), v, true
		}
		if v, ok := info.Uses[l.Sel].(*types.Var); ok {
			return varKey(v), v, true
		}
	}
	return nodeKey{}, nil, false
}

func (a *analysis) assign(info *types.Info, lhs, rhs []ast.Expr) {
	switch {
	case len(lhs) == len(rhs):
		for i := range lhs {
			k, v, ok := a.target(info, lhs[i])
			if !ok {
				continue
			}
			switch {
			case isRouter(v.Type()):
				a.addFlow(k, info, rhs[i])
			case isHandlerType(v.Type()) && v.Parent() != nil && v.Parent() != v.Pkg().Scope():
				a.handlerVars[v] = append(a.handlerVars[v], rhs[i])
			}
		}
	case len(rhs) == 1:
		call, ok := ast.Unparen(rhs[0]).(*ast.CallExpr)
		if !ok {
			return
		}
		for i := range lhs {
			if k, v, ok := a.target(info, lhs[i]); ok && isRouter(v.Type()) {
				a.addResultFlow(k, info, call, i)
			}
		}
	}
}

// ret records what a declared function returns as a router.
func (a *analysis) ret(info *types.Info, r *ast.ReturnStmt, stack []ast.Node) {
	var fd *ast.FuncDecl
	for i := len(stack) - 1; i >= 0; i-- {
		if _, ok := stack[i].(*ast.FuncLit); ok {
			return // a literal's results are not followed
		}
		if d, ok := stack[i].(*ast.FuncDecl); ok {
			fd = d
			break
		}
	}
	if fd == nil {
		return
	}
	fn, ok := info.Defs[fd.Name].(*types.Func)
	if !ok {
		return
	}
	res := fn.Signature().Results()
	switch {
	case len(r.Results) == 0: // a bare return of named results
		for i := range res.Len() {
			if v := res.At(i); isRouter(v.Type()) {
				k := resultKey(fn, i)
				a.inflows[k] = true
				a.flows = append(a.flows, flow{k, func() prefixSet { return a.value(varKey(v)) }})
			}
		}
	case len(r.Results) == res.Len():
		for i, e := range r.Results {
			if isRouter(res.At(i).Type()) {
				a.addFlow(resultKey(fn, i), info, e)
			}
		}
	case len(r.Results) == 1:
		if call, ok := ast.Unparen(r.Results[0]).(*ast.CallExpr); ok {
			for i := range res.Len() {
				if isRouter(res.At(i).Type()) {
					a.addResultFlow(resultKey(fn, i), info, call, i)
				}
			}
		}
	}
}

// composite records router fields set in struct literals.
func (a *analysis) composite(info *types.Info, lit *ast.CompositeLit) {
	st, ok := deref(info.TypeOf(lit)).Underlying().(*types.Struct)
	if !ok {
		return
	}
	for i, el := range lit.Elts {
		var f *types.Var
		val := el
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			id, ok := kv.Key.(*ast.Ident)
			if !ok {
				continue
			}
			f, _ = info.ObjectOf(id).(*types.Var)
			val = kv.Value
		} else if i < st.NumFields() {
			f = st.Field(i)
		}
		if f != nil && isRouter(f.Type()) {
			a.addFlow(varKey(f), info, val)
		}
	}
}

// call records the flows into the parameters of a called function of the
// loaded packages, and route registrations.
func (a *analysis) call(pkg *packages.Package, call *ast.CallExpr, stack []ast.Node) {
	info := pkg.TypesInfo
	if tv, ok := info.Types[call.Fun]; ok && tv.IsType() {
		return // a conversion
	}
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	if fn == nil {
		return
	}
	if name := ginMethod(fn); name != "" {
		a.registration(pkg, call, name, stack)
		return
	}
	if !a.isLoaded(fn.Pkg()) {
		return
	}
	sig := fn.Origin().Signature()
	for i, arg := range call.Args {
		if i >= sig.Params().Len() || sig.Variadic() && i >= sig.Params().Len()-1 {
			break
		}
		if p := sig.Params().At(i); isRouter(p.Type()) {
			a.addFlow(varKey(p), info, arg)
		}
	}
}

// registration records a call of a Gin method that may register routes.
func (a *analysis) registration(pkg *packages.Package, call *ast.CallExpr, name string, stack []ast.Node) {
	info := pkg.TypesInfo
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return
	}
	r := &registration{pkg: pkg, call: call, sel: sel, gin: name}
	args := call.Args
	switch {
	case routeMethods[name] != "":
		r.methods = []string{routeMethods[name]}
	case name == "Any":
		r.methods, r.any = anyMethods, true
	case name == "Handle":
		if len(args) == 0 {
			return
		}
		r.methodsExpr = args[0]
		if m, ok := constString(info, args[0]); ok {
			r.methods = []string{m}
		}
		args = args[1:]
	case name == "Match":
		if len(args) == 0 {
			return
		}
		r.methodsExpr = args[0]
		r.methods = constStrings(info, args[0])
		args = args[1:]
	case name == "Use":
		a.markUse(info, sel, args)
		return
	default:
		return
	}
	if len(args) < 2 {
		return // no handler: Gin panics at startup, not our concern
	}
	r.auth = a.authIn(info, args[1:len(args)-1])
	r.rel, r.relOK = constString(info, args[0])
	if !call.Ellipsis.IsValid() {
		r.handler = args[len(args)-1]
	}
	for i := len(stack) - 1; i >= 0; i-- {
		if s, ok := stack[i].(ast.Stmt); ok && r.stmt == nil {
			r.stmt = s
		}
		if fd, ok := stack[i].(*ast.FuncDecl); ok {
			r.encl, _ = info.Defs[fd.Name].(*types.Func)
		}
	}
	a.regs = append(a.regs, r)
	if r.stmt != nil {
		p := a.fset.Position(r.stmt.Pos())
		k := stmtKey{p.Filename, p.Line, p.Column}
		a.stmtRegs[k] = append(a.stmtRegs[k], r)
	}
}

// constStrings returns the elements of a composite literal of string
// constants ([]string{"GET", http.MethodPost}), or nil.
func constStrings(info *types.Info, e ast.Expr) []string {
	lit, ok := ast.Unparen(e).(*ast.CompositeLit)
	if !ok {
		return nil
	}
	out := []string{}
	for _, el := range lit.Elts {
		s, ok := constString(info, el)
		if !ok {
			return nil
		}
		out = append(out, s)
	}
	return out
}

// resolve computes each registration's full paths and handler once the
// flows are solved.
func (a *analysis) resolve() {
	for _, r := range a.regs {
		info := r.pkg.TypesInfo
		if r.handler != nil {
			r.h = a.classify(info, r.handler, 0)
		}
		if !r.relOK {
			r.unknown = fmt.Sprintf("the path at %s is not a constant", a.where(r.call.Args[pathArg(r)].Pos()))
			continue
		}
		recv := a.receiver(info, r.sel)
		r.unknown = recv.unknown
		if r.auth == "" {
			r.auth = recv.auth
		}
		if recv.overflow {
			continue // no path: the handler name is all that is reliable
		}
		r.prefixes = recv.sorted()
		for _, p := range r.prefixes {
			r.paths = append(r.paths, joinPaths(p, r.rel))
		}
		if len(r.paths) == 0 && r.unknown == "" {
			r.unknown = "no router value that cachegen can follow reaches this call"
		}
	}
}

// pathArg is the index of the path argument of r's call.
func pathArg(r *registration) int {
	if r.gin == "Handle" || r.gin == "Match" {
		return 1
	}
	return 0
}
