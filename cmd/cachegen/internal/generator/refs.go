package generator

import (
	"fmt"
	"go/types"
	"slices"
	"strings"
)

// ref is a function the generated file refers to in its func _() block,
// so that renaming or deleting it breaks the build until go generate runs
// again.
type ref struct {
	path string // import path; "" for the output package itself
	name string // package name, the default alias
	expr string // F, (*T).M or T.M, unqualified
}

// qualified renders the reference with the alias of its package.
func (r ref) qualified(alias string) string {
	if r.path == "" {
		return r.expr
	}
	switch {
	case strings.HasPrefix(r.expr, "(*"):
		return "(*" + alias + "." + r.expr[2:]
	default:
		return alias + "." + r.expr
	}
}

// refs returns the references for every directive that produced routes:
// the annotated handler or factory, or for a function literal the function
// that registers it. When that cannot be referred to from the output
// package, the registering function stands in; when nothing can, a warning
// says the build will not catch a rename.
func (a *analysis) refs(out *types.Package, used map[*dirGroup]bool) []ref {
	var refs []ref
	seen := make(map[ref]bool)
	for _, g := range a.groups {
		if !used[g] {
			continue
		}
		var candidates []*types.Func
		if g.decl != nil {
			candidates = append(candidates, g.decl.fn)
		}
		for _, r := range g.regs {
			if r.encl != nil && !slices.Contains(candidates, r.encl) {
				candidates = append(candidates, r.encl)
			}
		}
		var why string
		found := false
		for i, fn := range candidates {
			r, reason := refTo(fn, out)
			if reason != "" {
				if i == 0 {
					why = reason
				}
				continue
			}
			found = true
			if !seen[r] {
				seen[r] = true
				refs = append(refs, r)
			}
			break
		}
		if !found {
			what := "the function that registers the function literal"
			if len(candidates) > 0 {
				what = candidates[0].Name()
			}
			if why == "" {
				why = "it is not registered inside a declared function"
			}
			a.warnf(g.d.Pos, "the generated table cannot refer to %s (%s), so renaming it will not break the build: rerun go generate after renaming handlers", what, why)
		}
	}
	return refs
}

// refTo returns a reference to fn from package out, or why there cannot be
// one.
func refTo(fn *types.Func, out *types.Package) (ref, string) {
	if isGeneric(fn) {
		return ref{}, "it is generic"
	}
	if fn.Name() == "init" && fn.Signature().Recv() == nil {
		return ref{}, "an init function cannot be referred to"
	}
	expr := fn.Name()
	recv := fn.Signature().Recv()
	if recv != nil {
		expr = recvPart(fn) + "." + fn.Name()
	}
	p := fn.Pkg()
	if p == out {
		return ref{expr: expr}, ""
	}
	if p.Name() == "main" {
		return ref{}, "it is in a main package"
	}
	if !fn.Exported() {
		return ref{}, fmt.Sprintf("it is not exported from %s", p.Path())
	}
	if recv != nil {
		if n, ok := types.Unalias(deref(recv.Type())).(*types.Named); !ok || !n.Obj().Exported() {
			return ref{}, fmt.Sprintf("its receiver type is not exported from %s", p.Path())
		}
	}
	if !imports(out, p) {
		return ref{}, fmt.Sprintf("package %s does not import %s, and importing it could make a cycle", out.Path(), p.Path())
	}
	return ref{path: p.Path(), name: p.Name(), expr: expr}, ""
}

// imports reports whether from imports p, directly or not.
func imports(from, p *types.Package) bool {
	seen := make(map[*types.Package]bool)
	var visit func(*types.Package) bool
	visit = func(q *types.Package) bool {
		if q == p {
			return true
		}
		if seen[q] {
			return false
		}
		seen[q] = true
		return slices.ContainsFunc(q.Imports(), visit)
	}
	return slices.ContainsFunc(from.Imports(), visit)
}
