package generator

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"
)

// gincachePath is the import path of the package that defines the table.
const gincachePath = "github.com/intelligentcache/gin-intelligent-cache/gincache"

// loadMode is all one load asks for. Dependencies come from export data
// (no NeedDeps): only the loaded packages are parsed and type-checked
// from source, which keeps a run close to the cost of go list.
const loadMode = packages.NeedName | packages.NeedFiles | packages.NeedImports |
	packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo

// load runs the one packages.Load of a run. A file at output that cachegen
// generated is replaced by a stub declaring only the table variable: the
// old table may refer to handlers that were renamed since, and that must
// not stop the run that fixes it.
func load(cfg Config, output string) ([]*packages.Package, *token.FileSet, error) {
	fset := token.NewFileSet()
	pcfg := &packages.Config{
		Mode: loadMode,
		Dir:  cfg.Dir,
		Env:  cfg.Env,
		Fset: fset,
		ParseFile: func(fset *token.FileSet, filename string, src []byte) (*ast.File, error) {
			const mode = parser.AllErrors | parser.ParseComments | parser.SkipObjectResolution
			if samePath(filename, output) && isGenerated(src) {
				if stub, ok := stubFor(src, cfg.Var); ok {
					src = stub
				}
			}
			return parser.ParseFile(fset, filename, src, mode)
		},
	}
	if cfg.Tags != "" {
		pcfg.BuildFlags = []string{"-tags=" + cfg.Tags}
	}
	pkgs, err := packages.Load(pcfg, cfg.Patterns...)
	if err != nil {
		return nil, nil, fmt.Errorf("loading %s: %w", strings.Join(cfg.Patterns, " "), err)
	}
	return pkgs, fset, nil
}

// samePath compares two file names, resolving symbolic links only when
// the plain comparison fails on the same base name.
func samePath(a, b string) bool {
	if a == b {
		return true
	}
	if filepath.Base(a) != filepath.Base(b) {
		return false
	}
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}

// isGenerated reports whether src starts with cachegen's header.
func isGenerated(src []byte) bool {
	return bytes.HasPrefix(src, []byte(Header+"\n")) || bytes.HasPrefix(src, []byte(Header+"\r\n"))
}

// stubFor returns a file in the same package as src that declares the table
// variable and nothing else.
func stubFor(src []byte, varName string) ([]byte, bool) {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.PackageClauseOnly)
	if err != nil {
		return nil, false
	}
	return fmt.Appendf(nil, "%s\n\npackage %s\n\nimport gincache %s\n\nvar %s gincache.Table\n",
		Header, f.Name.Name, strconv.Quote(gincachePath), varName), true
}

// loadErrors turns the errors the go command, the parser and the type
// checker reported into diagnostics.
func loadErrors(pkgs []*packages.Package) []Diagnostic {
	var diags []Diagnostic
	seen := make(map[string]bool)
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		for _, e := range p.Errors {
			key := e.Pos + "\x00" + e.Msg
			if seen[key] {
				continue
			}
			seen[key] = true
			diags = append(diags, Diagnostic{Pos: parsePos(e.Pos), Severity: Error, Message: e.Msg})
		}
	})
	return diags
}

// parsePos parses the "file:line:col" (or "file:line", or "file") form of
// packages.Error.Pos.
func parsePos(s string) token.Position {
	if s == "" || s == "-" {
		return token.Position{}
	}
	var pos token.Position
	rest := s
	var nums []int
	for range 2 {
		i := strings.LastIndexByte(rest, ':')
		if i < 0 {
			break
		}
		n, err := strconv.Atoi(rest[i+1:])
		if err != nil {
			break
		}
		nums = append([]int{n}, nums...)
		rest = rest[:i]
	}
	pos.Filename = rest
	if len(nums) > 0 {
		pos.Line = nums[0]
	}
	if len(nums) > 1 {
		pos.Column = nums[1]
	}
	return pos
}
