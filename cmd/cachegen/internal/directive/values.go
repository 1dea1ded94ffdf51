package directive

import (
	"go/token"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/policy"
)

// minDuration is the shortest ttl or stale accepted: backends keep
// expiries in milliseconds (Redis PX), so anything shorter would round to
// nothing.
const minDuration = time.Millisecond

// duration parses a ttl or stale value: whole seconds or a Go duration.
func (p *parser) duration(key, value string, pos token.Pos) time.Duration {
	var d time.Duration
	if allDigits(value) {
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil || n > math.MaxInt64/int64(time.Second) {
			p.errorf(pos, "%s=%s is too large", key, value)
			return 0
		}
		d = time.Duration(n) * time.Second
	} else {
		var err error
		d, err = time.ParseDuration(value)
		if err != nil {
			p.errorf(pos, "bad %s %q: want %s", key, value, example(key))
			return 0
		}
	}
	if d <= 0 {
		p.errorf(pos, "%s=%s must be positive", key, value)
		return 0
	}
	if d < minDuration {
		p.errorf(pos, "%s=%s is below 1ms, the smallest duration the backends keep", key, value)
		return 0
	}
	return d
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// element is one comma-separated part of a list value.
type element struct {
	text string
	pos  token.Pos
}

// split cuts a comma-separated value into its elements, with positions.
func split(value string, pos token.Pos) []element {
	var out []element
	start := 0
	for i := 0; i <= len(value); i++ {
		if i == len(value) || value[i] == ',' {
			out = append(out, element{value[start:i], pos + token.Pos(start)})
			start = i + 1
		}
	}
	return out
}

// vary parses a vary or identity list (key). Each entry is a gin context
// key, header:Name or cookie:Name; the same rules as policy.Policy.Vary
// and Policy.Identity. A source is listed once, in one of the two lists.
func (p *parser) vary(key, value string, pos token.Pos) []string {
	var out []string
	seen := p.sources
	for _, el := range split(value, pos) {
		if el.text == "" {
			p.errorf(el.pos, "empty %s entry", key)
			continue
		}
		kind, name, hasKind := strings.Cut(el.text, ":")
		dedup := el.text
		switch {
		case !hasKind:
			if !policy.IsToken(el.text) {
				p.errorf(el.pos, "%s %q: a context key is letters, digits, _ - or . (at most 128)", key, el.text)
				continue
			}
		case kind == "header" || kind == "cookie":
			if !policy.IsToken(name) {
				p.errorf(el.pos, "%s %q: the name after %s: is letters, digits, _ - or . (at most 128)", key, el.text, kind)
				continue
			}
			if kind == "header" {
				// Header names are case-insensitive: header:x-a and
				// header:X-A are the same source.
				dedup = "header:" + strings.ToLower(name)
			}
		default:
			p.errorf(el.pos, "%s %q: unknown source %q (want a context key, header:Name or cookie:Name)", key, el.text, kind)
			continue
		}
		if seen[dedup] {
			p.errorf(el.pos, "duplicate %s entry %q (a source is listed once, in vary or in identity)", key, el.text)
			continue
		}
		seen[dedup] = true
		out = append(out, el.text)
	}
	return out
}

// query parses a query list. An empty value means that no parameter
// selects the response: the result is then empty but not nil.
func (p *parser) query(value string, pos token.Pos) []string {
	out := []string{}
	if value == "" {
		return out
	}
	seen := make(map[string]bool)
	for _, el := range split(value, pos) {
		if el.text == "" {
			p.errorf(el.pos, "empty query parameter name")
			continue
		}
		if !isQueryName(el.text) {
			p.errorf(el.pos, "query parameter %q: use letters, digits and _ - . ~ [ ]", el.text)
			continue
		}
		if seen[el.text] {
			p.errorf(el.pos, "duplicate query parameter %q", el.text)
			continue
		}
		seen[el.text] = true
		out = append(out, el.text)
	}
	return out
}

// targets parses an invalidate list.
func (p *parser) targets(value string, pos token.Pos) []Target {
	var out []Target
	seen := make(map[string]bool)
	for _, el := range split(value, pos) {
		t, ok := p.target(el)
		if !ok {
			continue
		}
		if seen[t.Path] {
			p.errorf(el.pos, "duplicate invalidate target %s", t.Path)
			continue
		}
		seen[t.Path] = true
		out = append(out, t)
	}
	return out
}

// target parses one invalidate path: "/a/:id" (that path's own responses)
// or "/a/:id/*" (its subtree).
func (p *parser) target(el element) (Target, bool) {
	if el.text == "" {
		p.errorf(el.pos, "empty invalidate target")
		return Target{}, false
	}
	if el.text[0] != '/' {
		p.errorf(el.pos, "invalidate target %q must start with /", el.text)
		return Target{}, false
	}
	base, subtree := policy.SplitTarget(el.text)
	t := Target{Path: el.text, Pos: el.pos, Subtree: subtree}
	if base == "/" {
		return t, true
	}
	segs := strings.Split(base[1:], "/")
	off := 1 // byte offset of the current segment in el.text
	ok := true
	for i, seg := range segs {
		segPos := el.pos + token.Pos(off)
		off += len(seg) + 1
		switch {
		case seg == "":
			if i == len(segs)-1 {
				p.errorf(segPos, "invalidate target %q: no trailing slash (write %s or %s/*)", el.text, strings.TrimRight(el.text, "/"), strings.TrimRight(el.text, "/"))
			} else {
				p.errorf(segPos, "invalidate target %q has an empty segment", el.text)
			}
			ok = false
		case strings.HasPrefix(seg, ":"):
			name := seg[1:]
			if !isParamName(name) {
				p.errorf(segPos, "invalidate target %q: parameter %q is letters, digits and _ after the colon", el.text, seg)
				ok = false
				continue
			}
			t.Params = append(t.Params, Param{Name: name, Pos: segPos})
		default:
			if j := strings.IndexAny(seg, "*?[]\\"); j >= 0 {
				if seg[j] == '*' {
					p.errorf(segPos+token.Pos(j), "invalidate target %q: * is allowed only as a final /* (the subtree)", el.text)
				} else {
					p.errorf(segPos+token.Pos(j), "invalidate target %q: %q is not allowed in a path", el.text, seg[j:j+1])
				}
				ok = false
				continue
			}
			for j := 0; j < len(seg); j++ {
				if c := seg[j]; c <= ' ' || c >= 0x7f || c == '#' || c == '%' {
					p.errorf(segPos+token.Pos(j), "invalidate target %q: byte %q is not allowed (printable ASCII without # or %%)", el.text, seg[j:j+1])
					ok = false
					break
				}
			}
		}
	}
	return t, ok
}

func isQueryName(s string) bool {
	if len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && !strings.ContainsRune("_-.~[]", rune(c)) {
			return false
		}
	}
	return true
}

func isParamName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
