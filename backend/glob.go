package backend

import "strings"

// GlobMeta is the set of bytes with a meaning in a glob pattern. Keys
// built by the cache never contain them unescaped, so a URL cannot inject
// a pattern.
const GlobMeta = `*?[]\`

// Match reports whether key matches the glob pattern, with the syntax of
// Redis's KEYS, SCAN MATCH and PSUBSCRIBE, so that every backend agrees
// with Redis on what a pattern selects:
//
//   - any run of bytes, including none (and including '/')
//     ?      any one byte
//     [abc]  one of the bytes listed; [^abc] one not listed; [a-z] a range
//     \x     the byte x itself
//
// An empty pattern matches every key. Matching works on bytes, runs in
// time proportional to len(pattern)*len(key) at worst, and never recurses.
func Match(pattern, key string) bool {
	if pattern == "" {
		return true
	}
	p, k := 0, 0
	// Where to resume after the last '*': the pattern position after it
	// and the key position it has swallowed up to.
	starP, starK := -1, 0
	for k < len(key) {
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				for p < len(pattern) && pattern[p] == '*' {
					p++
				}
				if p == len(pattern) {
					return true
				}
				starP, starK = p, k
				continue
			case '?':
				p++
				k++
				continue
			case '[':
				if end, ok := matchClass(pattern, p, key[k]); ok {
					p = end
					k++
					continue
				}
			case '\\':
				if p+1 < len(pattern) {
					if pattern[p+1] == key[k] {
						p += 2
						k++
						continue
					}
				} else if key[k] == '\\' { // a trailing backslash matches itself
					p++
					k++
					continue
				}
			default:
				if c == key[k] {
					p++
					k++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starK++
		p, k = starP, starK
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// ClassEnd returns the position just past the character class that
// starts at pattern[p] == '[', parsed exactly as Match parses it (an
// unterminated class runs to the end of the pattern), for a backend that
// translates a pattern into its server's glob and must skip the same bytes.
func ClassEnd(pattern string, p int) int {
	end, _ := matchClass(pattern, p, 0)
	return end
}

// matchClass matches c against the class starting at pattern[p] == '['
// and returns the position after the class. An unterminated class runs to
// the end of the pattern, as in Redis.
func matchClass(pattern string, p int, c byte) (int, bool) {
	p++ // '['
	negate := false
	if p < len(pattern) && pattern[p] == '^' {
		negate = true
		p++
	}
	matched := false
	for p < len(pattern) && pattern[p] != ']' {
		switch {
		case pattern[p] == '\\' && p+1 < len(pattern):
			p++
			if pattern[p] == c {
				matched = true
			}
			p++
		case p+2 < len(pattern) && pattern[p+1] == '-':
			lo, hi := pattern[p], pattern[p+2]
			if lo > hi {
				lo, hi = hi, lo
			}
			if lo <= c && c <= hi {
				matched = true
			}
			p += 3
		default:
			if pattern[p] == c {
				matched = true
			}
			p++
		}
	}
	if p < len(pattern) {
		p++ // ']'
	}
	return p, matched != negate
}

// EscapeGlob returns s with every glob metacharacter backslash-escaped, so
// that the result used as a pattern matches s literally.
func EscapeGlob(s string) string {
	if !strings.ContainsAny(s, GlobMeta) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(GlobMeta, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
