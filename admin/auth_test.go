package admin_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

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
				if r.status != 401 || !strings.Contains(string(r.body), "token required") {
					t.Errorf("%s %s with %v: %d %s", method, path, hdr, r.status, r.body)
				}
				if r.header.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("%s %s: the auth middleware's answer lacks nosniff", method, path)
				}
			})
		}
		for _, p := range []string{"/items/1", "/spaces/1"} {
			if r := a.do("GET", p); r.header.Get("X-Cache") != "HIT" {
				t.Fatalf("GET %s: %s: an unauthenticated admin request changed the cache", p, r.header.Get("X-Cache"))
			}
		}
		eachRoute(t, a.engine, func(method, path string) {
			r := a.do(method, path, "Authorization", "Bearer s3cret")
			if r.status >= 400 && r.status != 404 {
				t.Errorf("%s %s with the token: %d %s", method, path, r.status, r.body)
			}
		})
		if r := a.do("GET", "/spaces/1"); r.header.Get("X-Cache") != "MISS" {
			t.Errorf("the authenticated POST /clear did not clear")
		}
	})
}

// TestAuthWithLoopbackOnly keeps the loopback rule next to a token.
func TestAuthWithLoopbackOnly(t *testing.T) {
	auth := admin.WithAuth(admin.LoopbackOnly(), tokenAuth("s3cret"))
	remote := newApp(t, backends()[0].open(t), appConfig{listener: newRemoteListener(t), admin: []admin.Option{auth}})
	if r := remote.do("GET", base+"/stats", "Authorization", "Bearer s3cret"); r.status != 403 {
		t.Errorf("remote peer with the token: %d", r.status)
	}
	local := newApp(t, backends()[0].open(t), appConfig{admin: []admin.Option{auth}})
	if r := local.do("GET", base+"/stats"); r.status != 401 {
		t.Errorf("loopback without the token: %d", r.status)
	}
	if r := local.do("GET", base+"/stats", "Authorization", "Bearer s3cret"); r.status != 200 {
		t.Errorf("loopback with the token: %d", r.status)
	}
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
	if !strings.Contains(logged.String(), "level=WARN") || !strings.Contains(logged.String(), "WITHOUT authentication") ||
		!strings.Contains(logged.String(), "base="+base) {
		t.Fatalf("Mount logged %q", logged.String())
	}
	eachRoute(t, a.engine, func(method, path string) {
		if r := a.do(method, path, "X-Forwarded-For", "198.51.100.1"); r.status >= 400 && r.status != 404 {
			t.Errorf("%s %s: %d %s", method, path, r.status, r.body)
		}
	})
}

func TestMountRejectsNonsense(t *testing.T) {
	cache, err := gincache.New(nil)
	if err != nil {
		t.Fatal(err)
	}
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
			if err == nil || g != nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "admin: ") {
				t.Fatalf("Mount: %v, want an error about %q", err, tc.want)
			}
			if n := len(e.Routes()); n != 0 {
				t.Fatalf("a failed Mount registered %d routes", n)
			}
		})
	}
	// Every problem at once.
	_, err = admin.Mount(gin.New(), nil, admin.WithBase("x"), admin.WithAuth())
	for _, want := range []string{"nil cache", "WithBase", "WithAuth"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
}

// TestWithBase mounts under other paths, on a group too, and checks the
// page and the API answer there and nowhere else.
func TestWithBase(t *testing.T) {
	cache, err := gincache.New(nil)
	if err != nil {
		t.Fatal(err)
	}
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
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSuffix(g.BasePath(), "/") + "/"; got != tc.page {
			t.Errorf("WithBase(%q) under %q: group at %q, want %q", tc.base, tc.under, g.BasePath(), tc.page)
		}
		for _, path := range []string{tc.page, tc.page + "stats", tc.page + "keys"} {
			w := serveLocal(e, "GET", path)
			if w.Code != 200 {
				t.Errorf("WithBase(%q) under %q: GET %s: %d", tc.base, tc.under, path, w.Code)
			}
		}
		if w := serveLocal(e, "GET", base+"/stats"); w.Code != 404 {
			t.Errorf("WithBase(%q): the default base still answers: %d", tc.base, w.Code)
		}
	}
}
