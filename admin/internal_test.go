package admin

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTTLSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int64{
		-1:                      -1, // backend.KeyInfo's "no expiry"
		-time.Second:            -1,
		0:                       0,
		time.Nanosecond:         1, // a live key never shows 0
		999 * time.Millisecond:  1,
		time.Second:             1,
		time.Second + 1:         2,
		90 * time.Second:        90,
		time.Hour - time.Second: 3599,
	} {
		got := ttlSeconds(d)
		assert.Equal(t, want, got, "ttlSeconds(%v)", d)
	}
}

func FuzzCursor(f *testing.F) {
	for _, s := range []string{"0", "gincache:1:GET:x/items::", "MCA5IDEyNy4wLjAuMTo2Mzc5", "\x00", "a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		enc := encodeCursor(next)
		if next == "" {
			require.Equal(t, "0", enc, "the end of a listing encodes as")
			return
		}
		require.NotEqual(t, "0", enc, "backend cursor %q encodes as %q, which means start or done", next, enc)
		require.NotEmpty(t, enc, "backend cursor %q encodes as %q, which means start or done", next, enc)
		dec, err := decodeCursor(enc)
		require.NoError(t, err, "round trip of %q: %q, %v", next, dec, err)
		require.Equal(t, next, dec, "round trip of %q: %q, %v", next, dec, err)
	})
}

func TestDecodeCursorRefusesJunk(t *testing.T) {
	for _, s := range []string{"a", "!!", "AA==", "a b", "%"} {
		_, err := decodeCursor(s)
		assert.Error(t, err, "decodeCursor(%q) accepted it", s)
	}
	for _, s := range []string{"", "0"} {
		c, err := decodeCursor(s)
		require.NoError(t, err, "decodeCursor(%q) = %q, %v; want the start", s, c, err)
		assert.Empty(t, c, "decodeCursor(%q) = %q, %v; want the start", s, c, err)
	}
}

func TestDashboardCSP(t *testing.T) {
	for _, want := range []string{"default-src 'none'", "script-src 'sha256-", "style-src 'sha256-", "connect-src 'self'", "frame-ancestors 'none'"} {
		assert.Contains(t, dashboardCSP, want, "CSP %q lacks %q", dashboardCSP, want)
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "http:", "https:", "*"} {
		assert.NotContains(t, dashboardCSP, bad, "CSP %q allows %q", dashboardCSP, bad)
	}
	page := string(dashboardHTML)
	for _, external := range []string{"src=\"http", "href=\"http", "src=\"//", "href=\"//", "@import", "url(http"} {
		assert.NotContains(t, page, external, "the page refers to an external asset: %q", external)
	}
	for _, broken := range []string{"<p>no blocks</p>", "<script>a</script><script>b</script>", "<script>unterminated"} {
		func() {
			defer func() {
				assert.NotNil(t, recover(), "inlineHash accepted %q", broken)
			}()
			inlineHash(broken, "script")
		}()
	}
	// The hash is the standard one: sha256 of "alert(1)".
	got := inlineHash("<script>alert(1)</script>", "script")
	assert.Equal(t, "sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=", got, "inlineHash")
}
