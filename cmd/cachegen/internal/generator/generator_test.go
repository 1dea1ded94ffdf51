package generator

import (
	"go/format"
	"go/token"
	"go/types"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/cmd/cachegen/internal/textdiff"
	"github.com/intelligentcache/gin-intelligent-cache/policy"
)

// TestJoinPathsMatchesGin registers routes on real Gin groups and checks
// that joinPaths computes the paths Gin reports.
func TestJoinPathsMatchesGin(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	tests := []struct{ group, rel string }{
		{"", "/items"},
		{"/api", "/items"},
		{"/api", "items"},
		{"/api/", "/items"},
		{"/api", "items/"},
		{"/api/", ""},
		{"/api", ""},
		{"/api", "/"},
		{"api", "/x"},
		{"/a/../b", "/c"},
		{"/a", "./c"},
		{"/a", "/:id/*rest"},
	}
	for _, tt := range tests {
		r := gin.New()
		var g gin.IRoutes = r
		prefix := "/"
		if tt.group != "" {
			g = r.Group(tt.group)
			prefix = joinPaths("/", tt.group)
		}
		g.GET(tt.rel, func(*gin.Context) {})
		want := r.Routes()[0].Path
		got := joinPaths(prefix, tt.rel)
		assert.Equal(t, want, got, "group %q + %q: joinPaths gives %q, Gin", tt.group, tt.rel, got)
	}
}

func TestPathToPrefix(t *testing.T) {
	tests := map[string]string{
		"example.com/app":          "example.com/app",
		"gopkg.in/yaml.v3":         "gopkg.in/yaml%2ev3",
		"example.com/a.b/c.d":      "example.com/a.b/c%2ed",
		"example.com/100%/x":       "example.com/100%25/x",
		"example.com/sp ace":       "example.com/sp%20ace",
		"example.com/caf\u00e9":    "example.com/caf%c3%a9",
		"example.com/q\"uote/last": "example.com/q%22uote/last",
	}
	for in, want := range tests {
		got := pathToPrefix(in)
		assert.Equal(t, want, got, "pathToPrefix(%q)", in)
	}
}

func TestParsePos(t *testing.T) {
	tests := map[string]token.Position{
		"":                 {},
		"-":                {},
		"/a/b.go":          {Filename: "/a/b.go"},
		"/a/b.go:12":       {Filename: "/a/b.go", Line: 12},
		"/a/b.go:12:7":     {Filename: "/a/b.go", Line: 12, Column: 7},
		"C:/w/b.go:3:4":    {Filename: "C:/w/b.go", Line: 3, Column: 4},
		"/a/with:colon.go": {Filename: "/a/with:colon.go"},
	}
	for in, want := range tests {
		got := parsePos(in)
		assert.Equal(t, want, got, "parsePos(%q)", in)
	}
}

func TestDiagnosticFormat(t *testing.T) {
	pos := token.Position{Filename: "/w/app/main.go", Line: 3, Column: 9}
	tests := []struct {
		d    Diagnostic
		dir  string
		want string
	}{
		{Diagnostic{Pos: pos, Message: "bad"}, "/w/app", "main.go:3:9: bad"},
		{Diagnostic{Pos: pos, Severity: Warning, Message: "hm"}, "/w", "app/main.go:3:9: warning: hm"},
		{Diagnostic{Pos: pos, Severity: Note, Message: "fyi"}, "/elsewhere", "/w/app/main.go:3:9: note: fyi"},
		{Diagnostic{Pos: token.Position{Filename: "/w/x.go", Line: 2}, Message: "m"}, "", "/w/x.go:2: m"},
		{Diagnostic{Severity: Warning, Message: "empty"}, "/w", "cachegen: warning: empty"},
	}
	for _, tt := range tests {
		got := tt.d.Format(tt.dir)
		assert.Equal(t, tt.want, got, "Format(%q)", tt.dir)
	}
}

func TestDurationExpr(t *testing.T) {
	tests := map[time.Duration]string{
		time.Hour:               "time.Hour",
		90 * time.Minute:        "90 * time.Minute",
		3 * time.Hour:           "3 * time.Hour",
		61 * time.Second:        "61 * time.Second",
		250 * time.Millisecond:  "250 * time.Millisecond",
		1500 * time.Microsecond: "1500 * time.Microsecond",
		time.Duration(1000001):  "time.Duration(1000001)",
	}
	for d, want := range tests {
		got := durationExpr(d, "time")
		assert.Equal(t, want, got, "durationExpr(%v)", d)
	}
	got := durationExpr(time.Minute, "time2")
	assert.Equal(t, "time2.Minute", got, "with an alias")
}

func TestHasParam(t *testing.T) {
	for _, tt := range []struct {
		path, name string
		want       bool
	}{
		{"/a/:id", "id", true},
		{"/a/:id/b", "id", true},
		{"/files/*rest", "rest", true},
		{"/a/:idx", "id", false},
		{"/a/id", "id", false},
	} {
		got := hasParam(tt.path, tt.name)
		assert.Equal(t, tt.want, got, "hasParam(%q, %q)", tt.path, tt.name)
	}
	assert.True(t, strings.HasPrefix(Header, "// Code generated "), "Header %q is not recognised by go/ast.IsGenerated", Header)
	assert.True(t, strings.HasSuffix(Header, " DO NOT EDIT."), "Header %q is not recognised by go/ast.IsGenerated", Header)
}

// TestRenderIsFormatted checks that render's output is what gofmt would
// make of it, for a table using every field and imports that need
// aliases.
func TestRenderIsFormatted(t *testing.T) {
	out := types.NewPackage("example.com/app", "app")
	// A package-level name that collides with an import's name.
	out.Scope().Insert(types.NewVar(token.NoPos, out, "handlers", types.Typ[types.Int]))
	table := policy.Table{
		{Method: "GET", Handler: "example.com/app.h"},
		{Method: "GET", Path: "/a", Handler: "example.com/app.(*T).M-fm", Policy: policy.Policy{
			TTL: 90 * time.Minute, Stale: time.Second, Vary: []string{"user_id", "header:X-A"}, Public: true, Query: []string{},
		}},
		{Method: "PUT", Path: "/a/:id", Policy: policy.Policy{Invalidate: []string{"/b", "/a/:id/*"}, NoInvalidate: true}},
		{Method: "POST", Path: `/q"uote\`, Policy: policy.Policy{NoInvalidate: true}},
	}
	refs := []ref{
		{expr: "h"},
		{expr: "(*T).M"},
		{path: "example.com/app/handlers", name: "handlers", expr: "(*Items).Show"},
		{path: "example.com/other/handlers", name: "handlers", expr: "List"},
		{path: "example.com/web.v1", name: "web", expr: "Index"},
		{path: "example.com/a/z", name: "z", expr: "Z"},
	}
	src, err := render(out, "Policies", table, refs, false)
	require.NoError(t, err)
	formatted, err := format.Source(src)
	require.NoError(t, err, "%v\n%s", err, src)
	d := textdiff.Unified("rendered", "gofmt", string(src), string(formatted))
	assert.Empty(t, d, "render's output is not gofmt'd:\n%s", d)
	for _, want := range []string{
		"\thandlers2 \"example.com/app/handlers\"\n",
		"\thandlers3 \"example.com/other/handlers\"\n",
		"\tweb \"example.com/web.v1\"\n",
		"\t_ = (*handlers2.Items).Show\n",
		"\t_ = handlers3.List\n",
		"{Method: \"GET\", Path: \"/a\", Handler: \"example.com/app.(*T).M-fm\", Policy: gincache.Policy{TTL: 90 * time.Minute, Stale: time.Second, Vary: []string{\"user_id\", \"header:X-A\"}, Public: true, Query: []string{}}},",
	} {
		assert.Contains(t, string(src), want, "output lacks %q:\n%s", want, src)
	}
}
