package policy

import (
	"fmt"
	"net/textproto"
	"strings"
)

// VaryKind is what a Vary or Identity entry reads.
type VaryKind uint8

// The sources a Vary or Identity entry can read.
const (
	VaryContext VaryKind = iota // a gin context value (c.Get)
	VaryHeader                  // a request header
	VaryCookie                  // a request cookie
)

// Vary is one parsed Vary or Identity entry.
type Vary struct {
	Kind VaryKind
	// Name is the context key, the canonical header name or the cookie
	// name.
	Name string
	// Label is how the entry appears in cache keys: "user_id",
	// "h.x-tenant", "c.lang".
	Label string
}

// ParseVary parses one Vary or Identity entry: a context key, header:Name
// or cookie:Name.
func ParseVary(s string) (Vary, error) {
	kind, name, found := strings.Cut(s, ":")
	if !found {
		if !IsToken(s) {
			return Vary{}, fmt.Errorf("vary %q: a context key must be a non-empty token (letters, digits, _ - .)", s)
		}
		return Vary{Kind: VaryContext, Name: s, Label: s}, nil
	}
	if !IsToken(name) {
		return Vary{}, fmt.Errorf("vary %q: the name after %q must be a non-empty token", s, kind+":")
	}
	switch kind {
	case "header":
		canon := textproto.CanonicalMIMEHeaderKey(name)
		return Vary{Kind: VaryHeader, Name: canon, Label: "h." + strings.ToLower(name)}, nil
	case "cookie":
		return Vary{Kind: VaryCookie, Name: name, Label: "c." + name}, nil
	}
	return Vary{}, fmt.Errorf("vary %q: unknown source %q (want a context key, header:Name or cookie:Name)", s, kind)
}

// IsToken reports whether s is a non-empty run of letters, digits and
// _ - . (what context keys, header and cookie names used in keys may hold).
func IsToken(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
