package admin_test

import (
	"net"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/admin"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

// wantRoutes are the routes Mount registers; a test that walks every
// route fails if one is added without being listed here.
var wantRoutes = map[string]string{
	"GET " + base + "/":             "",
	"GET " + base + "/keys":         "?count=10",
	"DELETE " + base + "/keys/*key": "",
	"POST " + base + "/clear":       "",
	"POST " + base + "/invalidate":  "?path=/spaces/1",
	"GET " + base + "/stats":        "",
	"GET " + base + "/health":       "",
}

// eachRoute calls f with a request for every admin route of e, and
// checks that they are the routes listed in wantRoutes.
func eachRoute(t *testing.T, e *gin.Engine, f func(method, path string)) {
	t.Helper()
	got := adminRoutes(e, base)
	require.Len(t, got, len(wantRoutes), "admin routes")
	for _, r := range got {
		query, ok := wantRoutes[r]
		require.True(t, ok, "route %s is not in wantRoutes", r)
		method, path, _ := strings.Cut(r, " ")
		f(method, strings.Replace(path, "*key", "some-key", 1)+query)
	}
}

// TestLoopbackOnlyRefusesRemotePeers serves over real HTTP to peers that
// are not loopback: every route, the page included, answers 403 JSON,
// with or without a forged X-Forwarded-For naming loopback.
func TestLoopbackOnlyRefusesRemotePeers(t *testing.T) {
	listeners := map[string]func(t *testing.T) net.Listener{"reported as 203.0.113.7": newRemoteListener}
	// A real non-loopback address of this machine, when it has one: the
	// server then sees the kernel's own peer address.
	if ip := nonLoopbackIP(); ip != nil {
		listeners["real interface "+ip.String()] = func(t *testing.T) net.Listener {
			l, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
			require.NoError(t, err)
			return l
		}
	}
	for name, listen := range listeners {
		t.Run(name, func(t *testing.T) {
			be := backends()[0].open(t)
			a := newApp(t, be, appConfig{listener: listen(t)})
			a.fill("/items/1")
			eachRoute(t, a.engine, func(method, path string) {
				for _, forged := range [][]string{nil, {"X-Forwarded-For", "127.0.0.1"}, {"X-Real-IP", "::1"}} {
					r := a.do(method, path, forged...)
					checkJSON(t, method+" "+path, r)
					msg, _ := r.errorBody(t)
					assert.Equal(t, 403, r.status, "%s %s from a remote peer (%v): %d %s", method, path, forged, r.status, r.body)
					assert.Contains(t, msg, "forbidden", "%s %s from a remote peer (%v): %d %s", method, path, forged, r.status, r.body)
				}
			})
			assert.Len(t, ourKeys(t, be), 1, "a refused request changed the cache")
		})
	}
}

// nonLoopbackIP returns an IPv4 address of an up, non-loopback interface,
// or nil.
func nonLoopbackIP() net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil && !n.IP.IsLinkLocalUnicast() {
			return n.IP
		}
	}
	return nil
}

// TestLoopbackOnlyRefusesProxiedRequests comes from loopback over real
// HTTP: plain requests pass; any forwarding header (a proxy on the same
// host) or a Host that is not local (DNS rebinding) gets 403.
func TestLoopbackOnlyRefusesProxiedRequests(t *testing.T) {
	a := newApp(t, backends()[0].open(t), appConfig{})
	port := a.srv.Listener.Addr().(*net.TCPAddr).Port
	for _, host := range []string{"", "localhost", "LOCALHOST.", "admin.localhost", "127.0.0.1", "127.8.9.10", "[::1]"} {
		hdr := []string{}
		if host != "" {
			hdr = []string{"Host", host + ":" + strconv.Itoa(port)}
		}
		r := a.do("GET", base+"/stats", hdr...)
		assert.Equal(t, 200, r.status, "Host %q from loopback: %d %s", host, r.status, r.body)
	}
	refused := [][]string{
		{"X-Forwarded-For", "127.0.0.1"},
		{"X-Forwarded-For", ""},
		{"X-Real-IP", "127.0.0.1"},
		{"Forwarded", "for=127.0.0.1"},
		{"X-Forwarded-Host", "localhost"},
		{"X-Forwarded-Proto", "https"},
		{"True-Client-IP", "127.0.0.1"},
		{"CF-Connecting-IP", "127.0.0.1"},
		{"Via", "1.1 proxy"},
		{"Host", "evil.example:" + strconv.Itoa(port)},
		{"Host", "localhost.evil.example"},
		{"Host", "192.0.2.1"},
	}
	for _, h := range refused {
		eachRoute(t, a.engine, func(method, path string) {
			r := a.do(method, path, h...)
			checkJSON(t, method+" "+path, r)
			msg, _ := r.errorBody(t)
			assert.Equal(t, 403, r.status, "%s %s with %s: %q: %d %s", method, path, h[0], h[1], r.status, r.body)
			assert.Contains(t, msg, "forbidden", "%s %s with %s: %q: %d %s", method, path, h[0], h[1], r.status, r.body)
		})
	}
}

// TestLoopbackOnlyPeers drives the rule with peer addresses a listener
// cannot easily produce (IPv6, unix sockets), through the engine.
func TestLoopbackOnlyPeers(t *testing.T) {
	a := newApp(t, backends()[0].open(t), appConfig{})
	for peer, want := range map[string]int{
		"127.0.0.1:5000":        200,
		"127.1.2.3:5000":        200,
		"[::1]:5000":            200,
		"[::ffff:127.0.0.1]:80": 200,
		"192.0.2.1:5000":        403,
		"[2001:db8::1]:5000":    403,
		"[::]:5000":             403,
		"0.0.0.0:5000":          403,
		"@":                     403, // a unix socket peer
		"":                      403,
		"127.0.0.1":             403, // no port: not a TCP peer address
	} {
		req := httptest.NewRequest("GET", base+"/stats", nil)
		req.RemoteAddr = peer
		req.Host = "localhost"
		w := httptest.NewRecorder()
		a.engine.ServeHTTP(w, req)
		assert.Equal(t, want, w.Code, "peer %q", peer)
	}
}

// TestCrossOriginWritesRefused: a page of another site cannot make the
// operator's browser POST or DELETE, whatever the auth mode; same-origin
// pages, tools without browser headers and trusted origins can.
func TestCrossOriginWritesRefused(t *testing.T) {
	be := backends()[0].open(t)
	a := newApp(t, be, appConfig{admin: []admin.Option{admin.WithTrustedOrigin("https://ops.example")}})
	a.fill("/items/1")
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
		{"Origin", "https://evil.example"},
	} {
		for _, path := range []string{"/clear", "/invalidate?path=/items/1"} {
			r := a.do("POST", base+path, h...)
			checkJSON(t, "cross-origin POST", r)
			msg, _ := r.errorBody(t)
			assert.Equal(t, 403, r.status, "POST %s with %s: %s: %d %s", path, h[0], h[1], r.status, r.body)
			assert.Contains(t, msg, "origin", "POST %s with %s: %s: %d %s", path, h[0], h[1], r.status, r.body)
		}
		r := a.do("DELETE", base+"/keys/x", h...)
		assert.Equal(t, 403, r.status, "DELETE with %s: %s", h[0], h[1])
		// Reads are safe: the browser does not let the page see them.
		r = a.do("GET", base+"/keys", h...)
		assert.Equal(t, 200, r.status, "GET with %s: %s", h[0], h[1])
	}
	r := a.do("GET", "/items/1")
	require.Equal(t, "HIT", r.header.Get("X-Cache"), "a refused cross-origin request cleared the cache")
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "same-origin"},
		{"Sec-Fetch-Site", "none"},
		{"Origin", "https://ops.example"},
		{},
	} {
		r := a.do("POST", base+"/clear", h...)
		assert.Equal(t, 200, r.status, "POST /clear with %v: %d %s", h, r.status, r.body)
	}
}

// TestMountServesNothingElse checks that Mount only adds its routes:
// no handler reaches requests outside the base.
func TestMountServesNothingElse(t *testing.T) {
	cache, err := gincache.New(nil)
	require.NoError(t, err)
	defer cache.Close()
	e := gin.New()
	_, err = admin.Mount(e, cache)
	require.NoError(t, err)
	e.GET("/app", func(c *gin.Context) { c.String(200, "app") })
	w := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/app", nil)
	req.Header.Set("X-Forwarded-For", "1.2.3.4")
	e.ServeHTTP(w, req)
	require.Equal(t, 200, w.Code, "the application's route was touched: %d %q %v", w.Code, w.Body, w.Header())
	require.Equal(t, "app", w.Body.String(), "the application's route was touched: %d %q %v", w.Code, w.Body, w.Header())
	require.Empty(t, w.Header().Get("Cache-Control"), "the application's route was touched: %d %q %v", w.Code, w.Body, w.Header())
	for _, r := range e.Routes() {
		assert.True(t, r.Path == "/app" || strings.HasPrefix(r.Path, base+"/"), "Mount registered %s %s outside %s", r.Method, r.Path, base)
	}
	got := len(e.Routes())
	assert.Equal(t, len(wantRoutes)+1, got, "%d routes", got)
}
