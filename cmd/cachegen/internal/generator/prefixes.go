package generator

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/types"
	"maps"
	"slices"

	"golang.org/x/tools/go/types/typeutil"
)

// maxPrefixes bounds the prefixes one router value may have: past it the
// router is unknown (a recursive registration would otherwise grow them
// without end).
const maxPrefixes = 64

// maxRounds bounds the fixed-point iteration; sets only grow and are
// bounded, so it is a safety net, not a limit reached in practice.
const maxRounds = 1000

// prefixSet is what a router value may be: the group prefixes it can carry
// ("/" for an engine), and, when some of its values cannot be followed,
// why.
type prefixSet struct {
	paths   map[string]bool
	unknown string // why a value could not be followed; "" when all are known
	// overflow: past maxPrefixes the known prefixes are an arbitrary
	// part of an unbounded set, and routes are matched by name instead.
	overflow bool
	// auth describes an authentication mark some value of the router
	// passes (auth.go); "" when none.
	auth string
}

func knownSet(paths ...string) prefixSet {
	s := prefixSet{paths: make(map[string]bool, len(paths))}
	for _, p := range paths {
		s.paths[p] = true
	}
	return s
}

func unknownSet(format string, args ...any) prefixSet {
	return prefixSet{unknown: fmt.Sprintf(format, args...)}
}

// sorted returns the known prefixes in order.
func (s prefixSet) sorted() []string {
	return slices.Sorted(maps.Keys(s.paths))
}

// merge adds o to s and reports whether s grew.
func (s *prefixSet) merge(o prefixSet) bool {
	changed := false
	if s.unknown == "" && o.unknown != "" {
		s.unknown, changed = o.unknown, true
	}
	if o.overflow && !s.overflow {
		s.overflow, changed = true, true
	}
	if s.auth == "" && o.auth != "" {
		s.auth, changed = o.auth, true
	}
	// In order, so that which prefixes fit under the cap does not depend
	// on map iteration.
	for _, p := range o.sorted() {
		if s.paths[p] {
			continue
		}
		if len(s.paths) >= maxPrefixes {
			if !s.overflow {
				s.overflow, changed = true, true
			}
			if s.unknown == "" {
				s.unknown = fmt.Sprintf("the router may have more than %d prefixes, as a recursive registration has", maxPrefixes)
			}
			break
		}
		if s.paths == nil {
			s.paths = make(map[string]bool)
		}
		s.paths[p], changed = true, true
	}
	return changed
}

// nodeKey names a place a router value can be stored: a variable
// (including parameters and struct fields), or result idx of a function.
type nodeKey struct {
	v   *types.Var
	fn  *types.Func
	idx int
}

func varKey(v *types.Var) nodeKey { return nodeKey{v: v.Origin()} }

func resultKey(fn *types.Func, i int) nodeKey { return nodeKey{fn: fn.Origin(), idx: i} }

// flow says that the value of src may reach dst.
type flow struct {
	dst nodeKey
	src func() prefixSet
}

// addFlow records that the router expression e flows into dst.
func (a *analysis) addFlow(dst nodeKey, info *types.Info, e ast.Expr) {
	a.inflows[dst] = true
	a.flows = append(a.flows, flow{dst, func() prefixSet { return a.eval(info, e) }})
}

// addResultFlow records that result i of the function called by call flows
// into dst (a, b := f()).
func (a *analysis) addResultFlow(dst nodeKey, info *types.Info, call *ast.CallExpr, i int) {
	a.inflows[dst] = true
	a.flows = append(a.flows, flow{dst, func() prefixSet {
		fn := typeutil.StaticCallee(info, call)
		if fn == nil || !a.isLoaded(fn.Pkg()) {
			return unknownSet("the router comes from a call outside the loaded packages at %s", a.where(call.Pos()))
		}
		return a.value(resultKey(fn, i))
	}})
}

// solve iterates the flows to their fixed point.
func (a *analysis) solve() {
	for range maxRounds {
		changed := false
		for _, f := range a.flows {
			s := a.nodes[f.dst]
			if s == nil {
				s = &prefixSet{}
				a.nodes[f.dst] = s
			}
			if s.merge(f.src()) {
				changed = true
			}
		}
		if !changed {
			return
		}
	}
}

// value is the current value of a node; a node nothing flows into is
// unknown, with the reason its kind suggests.
func (a *analysis) value(k nodeKey) prefixSet {
	if !a.inflows[k] {
		switch {
		case k.fn != nil:
			return unknownSet("cachegen cannot follow the router %s returns", k.fn.Name())
		case a.litParams[k.v]:
			return unknownSet("%s is a parameter of a function literal, which cachegen does not follow", k.v.Name())
		case a.params[k.v] != nil:
			return unknownSet("%s is a parameter of %s, which no loaded package calls", k.v.Name(), a.params[k.v].Name())
		case k.v.IsField():
			return unknownSet("field %s is never set in the loaded packages", k.v.Name())
		}
		return unknownSet("cachegen cannot follow how %s is set", k.v.Name())
	}
	out := prefixSet{}
	if s := a.nodes[k]; s != nil {
		out = *s
	}
	if m := a.authUses[k]; out.auth == "" && m != "" {
		out.auth = m
	}
	return out
}

// eval returns the prefixes the router expression e may carry.
func (a *analysis) eval(info *types.Info, e ast.Expr) prefixSet {
	e = ast.Unparen(e)
	if isEngine(info.TypeOf(e)) {
		s := knownSet("/")
		s.auth = a.usedAuth(info, e)
		return s
	}
	switch e := e.(type) {
	case *ast.Ident:
		if v, ok := info.ObjectOf(e).(*types.Var); ok {
			return a.value(varKey(v))
		}
	case *ast.SelectorExpr:
		if sel := info.Selections[e]; sel != nil {
			if sel.Kind() == types.FieldVal {
				return a.fieldPath(info, e.X, sel.Index(), true)
			}
			break
		}
		// A qualified identifier: a package-level variable of another
		// loaded package.
		if v, ok := info.Uses[e.Sel].(*types.Var); ok {
			return a.value(varKey(v))
		}
	case *ast.StarExpr:
		return a.eval(info, e.X)
	case *ast.UnaryExpr:
		return a.eval(info, e.X) // &engine.RouterGroup
	case *ast.TypeAssertExpr:
		return a.eval(info, e.X)
	case *ast.CallExpr:
		return a.evalCall(info, e)
	}
	return unknownSet("cachegen cannot follow the router expression at %s", a.where(e.Pos()))
}

// evalCall evaluates a call that returns a router.
func (a *analysis) evalCall(info *types.Info, call *ast.CallExpr) prefixSet {
	if tv, ok := info.Types[call.Fun]; ok && tv.IsType() && len(call.Args) == 1 {
		return a.eval(info, call.Args[0]) // gin.IRouter(engine)
	}
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	if name := ginMethod(fn); name != "" {
		sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		if !ok {
			return unknownSet("cachegen cannot follow the router of the call at %s", a.where(call.Pos()))
		}
		recv := a.receiver(info, sel)
		switch {
		case name == "Group":
			if len(call.Args) == 0 {
				return unknownSet("Group without a path at %s", a.where(call.Pos()))
			}
			rel, ok := constString(info, call.Args[0])
			if !ok {
				return unknownSet("the Group path at %s is not a constant", a.where(call.Args[0].Pos()))
			}
			out := prefixSet{unknown: recv.unknown, overflow: recv.overflow, auth: recv.auth}
			if out.auth == "" {
				out.auth = a.authIn(info, call.Args[1:])
			}
			for p := range recv.paths {
				out.merge(knownSet(joinPaths(p, rel)))
			}
			return out
		case sameRouter[name]:
			return recv
		}
	}
	if fn != nil && a.isLoaded(fn.Pkg()) {
		return a.value(resultKey(fn, 0))
	}
	name := "a function value"
	if fn != nil {
		name = fn.FullName()
	}
	return unknownSet("the router comes from %s, outside the loaded packages (%s)", name, a.where(call.Pos()))
}

// receiver evaluates the router a method selected by sel is called on,
// following embedded fields: a struct that embeds *gin.RouterGroup
// registers on that field's value.
func (a *analysis) receiver(info *types.Info, sel *ast.SelectorExpr) prefixSet {
	s := info.Selections[sel]
	if s == nil {
		return unknownSet("cachegen cannot follow the router at %s", a.where(sel.Pos()))
	}
	return a.fieldPath(info, sel.X, s.Index(), false)
}

// fieldPath evaluates x followed by the fields at index (all of them when
// last is true, all but the final method otherwise).
func (a *analysis) fieldPath(info *types.Info, x ast.Expr, index []int, last bool) prefixSet {
	t := info.TypeOf(x)
	cur := unknownSet("cachegen cannot follow the router at %s", a.where(x.Pos()))
	if isRouter(t) {
		cur = a.eval(info, x)
	}
	if !last {
		index = index[:len(index)-1]
	}
	for _, i := range index {
		st, ok := deref(t).Underlying().(*types.Struct)
		if !ok {
			break
		}
		f := st.Field(i)
		switch {
		case f.Pkg() != nil && f.Pkg().Path() == ginPath:
			// A field of a Gin struct: Engine embeds its root RouterGroup,
			// the same router.
		case isEngine(f.Type()):
			cur = knownSet("/")
		case isRouter(f.Type()):
			cur = a.value(varKey(f))
		default:
			cur = unknownSet("cachegen cannot follow the router at %s", a.where(x.Pos()))
		}
		t = f.Type()
	}
	return cur
}

func deref(t types.Type) types.Type {
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		return p.Elem()
	}
	return t
}

// constString returns the value of e when it is a string constant.
func constString(info *types.Info, e ast.Expr) (string, bool) {
	tv, ok := info.Types[e]
	if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
		return "", false
	}
	return constant.StringVal(tv.Value), true
}
