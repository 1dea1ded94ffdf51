package policy_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/policy"
)

// TestReadmeHierarchyTable checks the README's "What a write invalidates"
// table against the rule: each ✗ is a write that renews a token the GET
// reads, each · one that does not. gincache's TestHierarchy checks the
// same table against the middleware.
func TestReadmeHierarchyTable(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	var gets []string
	rows := 0
	for _, line := range strings.Split(string(readme), "\n") {
		cells := strings.Split(strings.Trim(line, "| "), "|")
		for i := range cells {
			cells[i] = strings.Trim(strings.TrimSpace(cells[i]), "`")
		}
		switch {
		case strings.HasPrefix(line, "| write ↓ / cached GET →"):
			gets = cells[1:]
		case strings.HasPrefix(line, "| ---"):
		case gets != nil && strings.HasPrefix(line, "| `"):
			f := strings.Fields(cells[0])
			method, path := f[0], strings.Trim(f[1], "`")
			w := policy.Route{Method: method, Path: path}
			require.Len(t, cells[1:], len(gets), line)
			for i, mark := range cells[1:] {
				got := policy.Invalidates(w, policy.Route{Method: "GET", Path: gets[i]}) != nil
				assert.Equal(t, mark == "✗", got, "%s %s against GET %s: the README says %s", method, path, gets[i], mark)
			}
			rows++
		case gets != nil:
			gets = nil
		}
	}
	assert.Equal(t, 5, rows, "rows of the README table read")
}

func TestSplitTarget(t *testing.T) {
	for _, tc := range []struct {
		in      string
		path    string
		subtree bool
	}{
		{"/a/b/*", "/a/b", true},
		{"/*", "/", true},
		{"/a/b", "/a/b", false},
		{"/", "/", false},
		{"/a*", "/a*", false},
	} {
		path, subtree := policy.SplitTarget(tc.in)
		assert.Equal(t, tc.path, path, tc.in)
		assert.Equal(t, tc.subtree, subtree, tc.in)
	}
}

func TestParseTarget(t *testing.T) {
	tg, err := policy.ParseTarget("/spaces/:space_id/*")
	require.NoError(t, err)
	assert.Equal(t, policy.Target{Path: "/spaces/:space_id", Segments: []string{"spaces", ":space_id"}, Subtree: true}, tg)
	assert.Equal(t, policy.Token{Kind: policy.Subtree, Depth: 2}, tg.Token())
	tg, err = policy.ParseTarget("/reports/summary")
	require.NoError(t, err)
	assert.Equal(t, policy.Token{Kind: policy.Own, Depth: 2}, tg.Token())
	for _, bad := range []string{"reports", "/a/*/b", "/a*"} {
		_, err := policy.ParseTarget(bad)
		assert.Error(t, err, bad)
	}
}

func TestWriteTokens(t *testing.T) {
	E, S := policy.Own, policy.Subtree
	assert.Equal(t, []policy.Token{{E, 0}, {E, 1}, {E, 2}}, policy.WriteTokens(nil, "POST", 2))
	for _, m := range []string{"PUT", "PATCH", "DELETE"} {
		assert.Equal(t, []policy.Token{{S, 2}, {E, 0}, {E, 1}}, policy.WriteTokens(nil, m, 2), m)
	}
	assert.Equal(t, []policy.Token{{S, 0}, {S, 1}, {S, 2}, {E, 2}}, policy.ReadTokens(nil, 2))
}

func TestValidateTargets(t *testing.T) {
	ok := policy.Table{{Method: "PUT", Path: "/spaces/:space_id", Policy: policy.Policy{Invalidate: []string{"/stats/:space_id/*", "/reports"}}}}
	require.NoError(t, ok.Validate())
	bad := policy.Table{{Method: "PUT", Path: "/spaces/:space_id", Policy: policy.Policy{Invalidate: []string{"/stats/:id/*"}}}}
	assert.ErrorContains(t, bad.Validate(), "has no parameter :id")
}
