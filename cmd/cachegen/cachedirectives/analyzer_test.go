package cachedirectives_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen/cachedirectives"
)

// TestAnalyzer runs the analyzer on the packages of testdata/src, whose
// // want comments are the expected diagnostics; a package without any
// (current, a table that agrees with its directives) must get none. The
// quick fixes (a misspelt key, a directive gofmt left as "// cache:") are
// applied and compared with the .golden files. Gin and gincache are stubs
// there: analysistest loads testdata/src as a GOPATH, with no module
// download.
func TestAnalyzer(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, analysistest.TestData(), cachedirectives.Analyzer, "directives", "routed", "current", "lacking", "mainpkg")
}
