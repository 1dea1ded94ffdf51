package backendtest

// patternKeys are entry keys full of glob metacharacters. The cache's own
// keys never hold one unescaped, but a backend must still store, list and
// match such keys the way Redis does.
var patternKeys = []string{
	`pt:a*b`, `pt:a?b`, `pt:a[b]`, `pt:a\b`, `pt:axb`, `pt:ab`, `pt:a/b/c`,
	`pt:A`, `pt:a-b`, `pt:a]b`, `pt:a^b`, `pt:é`,
}

// patternTable gives, for glob patterns in Redis's syntax (backend.Match),
// which of patternKeys each selects. The expectations were checked
// against redis-server 7.0's SCAN MATCH; they do not use backend.Match, so
// a backend with its own matcher is held to Redis's behaviour.
var patternTable = []struct {
	pattern string
	want    []string
}{
	{`pt:*`, patternKeys},
	{`pt:a*`, []string{`pt:a*b`, `pt:a?b`, `pt:a[b]`, `pt:a\b`, `pt:axb`, `pt:ab`, `pt:a/b/c`, `pt:a-b`, `pt:a]b`, `pt:a^b`}},
	// '*' spans '/' and any other byte; it may match nothing.
	{`pt:a*c`, []string{`pt:a/b/c`}},
	{`pt:a*b`, []string{`pt:a*b`, `pt:a?b`, `pt:a\b`, `pt:axb`, `pt:ab`, `pt:a-b`, `pt:a]b`, `pt:a^b`}},
	// '?' is one byte: the two-byte é needs two.
	{`pt:a?b`, []string{`pt:a*b`, `pt:a?b`, `pt:a\b`, `pt:axb`, `pt:a-b`, `pt:a]b`, `pt:a^b`}},
	{`pt:?`, []string{`pt:A`}},
	{`pt:??`, []string{`pt:ab`, `pt:é`}},
	// Escaped metacharacters are literal.
	{`pt:a\*b`, []string{`pt:a*b`}},
	{`pt:a\?b`, []string{`pt:a?b`}},
	{`pt:a\[b\]`, []string{`pt:a[b]`}},
	{`pt:a\\b`, []string{`pt:a\b`}},
	// Classes: a set, a negation, a range, escapes and metacharacters inside.
	{`pt:a[*?]b`, []string{`pt:a*b`, `pt:a?b`}},
	{`pt:a[^x]b`, []string{`pt:a*b`, `pt:a?b`, `pt:a\b`, `pt:a-b`, `pt:a]b`, `pt:a^b`}},
	{`pt:a[w-y]b`, []string{`pt:axb`}},
	{`pt:a[y-w]b`, []string{`pt:axb`}},
	{`pt:a[\]]b`, []string{`pt:a]b`}},
	{`pt:a[\\]b`, []string{`pt:a\b`}},
	{`pt:a[\^]b`, []string{`pt:a^b`}},
	{`pt:a[-]b`, []string{`pt:a-b`}},
	{`pt:[A]`, []string{`pt:A`}},
	// Matching is on bytes and case-sensitive, and anchored at both ends.
	{`PT:*`, nil},
	{`pt:a`, nil},
	{`pt:ab`, []string{`pt:ab`}},
	{`t:ab`, nil},
	{`pt:a[b]`, []string{`pt:ab`}},
}
