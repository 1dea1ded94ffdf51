package admin

import (
	"net"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// forwardingHeaders are set by proxies, load balancers and CDNs. A
// request carrying any of them came through one, so its loopback peer
// says nothing about the real client: a reverse proxy or sidecar on the
// same host must not open the admin routes to the world.
var forwardingHeaders = []string{
	"Forwarded",
	"X-Forwarded-For",
	"X-Forwarded-Host",
	"X-Forwarded-Proto",
	"X-Real-Ip",
	"X-Client-Ip",
	"True-Client-Ip",
	"Cf-Connecting-Ip",
	"Fastly-Client-Ip",
	"X-Cluster-Client-Ip",
	"Via",
}

// LoopbackOnly returns the rule Mount applies when WithAuth is not given:
// it answers 403 unless
//
//   - the connection's peer (c.RemoteIP(), the TCP address, never
//     c.ClientIP(), which believes X-Forwarded-For from any proxy
//     Gin trusts, and Gin trusts every proxy by default) is a loopback
//     address (127.0.0.0/8, ::1);
//   - the request carries no forwarding header (X-Forwarded-For,
//     X-Real-IP, Forwarded and the like), so that a proxy on the same
//     host does not make remote clients look local;
//   - its Host is localhost, a name under .localhost, or a loopback
//     address (any port), so that a web page whose domain is re-pointed
//     at 127.0.0.1 (DNS rebinding) cannot read the API through the
//     operator's browser.
//
// A Unix socket peer has no IP address and is refused. Add it to
// WithAuth to keep the rule next to your own authentication.
func LoopbackOnly() gin.HandlerFunc {
	return func(c *gin.Context) {
		if why := notLocal(c); why != "" {
			fail(c, http.StatusForbidden, "", "admin: forbidden: %s; without admin.WithAuth the admin routes answer only direct connections from loopback (see docs/SECURITY.md)", why)
		}
	}
}

// notLocal says why a request is not a direct loopback one, or "".
func notLocal(c *gin.Context) string {
	ip := net.ParseIP(c.RemoteIP())
	if ip == nil || !ip.IsLoopback() {
		return "the connection does not come from a loopback address"
	}
	for _, h := range forwardingHeaders {
		if _, ok := c.Request.Header[h]; ok {
			return "the request carries " + h + ", so it came through a proxy"
		}
	}
	if !loopbackHost(c.Request.Host) {
		return "the Host header does not name localhost or a loopback address"
	}
	return ""
}

// loopbackHost reports whether a Host header names this machine's
// loopback. An empty Host (HTTP/1.0) is allowed: browsers, the only
// clients DNS rebinding can steer, always send one.
func loopbackHost(host string) bool {
	if host == "" {
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// crossOrigin refuses state-changing requests (POST, DELETE) that a
// browser marks as coming from another origin (Sec-Fetch-Site, Origin):
// neither the loopback rule nor cookie-based auth stops a page on another
// site from making the operator's browser POST to /clear. Requests
// without those headers (curl, scripts) pass.
func crossOrigin(origins []string) (gin.HandlerFunc, error) {
	cop := http.NewCrossOriginProtection()
	for _, o := range origins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, err
		}
	}
	return func(c *gin.Context) {
		if err := cop.Check(c.Request); err != nil {
			fail(c, http.StatusForbidden, "", "admin: forbidden: %v (a page of another origin cannot change the cache; see admin.WithTrustedOrigin)", err)
		}
	}, nil
}
