package admin

import (
	"strings"
	"testing"
	"time"
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
		if got := ttlSeconds(d); got != want {
			t.Errorf("ttlSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}

func FuzzCursor(f *testing.F) {
	for _, s := range []string{"0", "gincache:1:GET:x/items::", "MCA5IDEyNy4wLjAuMTo2Mzc5", "\x00", "a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		enc := encodeCursor(next)
		if next == "" {
			if enc != "0" {
				t.Fatalf("the end of a listing encodes as %q", enc)
			}
			return
		}
		if enc == "0" || enc == "" {
			t.Fatalf("backend cursor %q encodes as %q, which means start or done", next, enc)
		}
		dec, err := decodeCursor(enc)
		if err != nil || dec != next {
			t.Fatalf("round trip of %q: %q, %v", next, dec, err)
		}
	})
}

func TestDecodeCursorRefusesJunk(t *testing.T) {
	for _, s := range []string{"a", "!!", "AA==", "a b", "%"} {
		if _, err := decodeCursor(s); err == nil {
			t.Errorf("decodeCursor(%q) accepted it", s)
		}
	}
	for _, s := range []string{"", "0"} {
		if c, err := decodeCursor(s); err != nil || c != "" {
			t.Errorf("decodeCursor(%q) = %q, %v; want the start", s, c, err)
		}
	}
}

func TestDashboardCSP(t *testing.T) {
	for _, want := range []string{"default-src 'none'", "script-src 'sha256-", "style-src 'sha256-", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(dashboardCSP, want) {
			t.Errorf("CSP %q lacks %q", dashboardCSP, want)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "http:", "https:", "*"} {
		if strings.Contains(dashboardCSP, bad) {
			t.Errorf("CSP %q allows %q", dashboardCSP, bad)
		}
	}
	page := string(dashboardHTML)
	for _, external := range []string{"src=\"http", "href=\"http", "src=\"//", "href=\"//", "@import", "url(http"} {
		if strings.Contains(page, external) {
			t.Errorf("the page refers to an external asset: %q", external)
		}
	}
	for _, broken := range []string{"<p>no blocks</p>", "<script>a</script><script>b</script>", "<script>unterminated"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("inlineHash accepted %q", broken)
				}
			}()
			inlineHash(broken, "script")
		}()
	}
	// The hash is the standard one: sha256 of "alert(1)".
	if got := inlineHash("<script>alert(1)</script>", "script"); got != "sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=" {
		t.Errorf("inlineHash = %s", got)
	}
}
