package directive

import (
	"fmt"
	"go/token"
	"strings"
	"time"
)

// Prefix starts every directive line.
const Prefix = "//cache:"

// The keys a directive may hold.
const (
	KeyTTL        = "ttl"
	KeyStale      = "stale"
	KeyVary       = "vary"
	KeyIdentity   = "identity"
	KeyPublic     = "public"
	KeyQuery      = "query"
	KeyInvalidate = "invalidate"
	KeyOff        = "off"
)

// keys lists every key, in the order error messages name them.
var keys = []string{KeyTTL, KeyStale, KeyVary, KeyIdentity, KeyPublic, KeyQuery, KeyInvalidate, KeyOff}

// flags are the keys that take no value.
var flags = map[string]bool{KeyPublic: true, KeyOff: true}

// getOnly are the keys that apply to GET routes; the others (invalidate,
// off) apply to write routes.
var getOnly = map[string]bool{KeyTTL: true, KeyStale: true, KeyVary: true, KeyIdentity: true, KeyPublic: true, KeyQuery: true}

// ForGET reports whether key applies to GET routes (ttl, stale, vary,
// identity, public, query) rather than to write routes (invalidate, off).
func ForGET(key string) bool { return getOnly[key] }

// Comment is one comment line as the parser reads it.
type Comment struct {
	Text string    // the whole comment, "//cache:ttl=3600"
	Pos  token.Pos // where Text starts
}

// Error is a problem found in a directive, at a position inside it.
type Error struct {
	Pos token.Pos
	Msg string
	// Fix, when set, is the edit that repairs the directive (the key a
	// did-you-mean names): editors offer it as a quick fix.
	Fix *Edit
}

// Edit replaces the text from Pos to End with New.
type Edit struct {
	Pos, End token.Pos
	New      string
}

// Error returns the message, without the position: the caller formats
// that from its file set.
func (e *Error) Error() string { return e.Msg }

// Item is one key=value or flag of a directive.
type Item struct {
	Key      string
	Value    string
	Pos      token.Pos // the key
	ValuePos token.Pos // the value (after '='); Pos when there is none
}

// Target is one path of an invalidate= list.
type Target struct {
	Path    string // as written: "/spaces/:space_id/stats/*"
	Pos     token.Pos
	Params  []Param // the :name segments
	Subtree bool    // ends with "/*"
}

// Param is a :name segment of a Target.
type Param struct {
	Name string // without the colon
	Pos  token.Pos
}

// Directive is the parsed content of the //cache: lines of one comment
// group.
type Directive struct {
	Pos   token.Pos // the first //cache: line
	Items []Item    // in source order

	TTL        time.Duration // 0 with TTLDefault or without a ttl item
	TTLDefault bool          // ttl=default: the cache's default TTL
	Stale      time.Duration
	Vary       []string
	Identity   []string // what identifies the caller: policy.Policy.Identity
	Public     bool
	Query      []string // nil without query=; empty, non-nil for "query="
	Invalidate []Target
	Off        bool
}

// Item returns the item with the given key.
func (d *Directive) Item(key string) (Item, bool) {
	for _, it := range d.Items {
		if it.Key == key {
			return it, true
		}
	}
	return Item{}, false
}

// IsDirective reports whether a comment's text is a //cache: line.
func IsDirective(text string) bool { return strings.HasPrefix(text, Prefix) }

// LooksMistyped reports whether a comment's text looks like a directive
// that will be ignored because of a space after the slashes ("// cache:"),
// as gofmt leaves an empty //cache: or one followed by a space. Prose that
// happens to start with "cache:" does not count: the rest must be empty or
// a valid directive.
func LooksMistyped(text string) bool {
	rest, ok := strings.CutPrefix(text, "//")
	if !ok {
		return false
	}
	trimmed := strings.TrimLeft(rest, " \t")
	if len(trimmed) == len(rest) {
		return false
	}
	items, ok := strings.CutPrefix(trimmed, "cache:")
	if !ok {
		return false
	}
	items = strings.TrimLeft(items, " \t")
	if items == "" {
		return true
	}
	d, errs := Parse([]Comment{{Text: Prefix + items}})
	return len(errs) == 0 && len(d.Items) > 0
}

// Parse parses the directive lines of one comment group. Lines without the
// //cache: prefix are ignored. It returns the directive and every problem
// found, each carrying a position; with problems the directive is partial.
func Parse(comments []Comment) (*Directive, []*Error) {
	p := &parser{d: &Directive{}, seen: make(map[string]token.Pos), sources: make(map[string]bool)}
	for _, c := range comments {
		if !IsDirective(c.Text) {
			continue
		}
		if p.d.Pos == token.NoPos {
			p.d.Pos = c.Pos
		}
		p.line(c)
	}
	if pos, ok := p.seen[KeyIdentity]; ok && p.d.Public {
		p.errorf(pos, "identity and public exclude each other: a public response is the same for every caller")
	}
	return p.d, p.errs
}

type parser struct {
	d    *Directive
	seen map[string]token.Pos
	// sources are the vary and identity entries seen, normalised: one
	// source is listed once, in one of the two.
	sources map[string]bool
	errs    []*Error
}

func (p *parser) errorf(pos token.Pos, format string, args ...any) *Error {
	e := &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
	p.errs = append(p.errs, e)
	return e
}

// line parses the items of one //cache: line.
func (p *parser) line(c Comment) {
	text := c.Text
	// gofmt keeps a comment as a directive only when a lowercase letter or
	// a digit follows the colon; otherwise it inserts a space after the
	// slashes, and the line silently stops being a directive.
	switch {
	case len(text) == len(Prefix):
		p.errorf(c.Pos, "empty //cache: directive (gofmt would turn it into a plain comment): write ttl=default for the cache's default TTL")
		return
	case text[len(Prefix)] == ' ' || text[len(Prefix)] == '\t':
		start := c.Pos + token.Pos(len(Prefix))
		spaces := len(text) - len(Prefix) - len(strings.TrimLeft(text[len(Prefix):], " \t"))
		e := p.errorf(start, "no space after //cache: (gofmt would turn the line into a plain comment)")
		e.Fix = &Edit{Pos: start, End: start + token.Pos(spaces)}
	}
	i := len(Prefix)
	for i < len(text) {
		if text[i] == ' ' || text[i] == '\t' {
			i++
			continue
		}
		start := i
		for i < len(text) && text[i] != ' ' && text[i] != '\t' {
			i++
		}
		p.item(text[start:i], c.Pos+token.Pos(start))
	}
}

// item parses one key[=value] word found at pos.
func (p *parser) item(word string, pos token.Pos) {
	key, value, hasValue := strings.Cut(word, "=")
	it := Item{Key: key, Value: value, Pos: pos, ValuePos: pos}
	if hasValue {
		it.ValuePos = pos + token.Pos(len(key)+1)
	}
	if !known(key) {
		if s := suggest(key); s != "" {
			e := p.errorf(pos, "unknown key %q: did you mean %s?", key, s)
			e.Fix = &Edit{Pos: pos, End: pos + token.Pos(len(key)), New: s}
			return
		}
		p.errorf(pos, "unknown key %q (want %s)", key, strings.Join(keys, ", "))
		return
	}
	if _, dup := p.seen[key]; dup {
		p.errorf(pos, "duplicate key %s", key)
		return
	}
	p.seen[key] = pos
	p.d.Items = append(p.d.Items, it)

	if flags[key] {
		if hasValue {
			p.errorf(pos, "%s takes no value (write %s alone)", key, key)
		}
		switch key {
		case KeyPublic:
			p.d.Public = true
		case KeyOff:
			p.d.Off = true
		}
		return
	}
	// query= is the one empty value with a meaning: no parameter counts.
	if !hasValue || value == "" && key != KeyQuery {
		p.errorf(pos, "%s needs a value: %s", key, example(key))
		return
	}
	switch key {
	case KeyTTL:
		if value == "default" {
			p.d.TTLDefault = true
			return
		}
		p.d.TTL = p.duration(key, value, it.ValuePos)
	case KeyStale:
		p.d.Stale = p.duration(key, value, it.ValuePos)
	case KeyVary:
		p.d.Vary = p.vary(key, value, it.ValuePos)
	case KeyIdentity:
		p.d.Identity = p.vary(key, value, it.ValuePos)
	case KeyQuery:
		p.d.Query = p.query(value, it.ValuePos)
	case KeyInvalidate:
		p.d.Invalidate = p.targets(value, it.ValuePos)
	}
}

func known(key string) bool {
	for _, k := range keys {
		if k == key {
			return true
		}
	}
	return false
}

func example(key string) string {
	switch key {
	case KeyTTL:
		return "whole seconds (ttl=3600), a Go duration (ttl=1h30m) or ttl=default"
	case KeyStale:
		return "whole seconds (stale=60) or a Go duration (stale=5m)"
	case KeyVary:
		return "comma-separated context keys, header:Name or cookie:Name (vary=header:X-Tenant,cookie:lang)"
	case KeyIdentity:
		return "comma-separated context keys, header:Name or cookie:Name that identify the caller (identity=user_id)"
	case KeyQuery:
		return "comma-separated parameter names (query=page,limit), or query= for none"
	case KeyInvalidate:
		return "comma-separated paths (invalidate=/reports/summary,/spaces/:space_id/*)"
	}
	return key
}

// suggest returns the known key closest to a misspelt one, if any is
// within two edits.
func suggest(key string) string {
	if key == "" || len(key) > 20 {
		return ""
	}
	best, bestDist := "", 3
	for _, k := range keys {
		if d := editDistance(strings.ToLower(key), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
