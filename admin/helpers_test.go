package admin_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/admin"
	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/memory"
	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

func init() { gin.SetMode(gin.TestMode) }

// backendCase is a backend the route tests run on.
type backendCase struct {
	// name is also the backend's Kind.
	name string
	// open returns a fresh, empty backend that cleanup closes.
	open func(t *testing.T) backend.Backend
	// putRaw and rawPresent, when set, write and look up a key of the
	// backend's store itself (a Redis key written by another program in
	// the same database), beside the entries the Backend API writes.
	putRaw     func(t *testing.T, key string)
	rawPresent func(t *testing.T, key string) bool
}

// backends lists the backends every route test runs on: memory, and a
// real redis-server (miniredis where no binary exists and
// GINCACHE_REQUIRE_REDIS is unset), where raw keys written by another
// program share the database.
func backends() []backendCase {
	var srv *testutil.Redis
	return []backendCase{
		{name: "memory", open: func(t *testing.T) backend.Backend {
			m, err := memory.New(memory.Options{})
			require.NoError(t, err)
			t.Cleanup(func() { m.Close() })
			return m
		}},
		{name: "redis", open: func(t *testing.T) backend.Backend {
			srv = testutil.StartRedis(t)
			b, err := redis.New(srv.URL(), testRedisOptions(""))
			require.NoError(t, err)
			t.Cleanup(func() { b.Close() })
			return b
		}, putRaw: func(t *testing.T, key string) {
			require.NoError(t, srv.Client().Set(t.Context(), key, "foreign", 0).Err())
		}, rawPresent: func(t *testing.T, key string) bool {
			n, err := srv.Client().Exists(t.Context(), key).Result()
			require.NoError(t, err)
			return n == 1
		}},
	}
}

// testRedisOptions are the Redis backend's options in these tests, which
// fault no server: timeouts a loaded machine does not reach.
func testRedisOptions(prefix string) redis.Options {
	return redis.Options{KeyPrefix: prefix, DialTimeout: testutil.SocketTimeout, SocketTimeout: testutil.SocketTimeout}
}

// forEachBackend runs f as a subtest on every backend.
func forEachBackend(t *testing.T, f func(t *testing.T, bc backendCase)) {
	for _, bc := range backends() {
		t.Run(bc.name, func(t *testing.T) { f(t, bc) })
	}
}

// table is the policy table of the test application.
var table = gincache.Table{
	{Method: "GET", Path: "/items", Policy: gincache.Policy{TTL: time.Hour}},
	{Method: "GET", Path: "/items/:id", Policy: gincache.Policy{TTL: time.Hour}},
	{Method: "GET", Path: "/spaces", Policy: gincache.Policy{TTL: time.Hour}},
	{Method: "GET", Path: "/spaces/:id", Policy: gincache.Policy{TTL: time.Hour}},
}

// testApp is a real Gin engine behind a real HTTP server: the admin
// routes, and an application whose GETs the cache serves.
type testApp struct {
	t      *testing.T
	cache  *gincache.Cache
	be     backend.Backend
	engine *gin.Engine
	srv    *httptest.Server
	// runs counts handler runs, so a test tells a HIT from a MISS by
	// what the application did, not only by a header.
	runs atomic.Int64
}

// appConfig tunes newApp.
type appConfig struct {
	admin    []admin.Option
	listener net.Listener // default: a loopback one
	rawPath  bool         // Engine.UseRawPath
}

// newApp builds and starts the application on be.
func newApp(t *testing.T, be backend.Backend, cfg appConfig) *testApp {
	t.Helper()
	cache, err := gincache.New(table, gincache.WithBackend(be), gincache.WithLogger(quietLog), gincache.WithBudget(testutil.Budget))
	require.NoError(t, err)
	t.Cleanup(func() { cache.Close() })
	a := &testApp{t: t, cache: cache, be: be, engine: gin.New()}
	a.engine.UseRawPath = cfg.rawPath
	_, err = admin.Mount(a.engine, cache, cfg.admin...)
	require.NoError(t, err)
	app := a.engine.Group("/", cache.Middleware())
	handler := func(c *gin.Context) {
		n := a.runs.Add(1)
		c.JSON(http.StatusOK, gin.H{"path": c.Request.URL.Path, "run": n})
	}
	for _, r := range table {
		app.GET(r.Path, handler)
	}
	app.PUT("/spaces/:id", handler)
	app.POST("/spaces", handler)
	a.srv = httptest.NewUnstartedServer(a.engine)
	if cfg.listener != nil {
		a.srv.Listener.Close()
		a.srv.Listener = cfg.listener
	}
	a.srv.Start()
	t.Cleanup(a.srv.Close)
	return a
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// response is what a request got.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into v, failing the test if it is not JSON.
func (r response) json(t *testing.T, v any) {
	t.Helper()
	err := json.Unmarshal(r.body, v)
	require.NoError(t, err, "body is not JSON (%v): %q", err, r.body)
}

// errorBody decodes an admin error.
func (r response) errorBody(t *testing.T) (msg, param string) {
	t.Helper()
	var e struct {
		Error string `json:"error"`
		Param string `json:"param"`
	}
	r.json(t, &e)
	require.NotEmpty(t, e.Error, "error body without a message: %s", r.body)
	return e.Error, e.Param
}

// do sends a request over HTTP; header holds name, value pairs.
func (a *testApp) do(method, path string, header ...string) response {
	a.t.Helper()
	return send(a.t, a.srv.Client(), method, a.srv.URL+path, header...)
}

func send(t *testing.T, client *http.Client, method, url string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		if strings.EqualFold(header[i], "Host") {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	res, err := client.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{res.StatusCode, res.Header, body}
}

// checkJSON checks the headers every admin JSON answer carries.
func checkJSON(t *testing.T, what string, r response) {
	t.Helper()
	ct := r.header.Get("Content-Type")
	assert.Equal(t, "application/json; charset=utf-8", ct, "%s: Content-Type", what)
	assert.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"), "%s: no X-Content-Type-Options: nosniff", what)
	assert.Equal(t, "no-store", r.header.Get("Cache-Control"), "%s: Cache-Control", what)
	assert.True(t, json.Valid(r.body), "%s: body is not JSON: %q", what, r.body)
}

// entryKeys lists the full keys of every entry in the backend, ours and
// foreign, straight from the backend.
func entryKeys(t *testing.T, be backend.Backend) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	cursor := ""
	for {
		page, next, err := be.Scan(context.Background(), "", cursor, 100)
		require.NoError(t, err)
		for _, k := range page {
			keys[k.Key] = true
		}
		if next == "" {
			return keys
		}
		cursor = next
	}
}

// ourKeys is entryKeys below the default prefix, made relative.
func ourKeys(t *testing.T, be backend.Backend) map[string]bool {
	t.Helper()
	rel := map[string]bool{}
	for k := range entryKeys(t, be) {
		if r, ok := strings.CutPrefix(k, gincache.DefaultKeyPrefix+":"); ok {
			rel[r] = true
		}
	}
	return rel
}

// storeForeign puts an entry under a key outside our prefix, as another
// application sharing the backend would.
func storeForeign(t *testing.T, be backend.Backend, key string) {
	t.Helper()
	now := time.Now()
	e := &backend.Entry{Status: 200, Body: []byte("foreign " + key), StoredAt: now, Expires: now.Add(time.Hour)}
	require.NoError(t, be.Store(context.Background(), key, e, time.Hour, backend.Tokens{}))
}

// present reports whether the backend still holds an entry under key.
func present(t *testing.T, be backend.Backend, key string) bool {
	t.Helper()
	// A listing, not a Lookup: a response entry is valid only with the
	// token names it was stored under, which the test does not rebuild.
	cursor := ""
	for {
		keys, next, err := be.Scan(context.Background(), backend.EscapeGlob(key), cursor, 100)
		require.NoError(t, err, "scan for %q", key)
		for _, k := range keys {
			if k.Key == key {
				return true
			}
		}
		if cursor = next; cursor == "" {
			return false
		}
	}
}

// fill makes the application cache a response for each path.
func (a *testApp) fill(paths ...string) {
	a.t.Helper()
	for _, p := range paths {
		r := a.do("GET", p)
		require.Equal(a.t, 200, r.status, "GET %s: %d, X-Cache %q", p, r.status, r.header.Get("X-Cache"))
		require.Equal(a.t, "MISS", r.header.Get("X-Cache"), "GET %s: %d, X-Cache %q", p, r.status, r.header.Get("X-Cache"))
		// On Redis the store runs after the response. The next fill
		// waits for it: its lookup would find the tokens they share not
		// created yet, and its store would then refuse the entry.
		require.NoError(a.t, a.cache.WaitStores(a.t.Context()))
	}
}

// remoteListener makes every accepted connection report addr as its
// peer, as a connection from another host would.
type remoteListener struct {
	net.Listener
	addr net.Addr
}

func (l remoteListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return remoteConn{c, l.addr}, nil
}

type remoteConn struct {
	net.Conn
	addr net.Addr
}

func (c remoteConn) RemoteAddr() net.Addr { return c.addr }

// newRemoteListener listens on loopback, with peers reported as
// 203.0.113.7 (TEST-NET-3).
func newRemoteListener(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return remoteListener{l, &net.TCPAddr{IP: net.ParseIP("203.0.113.7"), Port: 40000}}
}

// adminRoutes lists the admin routes registered on the engine under
// base, as "METHOD path".
func adminRoutes(e *gin.Engine, base string) []string {
	var out []string
	for _, r := range e.Routes() {
		if r.Path == base || strings.HasPrefix(r.Path, strings.TrimSuffix(base, "/")+"/") {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// serveLocal serves a request from a loopback peer in process.
func serveLocal(e http.Handler, method, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	req.RemoteAddr = "127.0.0.1:5000"
	req.Host = "localhost"
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
	return w
}
