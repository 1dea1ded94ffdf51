package main

import (
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen/internal/generator"
)

// writeBigPackage writes a package of n routes in groups of 50, spread over
// files of 100 handlers: three GETs (with directives of several keys) for
// each write (with invalidate targets), every handler annotated.
func writeBigPackage(t testing.TB, dir string, n int) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o777))
	var reg strings.Builder
	reg.WriteString("package big\n\nimport \"github.com/gin-gonic/gin\"\n\n// Register mounts the routes.\nfunc Register(r *gin.Engine) {\n")
	for g := 0; g*50 < n; g++ {
		fmt.Fprintf(&reg, "\tmount%d(r.Group(\"/g%d\"))\n", g, g)
	}
	reg.WriteString("\tr.GET(\"/reports/summary\", summary)\n}\n\nfunc summary(c *gin.Context) {}\n")
	for g := 0; g*50 < n; g++ {
		fmt.Fprintf(&reg, "\nfunc mount%d(g *gin.RouterGroup) {\n", g)
		for i := g * 50; i < min(n, (g+1)*50); i++ {
			switch i % 4 {
			case 3:
				fmt.Fprintf(&reg, "\tg.PUT(\"/r%d/:id\", h%d)\n", i-1, i)
			default:
				fmt.Fprintf(&reg, "\tg.GET(\"/r%d\", h%d)\n", i, i)
			}
		}
		reg.WriteString("}\n")
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "register.go"), []byte(reg.String()), 0o666))
	for f := 0; f*100 < n; f++ {
		var b strings.Builder
		b.WriteString("package big\n\nimport \"github.com/gin-gonic/gin\"\n")
		for i := f * 100; i < min(n, (f+1)*100); i++ {
			switch i % 4 {
			case 0:
				fmt.Fprintf(&b, "\n//cache:ttl=%d\nfunc h%d(c *gin.Context) {}\n", 60+i, i)
			case 1:
				fmt.Fprintf(&b, "\n//cache:ttl=1h stale=5m vary=user_id,header:X-Tenant query=page,limit\nfunc h%d(c *gin.Context) {}\n", i)
			case 2:
				fmt.Fprintf(&b, "\n// h%d has a doc comment.\n//\n//cache:ttl=default public\nfunc h%d(c *gin.Context) {}\n", i, i)
			case 3:
				fmt.Fprintf(&b, "\n//cache:invalidate=/reports/summary,/g%d/r%d/:id/*\nfunc h%d(c *gin.Context) {}\n", i/50, i-1, i)
			}
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("h%02d.go", f)), []byte(b.String()), 0o666))
	}
}

// BenchmarkGenerate1000Routes runs the generator on a package of 1,000
// annotated routes and reports how the time splits between loading
// packages (the go command and type checking) and cachegen's own analysis
// and rendering.
func BenchmarkGenerate1000Routes(b *testing.B) {
	mod, env := caseModule(b)
	dir := filepath.Join(mod, "big")
	writeBigPackage(b, dir, 1000)
	cfg := generator.Config{Dir: dir, Env: env}
	var load, analysis time.Duration
	var res *generator.Result
	n := 0
	for b.Loop() {
		var err error
		res, err = generator.Generate(cfg)
		require.NoError(b, err)
		load += res.Timing.Load
		analysis += res.Timing.Analysis
		n++
	}
	require.False(b, res.Failed(), "%d files, diagnostics %v", len(res.Files), res.Diagnostics)
	require.Len(b, res.Files, 1, "%d files, diagnostics %v", len(res.Files), res.Diagnostics)
	require.Len(b, res.Files[0].Table, 1000, "%d files, diagnostics %v", len(res.Files), res.Diagnostics)
	content := res.Files[0].Content
	formatted, err := format.Source(content)
	require.NoError(b, err, "the generated file is not gofmt'd (%v)", err)
	require.Equal(b, content, formatted, "the generated file is not gofmt'd (%v)", err)
	b.ReportMetric(float64(load.Milliseconds())/float64(n), "load-ms/op")
	b.ReportMetric(float64(analysis.Microseconds())/1000/float64(n), "analysis-ms/op")
}
