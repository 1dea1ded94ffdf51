package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkCachegen times the cachegen binary, as go generate runs it, on
// the repository's examples (with -check, which writes nothing: the
// committed tables must be current), on the whole module from its root as
// CI runs it (-check ./...), and on a generated package of 1,000
// annotated routes. Besides ns/op (the whole run, the go command's
// package loading included) it reports load-ms and analysis-ms, the split
// cachegen prints with -v.
func BenchmarkCachegen(b *testing.B) {
	root, err := filepath.Abs("..")
	require.NoError(b, err)
	bin := filepath.Join(b.TempDir(), "cachegen")
	build := exec.Command("go", "build", "-o", bin, "./cmd/cachegen")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(b, err, "go build ./cmd/cachegen:\n%s", out)
	for _, ex := range []struct{ name, dir, args string }{
		{"quickstart", "internal/quickstart", "-check . ../../example/basic"},
		{"auth", "example/auth", "-check"},
		{"varybyuser", "example/varybyuser", "-check"},
	} {
		dir := filepath.Join(root, ex.dir)
		b.Run("pkg=example-"+ex.name, func(b *testing.B) {
			runCachegen(b, bin, dir, nil, strings.Fields(ex.args), -1)
		})
	}
	// What CI runs: every table of the module checked from its root.
	b.Run("pkg=module-check-all", func(b *testing.B) {
		runCachegen(b, bin, root, nil, []string{"-check", "./..."}, -1)
	})
	const routes = 1000
	mod := bigModule(b, root, routes)
	b.Run(fmt.Sprintf("pkg=generated-%d-routes", routes), func(b *testing.B) {
		runCachegen(b, bin, filepath.Join(mod, "big"), moduleEnv(), nil, routes)
	})
}

var timingLine = regexp.MustCompile(`(\d+) route registrations: load (\S+), analysis (\S+)`)

// runCachegen runs bin -v args in dir b.N times; routes >= 0 is the
// table's length, and the least number of route registrations it must
// report.
func runCachegen(b *testing.B, bin, dir string, env, args []string, routes int) {
	var load, analysis time.Duration
	for b.Loop() {
		cmd := exec.Command(bin, append([]string{"-v"}, args...)...)
		cmd.Dir, cmd.Env = dir, env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		require.NoError(b, err, "cachegen %v in %s:\n%s", args, dir, stderr.Bytes())
		m := timingLine.FindStringSubmatch(stderr.String())
		require.NotNil(b, m, "no timing line in cachegen -v's output:\n%s", stderr.Bytes())
		l, err1 := time.ParseDuration(m[2])
		a, err2 := time.ParseDuration(m[3])
		require.NoError(b, err1, "timing line %q", m[0])
		require.NoError(b, err2, "timing line %q", m[0])
		load += l
		analysis += a
		if routes >= 0 {
			n, _ := strconv.Atoi(m[1])
			require.GreaterOrEqual(b, n, routes, "route registrations cachegen found")
		}
	}
	if routes >= 0 {
		gen, err := os.ReadFile(filepath.Join(dir, "cache_policies_gen.go"))
		require.NoError(b, err)
		n := bytes.Count(gen, []byte("{Method: "))
		require.Equal(b, routes, n, "routes in the generated table")
	}
	b.ReportMetric(float64(load.Microseconds())/1e3/float64(b.N), "load-ms")
	b.ReportMetric(float64(analysis.Microseconds())/1e3/float64(b.N), "analysis-ms")
}

// moduleEnv is the environment of the go command in the generated module:
// the process's own (its GOPROXY, GOMODCACHE, GOCACHE and GOFLAGS such as
// -modcacherw), so that the module is tidied through the module proxy
// and the benchmark runs on an empty module cache; outside any workspace,
// and without a -mod flag the module could not honour.
func moduleEnv() []string {
	env := append(os.Environ(), "GOWORK=off")
	if flags := os.Getenv("GOFLAGS"); flags != "" {
		var kept []string
		for _, f := range strings.Fields(flags) {
			if !strings.HasPrefix(f, "-mod=") {
				kept = append(kept, f)
			}
		}
		env = append(env, "GOFLAGS="+strings.Join(kept, " "))
	}
	return env
}

// bigModule writes a module holding package big with n annotated routes
// in groups of 50 and files of 100 handlers, three GETs with directives
// of different shapes for each PUT with invalidate targets, and returns
// its directory.
func bigModule(b *testing.B, root string, n int) string {
	mod := b.TempDir()
	write := func(name, content string) {
		path := filepath.Join(mod, name)
		require.NoError(b, os.MkdirAll(filepath.Dir(path), 0o777))
		require.NoError(b, os.WriteFile(path, []byte(content), 0o666))
	}
	write("go.mod", fmt.Sprintf(`module example.com/big

go 1.26

require (
	github.com/gin-gonic/gin v1.12.0
	github.com/intelligentcache/gin-intelligent-cache v0.0.0-00010101000000-000000000000
)

replace github.com/intelligentcache/gin-intelligent-cache => %s
`, root))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(b, err)
	write("go.sum", string(sum))
	// The generated table imports gincache: keep it a dependency.
	write("deps.go", "// Package deps keeps the module's dependencies.\npackage deps\n\nimport _ \"github.com/intelligentcache/gin-intelligent-cache/gincache\"\n")

	var reg strings.Builder
	reg.WriteString("package big\n\nimport \"github.com/gin-gonic/gin\"\n\n// Register mounts the routes.\nfunc Register(r *gin.Engine) {\n")
	for g := 0; g*50 < n; g++ {
		fmt.Fprintf(&reg, "\tmount%d(r.Group(\"/g%d\"))\n", g, g)
	}
	reg.WriteString("\tr.GET(\"/reports/summary\", summary)\n}\n\nfunc summary(c *gin.Context) {}\n")
	for g := 0; g*50 < n; g++ {
		fmt.Fprintf(&reg, "\nfunc mount%d(g *gin.RouterGroup) {\n", g)
		for i := g * 50; i < min(n, (g+1)*50); i++ {
			if i%4 == 3 {
				fmt.Fprintf(&reg, "\tg.PUT(\"/r%d/:id\", h%d)\n", i-1, i)
			} else {
				fmt.Fprintf(&reg, "\tg.GET(\"/r%d\", h%d)\n", i, i)
			}
		}
		reg.WriteString("}\n")
	}
	write("big/register.go", reg.String())
	for f := 0; f*100 < n; f++ {
		var src strings.Builder
		src.WriteString("package big\n\nimport \"github.com/gin-gonic/gin\"\n")
		for i := f * 100; i < min(n, (f+1)*100); i++ {
			switch i % 4 {
			case 0:
				fmt.Fprintf(&src, "\n//cache:ttl=%d\nfunc h%d(c *gin.Context) {}\n", 60+i, i)
			case 1:
				fmt.Fprintf(&src, "\n//cache:ttl=1h stale=5m vary=user_id,header:X-Tenant query=page,limit\nfunc h%d(c *gin.Context) {}\n", i)
			case 2:
				fmt.Fprintf(&src, "\n// h%d has a doc comment.\n//\n//cache:ttl=10m public\nfunc h%d(c *gin.Context) {}\n", i, i)
			case 3:
				fmt.Fprintf(&src, "\n//cache:invalidate=/reports/summary,/g%d/r%d/:id/*\nfunc h%d(c *gin.Context) {}\n", i/50, i-1, i)
			}
		}
		write(fmt.Sprintf("big/h%02d.go", f), src.String())
	}
	// The checkout's go.sum, copied in above, holds most checksums; tidy
	// downloads and verifies the rest through the proxy.
	tidy := exec.Command("go", "mod", "tidy")
	tidy.Dir, tidy.Env = mod, moduleEnv()
	out, err := tidy.CombinedOutput()
	require.NoError(b, err, "go mod tidy:\n%s", out)
	return mod
}
