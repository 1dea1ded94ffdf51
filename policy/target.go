package policy

import (
	"fmt"
	"strings"
)

// Target is a parsed invalidation target (Policy.Invalidate, the
// directive's invalidate=, the Service's Invalidate): a path, in Gin path
// syntax, and whether it covers the path's whole subtree.
type Target struct {
	// Path is the target without its final "/*": "/" for "/*".
	Path string
	// Segments are Path's non-empty segments as written: ":space_id" for
	// a parameter (see Param).
	Segments []string
	// Subtree: the target ends in "/*" and renews S of Path; otherwise it
	// renews E of Path, its own responses.
	Subtree bool
}

// SplitTarget splits a target into its path and whether it names the
// subtree: "/a/b/*" is "/a/b" and true, "/*" is "/" and true, "/a/b" is
// itself and false. It is the one place the "/*" form is read; it checks
// nothing else.
func SplitTarget(s string) (path string, subtree bool) {
	path, subtree = strings.CutSuffix(s, "/*")
	if subtree && path == "" {
		path = "/"
	}
	return path, subtree
}

// ParseTarget parses and checks a target: it starts with "/", and "*"
// appears only as the final "/*".
func ParseTarget(s string) (Target, error) {
	if !strings.HasPrefix(s, "/") {
		return Target{}, fmt.Errorf("invalidate target %q must start with /", s)
	}
	path, subtree := SplitTarget(s)
	if strings.Contains(path, "*") {
		return Target{}, fmt.Errorf("invalidate target %q: only a trailing /* is allowed", s)
	}
	return Target{Path: path, Segments: Segments(path), Subtree: subtree}, nil
}

// Token is the token the target renews.
func (t Target) Token() Token {
	if t.Subtree {
		return Token{Kind: Subtree, Depth: len(t.Segments)}
	}
	return Token{Kind: Own, Depth: len(t.Segments)}
}

// Param reports whether a segment of a route path or target is a
// parameter (":name", or a catch-all "*name"), and its name.
func Param(seg string) (name string, ok bool) {
	if len(seg) > 0 && (seg[0] == ':' || seg[0] == '*') {
		return seg[1:], true
	}
	return "", false
}

// Segments splits a path into its non-empty segments: "/" has none.
func Segments(path string) []string {
	var out []string
	for _, s := range strings.Split(path, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
