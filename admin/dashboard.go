package admin

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// dashboardHTML is the whole page: markup, one <style> and one <script>,
// nothing fetched from elsewhere.
//
//go:embed dashboard.html
var dashboardHTML []byte

// dashboardCSP allows the page's own inline style and script by hash and
// nothing else: no other script, no external asset, requests to this
// origin only, no framing (the page has destructive buttons, so it must
// not be clickjacked).
var dashboardCSP = buildCSP(string(dashboardHTML))

func buildCSP(page string) string {
	return fmt.Sprintf("default-src 'none'; script-src '%s'; style-src '%s'; connect-src 'self'; img-src data:; "+
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
		inlineHash(page, "script"), inlineHash(page, "style"))
}

// inlineHash is the CSP source ('sha256-...') of the one <tag> block of
// page. The page is embedded at build time, so a missing block is a
// programming error, caught by any test that loads the package.
func inlineHash(page, tag string) string {
	_, rest, ok1 := strings.Cut(page, "<"+tag+">")
	body, _, ok2 := strings.Cut(rest, "</"+tag+">")
	if !ok1 || !ok2 || strings.Contains(rest[len(body):], "<"+tag) {
		panic("admin: dashboard.html must hold exactly one <" + tag + "> block")
	}
	sum := sha256.Sum256([]byte(body))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// dashboard serves GET {base}/. Its requests go to paths relative to it
// ("stats", "keys"), so it works under any base and behind a proxy that
// strips a prefix.
func dashboard(c *gin.Context) {
	if _, ok := params(c, "refresh"); !ok {
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", dashboardCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	c.Data(http.StatusOK, "text/html; charset=utf-8", dashboardHTML)
}
