package generator

import (
	"go/ast"
	"go/types"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen/internal/directive"
)

// dirGroup is a comment group holding a //cache: directive.
type dirGroup struct {
	cg     *ast.CommentGroup
	pkg    *packages.Package
	d      *directive.Directive
	broken bool      // it has syntax errors, already reported
	decl   *funcDecl // the function whose doc comment it is, if any
	below  stmtKey   // where a statement it annotates would start
	regs   []*registration
}

// collectDirectives parses every //cache: comment group of a file. The
// lines are read from CommentGroup.List: CommentGroup.Text drops
// directive-shaped lines.
func (a *analysis) collectDirectives(pkg *packages.Package, file *ast.File) {
	docs := make(map[*ast.CommentGroup]*funcDecl)
	for _, d := range file.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Doc != nil {
			if fn, ok := pkg.TypesInfo.Defs[fd.Name].(*types.Func); ok {
				docs[fd.Doc] = a.decls[fn]
			}
		}
	}
	for _, cg := range file.Comments {
		var lines []directive.Comment
		found := false
		for _, c := range cg.List {
			if directive.IsDirective(c.Text) {
				found = true
			} else if directive.LooksMistyped(c.Text) {
				a.warnf(c.Pos(), "%q is not a directive and is ignored: write //cache: with no space after // and a key right after the colon (gofmt inserts the space otherwise)", c.Text)
				items := strings.TrimLeft(strings.TrimPrefix(strings.TrimLeft(c.Text[2:], " \t"), "cache:"), " \t")
				a.fix(&directive.Edit{Pos: c.Pos(), End: c.End(), New: directive.Prefix + items})
			}
			lines = append(lines, directive.Comment{Text: c.Text, Pos: c.Slash})
		}
		if !found {
			continue
		}
		d, errs := directive.Parse(lines)
		for _, e := range errs {
			a.errorf(e.Pos, "%s", e.Msg)
			a.fix(e.Fix)
		}
		first := a.fset.Position(d.Pos)
		last := a.fset.Position(cg.End())
		g := &dirGroup{
			cg:     cg,
			pkg:    pkg,
			d:      d,
			broken: len(errs) > 0,
			decl:   docs[cg],
			below:  stmtKey{first.Filename, last.Line + 1, a.fset.Position(cg.Pos()).Column},
		}
		a.groups = append(a.groups, g)
		a.groupOf[cg] = g
		if g.decl == nil {
			a.groupBelow[g.below] = g
		}
	}
}

// groupFor returns the directive that applies to a registration: the doc
// comment of its handler (function, method or factory), or for a function
// literal the comment on the line above the registering statement.
func (a *analysis) groupFor(r *registration) *dirGroup {
	switch r.h.kind {
	case hFunc, hMethod, hFactory:
		if d := a.decls[r.h.fn]; d != nil && d.decl.Doc != nil && a.groupOf[d.decl.Doc] != nil {
			return a.groupOf[d.decl.Doc]
		}
		// A wrapper without a directive: the wrapped handler's applies.
		for in := r.h.inner; in != nil; in = in.inner {
			if d := a.decls[in.fn]; d != nil && d.decl.Doc != nil && a.groupOf[d.decl.Doc] != nil {
				return a.groupOf[d.decl.Doc]
			}
		}
	case hLiteral:
		if r.stmt == nil {
			return nil
		}
		p := a.fset.Position(r.stmt.Pos())
		return a.groupBelow[stmtKey{p.Filename, p.Line, p.Column}]
	}
	return nil
}

// registeredHereOnly reports whether only the loaded packages can register
// fn. A partial analysis sees one package: another may still register its
// exported handlers, unless it is a main package.
func (a *analysis) registeredHereOnly(fn *types.Func) bool {
	return !a.partial || fn.Pkg().Name() == "main" || !fn.Exported()
}

// checkAttachment reports the directives that apply to nothing.
func (a *analysis) checkAttachment() {
	for _, g := range a.groups {
		if g.decl != nil {
			sig := g.decl.fn.Signature()
			name := g.decl.fn.Name()
			if sig.Recv() != nil {
				name = recvPart(g.decl.fn) + "." + name
			}
			switch {
			case !isHandlerSig(sig) && !isFactorySig(sig):
				a.errorf(g.d.Pos, "//cache: directive on %s, which is neither a handler (func(*gin.Context)) nor a handler factory (returning gin.HandlerFunc)", name)
			case len(g.regs) == 0 && a.registeredHereOnly(g.decl.fn):
				a.errorf(g.d.Pos, "%s has a //cache: directive but no route of the loaded packages registers it (cachegen finds routes registered on *gin.Engine, *gin.RouterGroup, gin.IRoutes and gin.IRouter, with the handler as the last argument)", name)
			}
			continue
		}
		if len(g.regs) > 0 {
			continue
		}
		if regs := a.stmtRegs[g.below]; len(regs) > 0 {
			switch h := regs[0].h; h.kind {
			case hFunc, hMethod, hFactory:
				a.errorf(g.d.Pos, "a //cache: directive above a route applies to a function literal handler: put it in the doc comment of %s", h.label())
			default:
				a.errorf(g.d.Pos, "cachegen cannot follow the handler of the route below this //cache: directive: register a function literal, a named handler or a factory call")
			}
			continue
		}
		a.errorf(g.d.Pos, "//cache: directive is not attached to a handler: put it in the doc comment of a handler or a handler factory, or on the line above a route registered with a function literal")
	}
}
