package generator

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
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

// load runs the one packages.Load of a run. The output file is replaced,
// through an overlay, by a stub that declares only the table variable:
// when the file does not exist yet, code that refers to the table must
// still compile, and an old table may refer to handlers renamed since,
// which must not stop the run that fixes it.
func load(cfg Config, output string) ([]*packages.Package, *token.FileSet, error) {
	fset := token.NewFileSet()
	pcfg := &packages.Config{
		Mode: loadMode,
		Dir:  cfg.Dir,
		Env:  cfg.Env,
		Fset: fset,
		ParseFile: func(fset *token.FileSet, filename string, src []byte) (*ast.File, error) {
			const mode = parser.AllErrors | parser.ParseComments | parser.SkipObjectResolution
			return parser.ParseFile(fset, filename, src, mode)
		},
	}
	if cfg.Tags != "" {
		pcfg.BuildFlags = []string{"-tags=" + cfg.Tags}
	}
	if stub := outputStub(cfg, output); stub != nil {
		pcfg.Overlay = map[string][]byte{output: stub}
	}
	pkgs, err := packages.Load(pcfg, cfg.Patterns...)
	if err != nil {
		return nil, nil, fmt.Errorf("loading %s: %w", strings.Join(cfg.Patterns, " "), err)
	}
	return pkgs, fset, nil
}

// outputStub returns the stand-in for the output file: a file of the
// package in the output's directory that declares the table variable and
// nothing else. It returns nil when that package cannot be told.
//
// The variable has its real type, gincache.Table, when gincache can be
// imported: the package imports it already (an old generated file did
// too), or the module's go.mod names gin-intelligent-cache. Otherwise the
// stub imports nothing, so that a module that does not require gincache
// yet still loads.
func outputStub(cfg Config, output string) []byte {
	name := ""
	typed := true
	if src, err := os.ReadFile(output); err == nil {
		f, err := parser.ParseFile(token.NewFileSet(), output, src, parser.PackageClauseOnly)
		if err != nil {
			return nil
		}
		name = f.Name.Name
	} else {
		ctx := build.Default
		ctx.Dir = cfg.Dir
		if cfg.Tags != "" {
			ctx.BuildTags = strings.Split(cfg.Tags, ",")
		}
		p, err := ctx.ImportDir(filepath.Dir(output), 0)
		if err != nil {
			return nil
		}
		name = p.Name
		typed = slices.Contains(p.Imports, gincachePath) || modRequires(filepath.Dir(output))
	}
	if !typed {
		return fmt.Appendf(nil, "%s\n\npackage %s\n\nvar %s struct{}\n", Header, name, cfg.Var)
	}
	return fmt.Appendf(nil, "%s\n\npackage %s\n\nimport gincache %s\n\nvar %s gincache.Table\n",
		Header, name, strconv.Quote(gincachePath), cfg.Var)
}

// modulePath is the module that provides gincache.
const modulePath = "github.com/intelligentcache/gin-intelligent-cache"

// modRequires reports whether the go.mod governing dir names the module
// of gincache (requires it, replaces it, or is it).
func modRequires(dir string) bool {
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			return bytes.Contains(data, []byte(modulePath))
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return false
		}
		dir = parent
	}
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

// loadErrors turns the errors the go command, the parser and the type
// checker reported into diagnostics. The go command compiles the packages
// too (for export data): when the parser or the type checker found
// problems, its copy of the compiler's messages, unpositioned, is dropped.
func loadErrors(pkgs []*packages.Package) []Diagnostic {
	var diags []Diagnostic
	seen := make(map[string]bool)
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		checked := false
		for _, e := range p.Errors {
			checked = checked || e.Kind == packages.ParseError || e.Kind == packages.TypeError
		}
		for _, e := range p.Errors {
			if checked && e.Kind == packages.ListError && strings.HasPrefix(e.Msg, "# ") {
				continue
			}
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
