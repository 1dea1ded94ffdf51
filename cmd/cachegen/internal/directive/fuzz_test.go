package directive

import (
	"go/token"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/policy"
)

// FuzzParseDirective checks that the parser never panics, that every
// rejection points inside the comment with a well-formed message, and that
// whatever it accepts, gincache accepts too: the policy built from a valid
// directive passes policy.Table.Validate.
func FuzzParseDirective(f *testing.F) {
	for _, s := range []string{
		"ttl=3600 vary=user_id",
		"ttl=60 identity=user_id,cookie:sid vary=header:X-Tenant",
		"ttl=default public query=",
		"ttl=1h30m stale=30 vary=header:X-Tenant,cookie:lang query=page,limit",
		"off invalidate=/reports/summary,/spaces/:space_id/stats/*",
		"invalidate=/,/*",
		"ttl=0 vary=,x stale",
		"tll=5",
		"",
		" ttl=5",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rest string) {
		text := Prefix + rest
		d, errs := Parse([]Comment{{Text: text, Pos: base}})
		for _, e := range errs {
			require.GreaterOrEqual(t, e.Pos, base, "%q: error %q at offset %d, outside the comment", text, e.Msg, e.Pos-base)
			require.LessOrEqual(t, e.Pos, base+token.Pos(len(text)), "%q: error %q at offset %d, outside the comment", text, e.Msg, e.Pos-base)
			require.NotEmpty(t, e.Msg, "%q: malformed message %q", text, e.Msg)
			require.False(t, unicode.IsUpper(rune(e.Msg[0])), "%q: malformed message %q", text, e.Msg)
			require.False(t, strings.HasSuffix(e.Msg, "."), "%q: malformed message %q", text, e.Msg)
		}
		if len(errs) > 0 {
			return
		}
		require.NoError(t, asTable(d).Validate(), "%q parses, but gincache rejects its policy", text)
	})
}

// asTable turns a directive into the routes it could describe: a GET
// carrying its GET keys and a write carrying its write keys, on a path that
// has every parameter its targets name.
func asTable(d *Directive) policy.Table {
	path := "/r"
	seen := make(map[string]bool)
	var targets []string
	for _, t := range d.Invalidate {
		targets = append(targets, t.Path)
		for _, p := range t.Params {
			if !seen[p.Name] {
				seen[p.Name] = true
				path += "/:" + p.Name
			}
		}
	}
	return policy.Table{
		{Method: "GET", Path: "/r", Policy: policy.Policy{TTL: d.TTL, Stale: d.Stale, Vary: d.Vary, Identity: d.Identity, Public: d.Public, Query: d.Query}},
		{Method: "PUT", Path: path, Policy: policy.Policy{Invalidate: targets, NoInvalidate: d.Off}},
	}
}
