package testutil

import (
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

var prefixSeq atomic.Uint64

// Prefix returns a key prefix unique to this call, readable (it carries
// the test's name) and free of glob and hash-tag characters, for tests
// that share a server: keys under it belong to the test, which can Flush
// them.
func Prefix(t testing.TB) string {
	name := []byte(t.Name())
	for i, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			name[i] = '_'
		}
	}
	if len(name) > 40 {
		name = name[:40]
	}
	return "t" + strconv.FormatUint(prefixSeq.Add(1), 10) + "_" + string(name) + ":"
}

// escapeGlob backslash-escapes Redis glob metacharacters, so that s used
// in a MATCH pattern means itself.
func escapeGlob(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(`*?[]\`, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
