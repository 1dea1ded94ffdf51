package backend_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

// matchCases were checked against redis-server 7.0's SCAN MATCH (but for
// the empty pattern, which is ours: it matches every key).
var matchCases = []struct {
	pattern, key string
	want         bool
}{
	{``, ``, true},
	{``, `anything`, true},
	// Literals: whole key, bytes, case.
	{`abc`, `abc`, true},
	{`abc`, `abcd`, false},
	{`abc`, `ab`, false},
	{`A`, `a`, false},
	// Stars span any run of bytes, '/' included, or none.
	{`*`, `x`, true},
	{`**`, `x`, true},
	{`a*`, `a`, true},
	{`a*`, `ba`, false},
	{`*a`, `ba`, true},
	{`*a`, `ab`, false},
	{`a**b`, `ab`, true},
	{`/items/*`, `/items/1/2`, true},
	{`a*b*c`, `abc`, true},
	{`a*b*c`, `aXbYc`, true},
	{`a*b*c`, `aXbYcZ`, false},
	{`a*b*c`, `abcbc`, true},
	// Backtracking: the first place a star could stop is not the right one.
	{`*aab`, `aaab`, true},
	{`*ab*ab*`, `xabyyab`, true},
	{`*ab*ab`, `xabyyabab`, true},
	{`*ab*ab`, `xabyyaba`, false},
	{`a*a*a*a*b`, `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`, false},
	{`*?`, `a`, true},
	{`*?*?`, `a`, false},
	// '?' is one byte, not one rune.
	{`?`, `é`, false},
	{`??`, `é`, true},
	{`a?c`, `abc`, true},
	{`a?c`, `ac`, false},
	// Classes: sets, negation, ranges either way round, escapes.
	{`[abc]`, `b`, true},
	{`[abc]`, `d`, false},
	{`[^abc]`, `d`, true},
	{`[^abc]`, `a`, false},
	{`[a-c]`, `b`, true},
	{`[c-a]`, `b`, true},
	{`[a-c]`, `d`, false},
	{`[a-cx-z]`, `y`, true},
	{`[*?]`, `*`, true},
	{`[*?]`, `x`, false},
	{`[\]]`, `]`, true},
	{`[\\]`, `\`, true},
	{`[\-]`, `-`, true},
	{`[a\-c]`, `b`, false},
	{`[-]`, `-`, true},
	{`x[ab]y`, `xby`, true},
	{`x[ab]y`, `xy`, false},
	// "[]" is an empty class, which matches nothing.
	{`[]]`, `]`, false},
	{`[]a`, `a`, false},
	// A '-' before ']' makes a range ending at ']' and the class runs on.
	{`[a-]`, `_`, true},
	{`[a-]`, `-`, false},
	// Unterminated classes run to the end of the pattern.
	{`[abc`, `a`, true},
	{`[abc`, `d`, false},
	{`[^`, `x`, true},
	{`[`, `[`, false},
	{`a[`, `a`, false},
	{`a[`, `ab`, false},
	{`[a\`, `\`, true},
	// Escapes make any byte literal; a trailing backslash matches itself.
	{`\*`, `*`, true},
	{`\*`, `a`, false},
	{`\?`, `?`, true},
	{`\?`, `x`, false},
	{`\[a]`, `[a]`, true},
	{`\\`, `\`, true},
	{`\a`, `a`, true},
	{`a\`, `a\`, true},
	{`*\*`, `abc*`, true},
	{`*\*`, `abc`, false},
}

func TestMatch(t *testing.T) {
	for _, c := range matchCases {
		got := backend.Match(c.pattern, c.key)
		assert.Equal(t, c.want, got, "Match(%q, %q)", c.pattern, c.key)
	}
}

func TestEscapeGlob(t *testing.T) {
	for s, want := range map[string]string{
		"":              "",
		"/items/1":      "/items/1",
		"a*b":           `a\*b`,
		"[x]":           `\[x\]`,
		`\`:             `\\`,
		"?":             `\?`,
		"é":             "é",
		`*?[]\`:         `\*\?\[\]\\`,
		"/a%2Fb?q=[1]*": `/a%2Fb\?q=\[1\]\*`,
	} {
		got := backend.EscapeGlob(s)
		assert.Equal(t, want, got, "EscapeGlob(%q)", s)
	}
}

// EscapeGlob(s), used as a pattern, selects s and nothing else.
func FuzzEscapeGlob(f *testing.F) {
	f.Add("/items/1", "/items/2")
	f.Add(`a*b`, `aXb`)
	f.Add(`[ab]`, `a`)
	f.Add(`x\`, `x\\`)
	f.Add(`?`, `é`)
	f.Add(`[^`, `x`)
	f.Add("", "a")
	f.Fuzz(func(t *testing.T, s, other string) {
		p := backend.EscapeGlob(s)
		require.True(t, backend.Match(p, s), "Match(EscapeGlob(%q) = %q, %q) = false", s, p, s)
		if s != "" {
			require.Equal(t, other == s, backend.Match(p, other), "Match(EscapeGlob(%q) = %q, %q)", s, p, other)
		}
		// No metacharacter is left unescaped.
		for i := 0; i < len(p); i++ {
			if p[i] == '\\' {
				i++
				continue
			}
			require.NotContains(t, backend.GlobMeta, string(p[i]), "EscapeGlob(%q) = %q leaves %q unescaped", s, p, p[i])
		}
	})
}
