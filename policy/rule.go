package policy

import (
	"net/http"
	"strings"
)

// The invalidation rule. Every path node N has two generation tokens:
// S(N), renewed when N's whole subtree changes, and E(N), renewed when
// N's own responses change. A GET depends on S of the root and of every
// node down to its path, and on E of its path (ReadTokens). A successful
// write renews the tokens WriteTokens lists, and each explicit target
// renews Target.Token. Whether a write makes a cached route stale is
// whether it renews a token the route reads (Invalidates); the runtime and
// cachegen -explain both ask this file.

// Kind is the kind of a path node's token.
type Kind byte

// The two tokens of a path node.
const (
	Subtree Kind = 'S' // S(N): N and everything under it
	Own     Kind = 'E' // E(N): N's own responses
)

// Token is one token of a path's hierarchy: Kind at the node made of the
// path's first Depth segments (0 is the root).
type Token struct {
	Kind  Kind
	Depth int
}

// ReadTokens appends the tokens a GET of a path of depth segments depends
// on, besides the cache's epoch: S of the root and of every node down to
// the path, then E of the path.
func ReadTokens(dst []Token, depth int) []Token {
	for d := 0; d <= depth; d++ {
		dst = append(dst, Token{Subtree, d})
	}
	return append(dst, Token{Own, depth})
}

// WriteTokens appends the tokens a successful write of method to a path
// of depth segments renews. PUT, PATCH and DELETE change the resource and
// everything under it, and every list above it: S of the path, E of each
// ancestor. POST creates inside the path: E of the path and of each
// ancestor, never S, so the other items of a collection stay cached.
func WriteTokens(dst []Token, method string, depth int) []Token {
	if method == http.MethodPost {
		for d := 0; d <= depth; d++ {
			dst = append(dst, Token{Own, d})
		}
		return dst
	}
	dst = append(dst, Token{Subtree, depth})
	for d := 0; d < depth; d++ {
		dst = append(dst, Token{Own, d})
	}
	return dst
}

// Invalidates reports why a successful write on route w makes the cached
// responses of GET route g stale, or nil when it does not: for each token
// the write renews that a request of g may read, the reason, in the words
// cachegen -explain prints. Route paths are patterns: a :param matches any
// segment, a catch-all any rest. Routes without a path are not analysed.
func Invalidates(w, g Route) []string {
	if w.Path == "" || g.Path == "" {
		return nil
	}
	ws, gs := Segments(w.Path), Segments(g.Path)
	var own, subtree, ancestor bool
	if !w.Policy.NoInvalidate {
		var buf [34]Token
		for _, t := range WriteTokens(buf[:0], w.Method, len(ws)) {
			if !reads(gs, ws[:t.Depth], t.Kind) {
				continue
			}
			switch {
			case t.Kind == Subtree:
				subtree = true
			case t.Depth == len(ws):
				own = true
			default:
				ancestor = true
			}
		}
	}
	var why []string
	if own {
		why = append(why, "own responses of "+w.Path)
	}
	if subtree {
		why = append(why, "subtree of "+w.Path)
	}
	if ancestor {
		why = append(why, "ancestor list "+join(gs))
	}
	for _, s := range w.Policy.Invalidate {
		t, err := ParseTarget(s)
		if err != nil {
			continue // Validate refuses the table
		}
		if tok := t.Token(); reads(gs, t.Segments, tok.Kind) {
			why = append(why, "explicit target "+s)
		}
	}
	return why
}

// Reaches reports whether a target can renew a token on the way to a
// route's path (its segments): the path lies at or below the target's
// path, a :param of either matching any segment.
func Reaches(t Target, path []string) bool { return under(path, t.Segments) }

// reads reports whether a GET of path may read token kind at node.
func reads(path, node []string, kind Kind) bool {
	if kind == Subtree {
		return under(path, node)
	}
	return equal(path, node)
}

func join(segs []string) string { return "/" + strings.Join(segs, "/") }

func isWild(s string) bool { return strings.HasPrefix(s, ":") }

func isCatchAll(s string) bool { return strings.HasPrefix(s, "*") }

// match reports whether two segments may be the same request segment.
func match(a, b string) bool { return a == b || isWild(a) || isWild(b) }

// under reports whether path p may lie at or below path root.
func under(p, root []string) bool {
	for i, r := range root {
		if isCatchAll(r) {
			return len(p) >= i // a catch-all matches zero or more segments
		}
		if i >= len(p) {
			return false
		}
		if isCatchAll(p[i]) {
			return true
		}
		if !match(p[i], r) {
			return false
		}
	}
	return true
}

// equal reports whether two paths may be the same request path.
func equal(a, b []string) bool {
	n := min(len(a), len(b))
	for i := range n {
		if isCatchAll(a[i]) || isCatchAll(b[i]) {
			return true
		}
		if !match(a[i], b[i]) {
			return false
		}
	}
	if len(a) == len(b) {
		return true
	}
	longer := a
	if len(b) > len(a) {
		longer = b
	}
	return isCatchAll(longer[n])
}
