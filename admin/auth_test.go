package admin_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/admin"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

// tokenAuth is an auth middleware: it refuses requests without the token.
func tokenAuth(token string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.GetHeader("Authorization") != "Bearer "+token {
			c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "token required"})
		}
	}
}

// TestAuthRunsBeforeEveryRoute walks every admin route, the page
// included, from a remote peer: without the token each gets the auth
// middleware's 401 and changes nothing; with it each is served (the
// loopback rule is replaced, not added).
func TestAuthRunsBeforeEveryRoute(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		be := bc.open(t)
		a := newApp(t, be, appConfig{
			listener: newRemoteListener(t),
			admin:    []admin.Option{admin.WithAuth(tokenAuth("s3cret"))},
		})
		a.fill("/items/1", "/spaces/1")
		for _, hdr := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", "s3cret"}} {
			eachRoute(t, a.engine, func(method, path string) {
				r := a.do(method, path, hdr...)
				assert.Equal(t, 401, r.status, "%s %s with %v: %d %s", method, path, hdr, r.status, r.body)
				assert.Contains(t, string(r.body), "token required", "%s %s with %v: %d %s", method, path, hdr, r.status, r.body)
				assert.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"), "%s %s: the auth middleware's answer lacks nosniff", method, path)
			})
		}
		for _, p := range []string{"/items/1", "/spaces/1"} {
			r := a.do("GET", p)
			require.Equal(t, "HIT", r.header.Get("X-Cache"), "GET %s: %s: an unauthenticated admin request changed the cache", p, r.header.Get("X-Cache"))
		}
		eachRoute(t, a.engine, func(method, path string) {
			r := a.do(method, path, "Authorization", "Bearer s3cret")
			assert.True(t, r.status < 400 || r.status == 404, "%s %s with the token: %d %s", method, path, r.status, r.body)
		})
		r := a.do("GET", "/spaces/1")
		assert.Equal(t, "MISS", r.header.Get("X-Cache"), "the authenticated POST /clear did not clear")
	})
}

// TestAuthWithLoopbackOnly keeps the loopback rule next to a token.
func TestAuthWithLoopbackOnly(t *testing.T) {
	auth := admin.WithAuth(admin.LoopbackOnly(), tokenAuth("s3cret"))
	remote := newApp(t, backends()[0].open(t), appConfig{listener: newRemoteListener(t), admin: []admin.Option{auth}})
	r := remote.do("GET", base+"/stats", "Authorization", "Bearer s3cret")
	assert.Equal(t, 403, r.status, "remote peer with the token")
	local := newApp(t, backends()[0].open(t), appConfig{admin: []admin.Option{auth}})
	r = local.do("GET", base+"/stats")
	assert.Equal(t, 401, r.status, "loopback without the token")
	r = local.do("GET", base+"/stats", "Authorization", "Bearer s3cret")
	assert.Equal(t, 200, r.status, "loopback with the token")
}

// TestUnsafeAllowRemoteWithoutAuth serves a remote peer and says so in
// the log at Mount.
func TestUnsafeAllowRemoteWithoutAuth(t *testing.T) {
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	a := newApp(t, backends()[0].open(t), appConfig{
		listener: newRemoteListener(t),
		admin:    []admin.Option{admin.UnsafeAllowRemoteWithoutAuth(), admin.WithLogger(log)},
	})
	require.Contains(t, logged.String(), "level=WARN", "Mount logged %q", logged.String())
	require.Contains(t, logged.String(), "WITHOUT authentication", "Mount logged %q", logged.String())
	require.Contains(t, logged.String(), "base="+base, "Mount logged %q", logged.String())
	eachRoute(t, a.engine, func(method, path string) {
		r := a.do(method, path, "X-Forwarded-For", "198.51.100.1")
		assert.True(t, r.status < 400 || r.status == 404, "%s %s: %d %s", method, path, r.status, r.body)
	})
}

func TestMountRejectsNonsense(t *testing.T) {
	cache, err := gincache.New(nil)
	require.NoError(t, err)
	defer cache.Close()
	cases := []struct {
		name  string
		cache *gincache.Cache
		opts  []admin.Option
		want  string
	}{
		{"nil cache", nil, nil, "nil cache"},
		{"nil option", cache, []admin.Option{nil}, "nil Option"},
		{"relative base", cache, []admin.Option{admin.WithBase("api/cache")}, "WithBase"},
		{"empty base", cache, []admin.Option{admin.WithBase("")}, "WithBase"},
		{"param in base", cache, []admin.Option{admin.WithBase("/api/:tenant")}, "WithBase"},
		{"wildcard in base", cache, []admin.Option{admin.WithBase("/api/*x")}, "WithBase"},
		{"dot segment", cache, []admin.Option{admin.WithBase("/api/../x")}, "WithBase"},
		{"double slash", cache, []admin.Option{admin.WithBase("/api//x")}, "WithBase"},
		{"space", cache, []admin.Option{admin.WithBase("/api cache")}, "WithBase"},
		{"no auth handler", cache, []admin.Option{admin.WithAuth()}, "WithAuth"},
		{"nil auth handler", cache, []admin.Option{admin.WithAuth(nil)}, "WithAuth"},
		{"nil logger", cache, []admin.Option{admin.WithLogger(nil)}, "WithLogger"},
		{"bad origin", cache, []admin.Option{admin.WithTrustedOrigin("ops.example")}, "WithTrustedOrigin"},
		{"unsafe and auth", cache, []admin.Option{admin.UnsafeAllowRemoteWithoutAuth(), admin.WithAuth(tokenAuth("x"))}, "contradict"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := gin.New()
			g, err := admin.Mount(e, tc.cache, tc.opts...)
			require.Error(t, err, "Mount: %v, want an error about %q", err, tc.want)
			require.Nil(t, g, "Mount: %v, want an error about %q", err, tc.want)
			require.Contains(t, err.Error(), tc.want, "Mount: %v, want an error about %q", err, tc.want)
			require.True(t, strings.HasPrefix(err.Error(), "admin: "), "Mount: %v, want an error about %q", err, tc.want)
			n := len(e.Routes())
			require.Equal(t, 0, n, "a failed Mount registered %d routes", n)
		})
	}
	// Every problem at once.
	_, err = admin.Mount(gin.New(), nil, admin.WithBase("x"), admin.WithAuth())
	for _, want := range []string{"nil cache", "WithBase", "WithAuth"} {
		assert.ErrorContains(t, err, want, "error %v does not mention %q", err, want)
	}
}

// TestWithBase mounts under other paths, on a group too, and checks the
// page and the API answer there and nowhere else.
func TestWithBase(t *testing.T) {
	cache, err := gincache.New(nil)
	require.NoError(t, err)
	defer cache.Close()
	cases := []struct {
		base, under, page string
	}{
		{"/ops/cache/", "", "/ops/cache/"},
		{"/", "", "/"},
		{"/cache", "/internal", "/internal/cache/"},
	}
	for _, tc := range cases {
		e := gin.New()
		var r gin.IRouter = e
		if tc.under != "" {
			r = e.Group(tc.under)
		}
		g, err := admin.Mount(r, cache, admin.WithBase(tc.base))
		require.NoError(t, err)
		got := strings.TrimSuffix(g.BasePath(), "/") + "/"
		assert.Equal(t, tc.page, got, "WithBase(%q) under %q: group at %q", tc.base, tc.under, g.BasePath())
		for _, path := range []string{tc.page, tc.page + "stats", tc.page + "keys"} {
			w := serveLocal(e, "GET", path)
			assert.Equal(t, 200, w.Code, "WithBase(%q) under %q: GET %s", tc.base, tc.under, path)
		}
		w := serveLocal(e, "GET", base+"/stats")
		assert.Equal(t, 404, w.Code, "WithBase(%q): the default base still answers", tc.base)
	}
}
