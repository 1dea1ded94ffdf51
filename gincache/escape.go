package gincache

import (
	"crypto/sha256"
	"encoding/hex"
	"unsafe"
)

// Each key component is percent-encoded with its own set of bytes kept as
// they are. '%' itself is never kept, so the encoding is injective (a
// literal "%2A" in a URL becomes "%252A", while '*' becomes "%2A"); and
// none of the sets holds a glob metacharacter (* ? [ ] \), the key
// separator ':', the hash marker '#', or the hash-tag braces { }, so no
// URL can inject a pattern, shift a component boundary or pick a Redis
// Cluster slot.
type byteSet [256]bool

func makeSet(extra string) *byteSet {
	var s byteSet
	for c := 'a'; c <= 'z'; c++ {
		s[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		s[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		s[c] = true
	}
	for _, c := range "-._~" + extra {
		s[c] = true
	}
	return &s
}

var (
	// pathSafe: a path keeps its slashes and the sub-delimiters that are
	// common in REST paths.
	pathSafe = makeSet("/!$&'()+,;=@")
	// hostSafe: a host keeps its port colon (the host ends at the path's
	// first '/', which hostSafe escapes).
	hostSafe = makeSet(":")
	// valueSafe: query names and values and vary values lose '&' and '='
	// (the pair separators) and ',' (the multi-value separator).
	valueSafe = makeSet("!$'()+;/@")
	// segmentSafe: one path segment inside a token name.
	segmentSafe = makeSet("!$&'()+,;=@")

	// pathPlain: the bytes of a path that url.URL.EscapedPath leaves as
	// they are (with no RawPath) and pathSafe keeps too; a path made of
	// them is its own key component.
	pathPlain = makeSet("/$&+,;=@")
	// hostSafeLower: hostSafe without the upper-case letters, which
	// appendHost lowers.
	hostSafeLower = func() *byteSet {
		s := *hostSafe
		for c := 'A'; c <= 'Z'; c++ {
			s[c] = false
		}
		return &s
	}()
)

const upperhex = "0123456789ABCDEF"

// appendEscaped appends s to b, percent-encoding every byte not in safe.
// Runs of safe bytes, the common case, are appended whole.
func appendEscaped(b []byte, s string, safe *byteSet) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; !safe[c] {
			b = append(b, s[start:i]...)
			b = append(b, '%', upperhex[c>>4], upperhex[c&15])
			start = i + 1
		}
	}
	return append(b, s[start:]...)
}

// hashMarker starts a component that was too long and was replaced by a
// digest; the encodings above never produce '#', so a hashed component
// cannot equal a plain one.
const hashMarker = "#sha256="

// bound replaces b[start:] by its first keep bytes, the hash marker and
// 128 bits of its SHA-256, when it is longer than max. Paths keep a
// readable head; queries and vary parts keep none.
func bound(b []byte, start, max, keep int) []byte {
	if len(b)-start <= max {
		return b // small enough to inline: the common case costs a compare
	}
	return hashTail(b, start, keep)
}

// hashTail replaces b[start:] by its first keep bytes, the hash marker and
// 128 bits of its SHA-256.
func hashTail(b []byte, start, keep int) []byte {
	sum := sha256.Sum256(b[start:])
	b = b[:start+keep]
	b = append(b, hashMarker...)
	return hex.AppendEncode(b, sum[:16])
}

// digest replaces b[start:] by the hash marker and 128 bits of its
// SHA-256, as bound does for long components.
func digest(b []byte, start int) []byte {
	return bound(b, start, -1, 0)
}

// unsafeString views b as a string without copying. The caller keeps b
// unchanged for as long as the string is used; it is how pooled key and
// name buffers are handed to a backend, which must not retain them.
func unsafeString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
