package explain

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/policy"
)

func get(path string) policy.Route {
	return policy.Route{Method: "GET", Path: path, Policy: policy.Policy{TTL: time.Minute}}
}

// invalidated returns, for one write, the paths of the cached routes it
// invalidates with their reasons.
func invalidated(w policy.Route, gets ...string) map[string]string {
	var table policy.Table
	for _, g := range gets {
		table = append(table, get(g))
	}
	m := Map(table, []policy.Route{w})
	out := make(map[string]string)
	for _, h := range m[0].Hits {
		out[h.Route.Path] = strings.Join(h.Reasons, "; ")
	}
	return out
}

var tree = []string{"/", "/a", "/a/b", "/a/b/c", "/a/b/c/d", "/a/x", "/a/:id", "/z"}

func TestPutRenewsSubtreeAndAncestorLists(t *testing.T) {
	for _, m := range []string{"PUT", "PATCH", "DELETE"} {
		got := invalidated(policy.Route{Method: m, Path: "/a/b"}, tree...)
		want := map[string]string{
			"/":        "ancestor list /",
			"/a":       "ancestor list /a",
			"/a/b":     "subtree of /a/b",
			"/a/b/c":   "subtree of /a/b",
			"/a/b/c/d": "subtree of /a/b",
			// /a/:id may be /a/b: over-invalidation is safe.
			"/a/:id": "subtree of /a/b",
		}
		assert.Equal(t, want, got, "%s /a/b:\ngot  %v\nwant", m, got)
	}
}

func TestPostRenewsOwnResponsesOnly(t *testing.T) {
	got := invalidated(policy.Route{Method: "POST", Path: "/a/b"}, tree...)
	want := map[string]string{
		"/":      "ancestor list /",
		"/a":     "ancestor list /a",
		"/a/b":   "own responses of /a/b",
		"/a/:id": "own responses of /a/b",
	}
	assert.Equal(t, want, got, "POST /a/b:\ngot  %v\nwant", got)
}

func TestOffAndExplicitTargets(t *testing.T) {
	w := policy.Route{Method: "DELETE", Path: "/a/b/c", Policy: policy.Policy{
		NoInvalidate: true,
		Invalidate:   []string{"/z", "/a/x/*", "/a/:id"},
	}}
	got := invalidated(w, tree...)
	want := map[string]string{
		"/z":   "explicit target /z",
		"/a/x": "explicit target /a/x/*; explicit target /a/:id",
		"/a/b": "explicit target /a/:id",
		// /a/:id may be /a/x.
		"/a/:id": "explicit target /a/x/*; explicit target /a/:id",
	}
	assert.Equal(t, want, got, "off with targets:\ngot  %v\nwant", got)
	got = invalidated(policy.Route{Method: "PUT", Path: "/q", Policy: policy.Policy{Invalidate: []string{"/*"}}}, "/", "/a")
	assert.Equal(t, map[string]string{
		"/":  "ancestor list /; explicit target /*",
		"/a": "explicit target /*",
	}, got, "target /*")
}

func TestCatchAll(t *testing.T) {
	got := invalidated(policy.Route{Method: "PUT", Path: "/files/*path"}, "/", "/files", "/files/a/b", "/other")
	want := map[string]string{
		"/": "ancestor list /",
		// The catch-all may be empty (/files/) or one segment (/files/a,
		// whose ancestor is /files).
		"/files":     "subtree of /files/*path; ancestor list /files",
		"/files/a/b": "subtree of /files/*path",
	}
	assert.Equal(t, want, got, "PUT /files/*path:\ngot  %v\nwant", got)
	got = invalidated(policy.Route{Method: "POST", Path: "/files/x"}, "/files/*path")
	assert.NotEmpty(t, got["/files/*path"], "POST /files/x does not reach GET /files/*path: %v", got)
}

func TestUnknownPaths(t *testing.T) {
	table := policy.Table{get("/a"), {Method: "GET", Handler: "pkg.h", Policy: policy.Policy{TTL: time.Second}}}
	m := Map(table, []policy.Route{{Method: "PUT", Handler: "pkg.w"}, {Method: "PUT", Path: "/a"}})
	require.Len(t, m, 2, "unknown write path: %+v", m)
	require.Empty(t, m[0].Route.Path, "unknown write path: %+v", m)
	require.Empty(t, m[0].Hits, "unknown write path: %+v", m)
	require.Len(t, m[1].Hits, 1, "a GET of unknown path was matched: %+v", m[1].Hits)
	assert.Equal(t, "/a", m[1].Hits[0].Route.Path, "a GET of unknown path was matched: %+v", m[1].Hits)
}

func TestMapOrder(t *testing.T) {
	table := policy.Table{
		get("/a"),
		{Method: "PUT", Path: "/a", Handler: "h2", Policy: policy.Policy{NoInvalidate: true}},
		{Method: "POST", Path: "/c", Handler: "h3", Policy: policy.Policy{NoInvalidate: true}},
	}
	writes := []policy.Route{{Method: "DELETE", Path: "/a"}, {Method: "POST", Path: "/b"}}
	var got []string
	for _, w := range Map(table, writes) {
		got = append(got, w.Route.Method+" "+w.Route.Path)
	}
	want := []string{"DELETE /a", "PUT /a", "POST /b", "POST /c"}
	assert.Equal(t, want, got, "order")
}

func TestSummary(t *testing.T) {
	tests := []struct {
		r    policy.Route
		want string
	}{
		{policy.Route{Method: "GET"}, "ttl=default"},
		{policy.Route{Method: "GET", Policy: policy.Policy{TTL: 90 * time.Minute, Stale: 30 * time.Second, Vary: []string{"a", "header:B"}, Public: true, Query: []string{}}}, "ttl=1h30m stale=30s vary=a,header:B public query="},
		{policy.Route{Method: "GET", Policy: policy.Policy{TTL: time.Minute, Vary: []string{"cookie:lang"}, Identity: []string{"user_id"}}}, "ttl=1m vary=cookie:lang identity=user_id"},
		{policy.Route{Method: "GET", Policy: policy.Policy{TTL: 2 * time.Hour, Query: []string{"p", "q"}}}, "ttl=2h query=p,q"},
		{policy.Route{Method: "POST"}, ""},
		{policy.Route{Method: "PUT", Policy: policy.Policy{NoInvalidate: true, Invalidate: []string{"/a", "/b/*"}}}, "off invalidate=/a,/b/*"},
	}
	for _, tt := range tests {
		got := Summary(tt.r)
		assert.Equal(t, tt.want, got, "Summary(%+v)", tt.r)
	}
}

func TestMermaidEscapes(t *testing.T) {
	var b strings.Builder
	table := policy.Table{{Method: "GET", Path: `/a/"q"/<x>`, Policy: policy.Policy{TTL: time.Second}}}
	require.NoError(t, Mermaid(&b, table, []policy.Route{{Method: "PUT", Path: `/a/"q"/<x>`}}))
	want := `flowchart LR
    subgraph cached["Cached GET routes"]
        g0["GET /a/#quot;q#quot;/#lt;x#gt;<br/>ttl=1s"]
    end
    subgraph writes["Write routes"]
        w0["PUT /a/#quot;q#quot;/#lt;x#gt;"]
    end
    w0 -->|"subtree of /a/#quot;q#quot;/#lt;x#gt;"| g0
`
	assert.Equal(t, want, b.String(), "got:\n%s\nwant", b.String())
}

func ExampleText() {
	table := policy.Table{
		{Method: "GET", Path: "/spaces", Handler: "app.listSpaces", Policy: policy.Policy{TTL: time.Hour}},
		{Method: "GET", Path: "/spaces/:space_id", Handler: "app.getSpace", Policy: policy.Policy{TTL: time.Hour, Vary: []string{"user_id"}}},
		{Method: "GET", Path: "/reports/summary", Handler: "app.summary", Policy: policy.Policy{TTL: 5 * time.Minute}},
		{Method: "DELETE", Path: "/spaces/:space_id", Handler: "app.deleteSpace", Policy: policy.Policy{Invalidate: []string{"/reports/summary"}}},
	}
	// A write route without a directive still invalidates by the rules.
	writes := []policy.Route{{Method: "POST", Path: "/spaces", Handler: "app.createSpace"}}
	Text(os.Stdout, table, writes)
	// Output:
	// Cached routes (3):
	//   GET /spaces            ttl=1h               app.listSpaces
	//   GET /spaces/:space_id  ttl=1h vary=user_id  app.getSpace
	//   GET /reports/summary   ttl=5m               app.summary
	//
	// Write routes (2) and the cached routes they invalidate:
	//   POST /spaces  app.createSpace
	//       GET /spaces  own responses of /spaces
	//   DELETE /spaces/:space_id  [invalidate=/reports/summary]  app.deleteSpace
	//       GET /spaces            ancestor list /spaces
	//       GET /spaces/:space_id  subtree of /spaces/:space_id
	//       GET /reports/summary   explicit target /reports/summary
}
