package directive

import (
	"fmt"
	"go/token"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// base is an arbitrary position for the comment under test; columns in
// the tests count from 1 at the first '/' of the comment.
const base token.Pos = 1000

func parseLine(text string) (*Directive, []string) {
	d, errs := Parse([]Comment{{Text: text, Pos: base}})
	var got []string
	for _, e := range errs {
		got = append(got, fmt.Sprintf("%d: %s", e.Pos-base+1, e.Msg))
	}
	return d, got
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		text string
		want Directive
	}{
		{"//cache:ttl=3600", Directive{TTL: time.Hour}},
		{"//cache:ttl=1h30m", Directive{TTL: 90 * time.Minute}},
		{"//cache:ttl=250ms", Directive{TTL: 250 * time.Millisecond}},
		{"//cache:ttl=default", Directive{TTLDefault: true}},
		{"//cache:ttl=60 stale=5m", Directive{TTL: time.Minute, Stale: 5 * time.Minute}},
		{"//cache:ttl=60 identity=user_id,header:Authorization vary=cookie:lang", Directive{TTL: time.Minute, Identity: []string{"user_id", "header:Authorization"}, Vary: []string{"cookie:lang"}}},
		{"//cache:ttl=60 stale=30", Directive{TTL: time.Minute, Stale: 30 * time.Second}},
		{"//cache:ttl=1 vary=user_id,header:X-Tenant,cookie:lang", Directive{TTL: time.Second, Vary: []string{"user_id", "header:X-Tenant", "cookie:lang"}}},
		{"//cache:ttl=1 public", Directive{TTL: time.Second, Public: true}},
		{"//cache:ttl=1 query=page,limit,filter[status],ids[]", Directive{TTL: time.Second, Query: []string{"page", "limit", "filter[status]", "ids[]"}}},
		{"//cache:ttl=1 query=", Directive{TTL: time.Second, Query: []string{}}},
		{"//cache:off", Directive{Off: true}},
		{"//cache:invalidate=/reports/summary,/spaces/:space_id/stats/*\t off", Directive{
			Off: true,
			Invalidate: []Target{
				{Path: "/reports/summary", Pos: base + 19},
				{Path: "/spaces/:space_id/stats/*", Pos: base + 36, Params: []Param{{"space_id", base + 44}}, Subtree: true},
			},
		}},
		{"//cache:invalidate=/,/*", Directive{Invalidate: []Target{{Path: "/", Pos: base + 19}, {Path: "/*", Pos: base + 21, Subtree: true}}}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			d, errs := parseLine(tt.text)
			require.Empty(t, errs, "unexpected errors:\n%s", strings.Join(errs, "\n"))
			d.Items = nil
			tt.want.Pos = base
			assert.Equal(t, tt.want, *d, "got  %+v\nwant", *d)
		})
	}
}

func TestParseItemsKeepPositions(t *testing.T) {
	d, errs := parseLine("//cache:ttl=60  public vary=a")
	require.Empty(t, errs, errs)
	want := []Item{
		{Key: "ttl", Value: "60", Pos: base + 8, ValuePos: base + 12},
		{Key: "public", Pos: base + 16, ValuePos: base + 16},
		{Key: "vary", Value: "a", Pos: base + 23, ValuePos: base + 28},
	}
	assert.Equal(t, want, d.Items, "items:\ngot  %+v\nwant", d.Items)
	it, ok := d.Item(KeyVary)
	assert.True(t, ok, "Item(vary) not found")
	assert.Equal(t, "a", it.Value, "Item(vary)")
	_, ok = d.Item(KeyOff)
	assert.False(t, ok, "Item(off) found an item that is not there")
}

func TestParseSeveralLines(t *testing.T) {
	d, errs := Parse([]Comment{
		{Text: "// listItems lists items.", Pos: 100},
		{Text: "//cache:ttl=60", Pos: 200},
		{Text: "//cache:vary=user_id ttl=5", Pos: 300},
	})
	assert.Equal(t, token.Pos(200), d.Pos, "directive = %+v", d)
	assert.Equal(t, time.Minute, d.TTL, "directive = %+v", d)
	assert.Equal(t, []string{"user_id"}, d.Vary, "directive = %+v", d)
	require.Len(t, errs, 1, "errors = %v", errs)
	assert.Equal(t, token.Pos(321), errs[0].Pos, "errors = %v", errs)
	assert.Equal(t, "duplicate key ttl", errs[0].Msg, "errors = %v", errs)
}

// TestParseErrors holds one case per message the parser can give.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		text string
		want []string // "col: message"
	}{
		{"//cache:", []string{`1: empty //cache: directive (gofmt would turn it into a plain comment): write ttl=default for the cache's default TTL`}},
		{"//cache: ttl=60", []string{`9: no space after //cache: (gofmt would turn the line into a plain comment)`}},
		{"//cache:\toff", []string{`9: no space after //cache: (gofmt would turn the line into a plain comment)`}},
		{"//cache:tll=60", []string{`9: unknown key "tll": did you mean ttl?`}},
		{"//cache:color=red", []string{`9: unknown key "color" (want ttl, stale, vary, identity, public, query, invalidate, off)`}},
		{"//cache:=5", []string{`9: unknown key "" (want ttl, stale, vary, identity, public, query, invalidate, off)`}},
		{"//cache:ttl=60 ttl=70", []string{`16: duplicate key ttl`}},
		{"//cache:public=true", []string{`9: public takes no value (write public alone)`}},
		{"//cache:off=1", []string{`9: off takes no value (write off alone)`}},
		{"//cache:ttl", []string{`9: ttl needs a value: whole seconds (ttl=3600), a Go duration (ttl=1h30m) or ttl=default`}},
		{"//cache:ttl=", []string{`9: ttl needs a value: whole seconds (ttl=3600), a Go duration (ttl=1h30m) or ttl=default`}},
		{"//cache:stale", []string{`9: stale needs a value: whole seconds (stale=60) or a Go duration (stale=5m)`}},
		{"//cache:vary=", []string{`9: vary needs a value: comma-separated context keys, header:Name or cookie:Name (vary=header:X-Tenant,cookie:lang)`}},
		{"//cache:invalidate", []string{`9: invalidate needs a value: comma-separated paths (invalidate=/reports/summary,/spaces/:space_id/*)`}},
		{"//cache:query", []string{`9: query needs a value: comma-separated parameter names (query=page,limit), or query= for none`}},
		{"//cache:ttl=1.5", []string{`13: bad ttl "1.5": want whole seconds (ttl=3600), a Go duration (ttl=1h30m) or ttl=default`}},
		{"//cache:ttl=soon", []string{`13: bad ttl "soon": want whole seconds (ttl=3600), a Go duration (ttl=1h30m) or ttl=default`}},
		{"//cache:ttl=0", []string{`13: ttl=0 must be positive`}},
		{"//cache:ttl=-5s", []string{`13: ttl=-5s must be positive`}},
		{"//cache:ttl=0s", []string{`13: ttl=0s must be positive`}},
		{"//cache:ttl=500us", []string{`13: ttl=500us is below 1ms, the smallest duration the backends keep`}},
		{"//cache:ttl=99999999999", []string{`13: ttl=99999999999 is too large`}},
		{"//cache:ttl=99999999999999999999", []string{`13: ttl=99999999999999999999 is too large`}},
		{"//cache:stale=0", []string{`15: stale=0 must be positive`}},
		{"//cache:stale=default", []string{`15: bad stale "default": want whole seconds (stale=60) or a Go duration (stale=5m)`}},
		{"//cache:vary=a,,b", []string{`16: empty vary entry`}},
		{"//cache:vary=a,", []string{`16: empty vary entry`}},
		{"//cache:vary=user$id", []string{`14: vary "user$id": a context key is letters, digits, _ - or . (at most 128)`}},
		{"//cache:vary=a," + strings.Repeat("k", 129), []string{`16: vary "` + strings.Repeat("k", 129) + `": a context key is letters, digits, _ - or . (at most 128)`}},
		{"//cache:vary=header:", []string{`14: vary "header:": the name after header: is letters, digits, _ - or . (at most 128)`}},
		{"//cache:vary=cookie:a:b", []string{`14: vary "cookie:a:b": the name after cookie: is letters, digits, _ - or . (at most 128)`}},
		{"//cache:vary=query:page", []string{`14: vary "query:page": unknown source "query" (want a context key, header:Name or cookie:Name)`}},
		{"//cache:vary=user_id,user_id", []string{`22: duplicate vary entry "user_id" (a source is listed once, in vary or in identity)`}},
		{"//cache:identity=user_id vary=user_id", []string{`31: duplicate vary entry "user_id" (a source is listed once, in vary or in identity)`}},
		{"//cache:identity=user_id public", []string{`9: identity and public exclude each other: a public response is the same for every caller`}},
		{"//cache:vary=header:X-A,header:x-a", []string{`25: duplicate vary entry "header:x-a" (a source is listed once, in vary or in identity)`}},
		{"//cache:query=page,,limit", []string{`20: empty query parameter name`}},
		{"//cache:query=a&b", []string{`15: query parameter "a&b": use letters, digits and _ - . ~ [ ]`}},
		{"//cache:query=page,page", []string{`20: duplicate query parameter "page"`}},
		{"//cache:invalidate=/a,", []string{`23: empty invalidate target`}},
		{"//cache:invalidate=reports", []string{`20: invalidate target "reports" must start with /`}},
		{"//cache:invalidate=/a//b", []string{`23: invalidate target "/a//b" has an empty segment`}},
		{"//cache:invalidate=/a/", []string{`23: invalidate target "/a/": no trailing slash (write /a or /a/*)`}},
		{"//cache:invalidate=/a/:", []string{`23: invalidate target "/a/:": parameter ":" is letters, digits and _ after the colon`}},
		{"//cache:invalidate=/a/:x-y", []string{`23: invalidate target "/a/:x-y": parameter ":x-y" is letters, digits and _ after the colon`}},
		{"//cache:invalidate=/a/*/b", []string{`23: invalidate target "/a/*/b": * is allowed only as a final /* (the subtree)`}},
		{"//cache:invalidate=/a/b*", []string{`24: invalidate target "/a/b*": * is allowed only as a final /* (the subtree)`}},
		{"//cache:invalidate=/a/b?c", []string{`24: invalidate target "/a/b?c": "?" is not allowed in a path`}},
		{"//cache:invalidate=/a/%41", []string{`23: invalidate target "/a/%41": byte "%" is not allowed (printable ASCII without # or %)`}},
		{"//cache:invalidate=/caf\xc3\xa9", []string{`24: invalidate target "/café": byte "\xc3" is not allowed (printable ASCII without # or %)`}},
		{"//cache:invalidate=/a,/a", []string{`23: duplicate invalidate target /a`}},
		// Every problem is reported, not only the first.
		{"//cache:ttl=0 vary=,x stale", []string{`13: ttl=0 must be positive`, `20: empty vary entry`, `23: stale needs a value: whole seconds (stale=60) or a Go duration (stale=5m)`}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			_, got := parseLine(tt.text)
			assert.Equal(t, tt.want, got, "errors:\ngot  %q\nwant", got)
		})
	}
}

func TestIsDirective(t *testing.T) {
	for text, want := range map[string]bool{
		"//cache:ttl=1":   true,
		"//cache:":        true,
		"// cache:ttl=1":  false,
		"//go:generate":   false,
		"/*cache:ttl=1*/": false,
	} {
		got := IsDirective(text)
		assert.Equal(t, want, got, "IsDirective(%q)", text)
	}
	for text, want := range map[string]bool{
		"// cache:ttl=1":            true,
		"//\tcache:off":             true,
		"// cache:":                 true, // gofmt's rewrite of a bare //cache:
		"// cache: ttl=1 public":    true, // gofmt's rewrite of //cache: ttl=1 public
		"//cache:ttl=1":             false,
		"// cache: holds responses": false,
		"// cache:tll=1":            false,
		"// the cache: x":           false,
		"/* cache:ttl */":           false,
	} {
		got := LooksMistyped(text)
		assert.Equal(t, want, got, "LooksMistyped(%q)", text)
	}
}

func TestForGET(t *testing.T) {
	for _, k := range keys {
		want := k != KeyInvalidate && k != KeyOff
		assert.Equal(t, want, ForGET(k), "ForGET(%s) = %v", k, !want)
	}
}
