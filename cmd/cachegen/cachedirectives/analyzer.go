package cachedirectives

import (
	"path/filepath"

	"golang.org/x/tools/go/analysis"

	"github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen/internal/generator"
)

// Analyzer reports mistakes in //cache: directives and stale generated
// tables. See the package documentation.
var Analyzer = &analysis.Analyzer{
	Name: "cachedirectives",
	Doc:  "check //cache: directives and generated cache policy tables\n\nThe analyzer runs cachegen's checks on each package: malformed directives, unknown keys, values out of range, keys on the wrong kind of route, directives on functions no route registers, and generated tables that go generate has not refreshed.",
	URL:  "https://pkg.go.dev/github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen/cachedirectives",
	Run:  run,
}

func run(pass *analysis.Pass) (any, error) {
	if len(pass.Files) == 0 {
		return nil, nil
	}
	// Positions inside messages ("registered for PUT /items at
	// api.go:12:2") name files relative to the package's directory.
	base := filepath.Dir(pass.Fset.Position(pass.Files[0].Pos()).Filename)
	for _, d := range generator.Check(pass.Fset, pass.Files, pass.Pkg, pass.TypesInfo, base) {
		if d.Severity == generator.Note || !d.At.IsValid() {
			continue // notes explain; an editor has no room for them
		}
		category := "error"
		if d.Severity == generator.Warning {
			category = "warning"
		}
		diag := analysis.Diagnostic{Pos: d.At, Category: category, Message: d.Message}
		if f := d.Fix; f != nil {
			diag.SuggestedFixes = []analysis.SuggestedFix{{
				Message:   fixMessage(f.New),
				TextEdits: []analysis.TextEdit{{Pos: f.Pos, End: f.End, NewText: []byte(f.New)}},
			}}
		}
		pass.Report(diag)
	}
	return nil, nil
}

func fixMessage(replacement string) string {
	if replacement == "" {
		return "Remove the space"
	}
	return "Replace with " + replacement
}
