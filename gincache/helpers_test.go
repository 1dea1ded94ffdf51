package gincache

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend/memory"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

func init() { gin.SetMode(gin.TestMode) }

// quiet keeps expected error logs out of test output.
var quiet = WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))

// testApp is a real Gin engine behind a real HTTP server, with the cache
// on a memory backend driven by a fake clock.
type testApp struct {
	t      *testing.T
	cache  *Cache
	engine *gin.Engine
	clock  *testutil.Clock
	mem    *memory.Memory
	once   sync.Once
	srv    *httptest.Server
}

// newTestApp builds the app; routes are added to app.engine before the
// first request. With mw false the middleware is not mounted (the test
// mounts it itself).
func newTestApp(t *testing.T, table Table, opts ...Option) *testApp {
	t.Helper()
	clock := testutil.NewClock()
	mem, err := memory.New(memory.Options{Now: clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { mem.Close() })
	all := append([]Option{WithBackend(mem), WithClock(clock.Now), quiet}, opts...)
	c, err := New(table, all...)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return &testApp{t: t, cache: c, engine: gin.New(), clock: clock, mem: mem}
}

func (a *testApp) url(path string) string {
	a.once.Do(func() {
		a.srv = httptest.NewServer(a.engine)
		a.t.Cleanup(a.srv.Close)
	})
	return a.srv.URL + path
}

type response struct {
	status int
	header http.Header
	body   string
}

func (r response) xcache() string { return r.header.Get("X-Cache") }

// do sends a request; hdr holds header name, value pairs.
func (a *testApp) do(method, path string, hdr ...string) response {
	a.t.Helper()
	return a.doBody(method, path, "", hdr...)
}

func (a *testApp) doBody(method, path, body string, hdr ...string) response {
	a.t.Helper()
	req, err := http.NewRequest(method, a.url(path), strings.NewReader(body))
	require.NoError(a.t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		if strings.EqualFold(hdr[i], "Host") {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Add(hdr[i], hdr[i+1])
	}
	res, err := testClient.Do(req)
	require.NoError(a.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(a.t, err)
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

// testClient shows responses as they are: no redirects followed, no
// transparent decompression.
var testClient = &http.Client{
	Transport:     &http.Transport{DisableCompression: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// counter counts handler runs.
type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) inc() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n
}

func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func get(path string, ttl time.Duration) Route {
	return Route{Method: "GET", Path: path, Policy: Policy{TTL: ttl}}
}

func (r response) String() string {
	return fmt.Sprintf("status %d, X-Cache %q, Cache-Status %q, body %.200q", r.status, r.xcache(), r.header.Get("Cache-Status"), r.body)
}

// serve runs one request through an engine in process.
func serve(r http.Handler, method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}
