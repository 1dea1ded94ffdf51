package near_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend/near"
	redisbackend "github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
	"github.com/intelligentcache/gin-intelligent-cache/internal/quickstart"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

var quiet = slog.New(slog.DiscardHandler)

// instance is one app instance: a real Gin engine over real HTTP, its
// cache on a near cache in front of a shared Redis.
type instance struct {
	cache *gincache.Cache
	near  *near.Near
	url   string
	gate  *gate
}

// newInstance builds an instance on src (a Redis backend the test made).
func newInstance(t *testing.T, src *redisbackend.Redis, store *quickstart.Store, delta time.Duration) *instance {
	t.Helper()
	gin.SetMode(gin.TestMode)
	g := &gate{}
	g.cond = sync.NewCond(&g.mu)
	opts := near.Options{Delta: delta, Logger: quiet}
	near.WrapConn(&opts, g.wrap)
	n, err := near.New(src, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = n.Close() })
	// A generous budget: on a loaded machine a lookup past the default
	// 50ms would turn the MISS the tests check into a SKIP.
	c, err := gincache.New(quickstart.CachePolicies, gincache.WithBackend(n), gincache.WithLogger(quiet),
		gincache.WithBudget(5*time.Second), gincache.WithWriteBudget(5*time.Second))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	r := gin.New()
	r.Use(c.Middleware())
	(&quickstart.API{Store: store}).Register(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	// Runs before the near cache's Close: a frozen channel would hold it.
	t.Cleanup(g.thaw)
	return &instance{cache: c, near: n, url: srv.URL, gate: g}
}

// newRedis returns a Redis backend on url with its own key prefix.
func newRedis(t *testing.T, url string) *redisbackend.Redis {
	t.Helper()
	r, err := redisbackend.New(url, redisbackend.Options{KeyPrefix: "app", Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// waitLeased waits until the instance serves near hits.
func (in *instance) waitLeased(t *testing.T) {
	t.Helper()
	testutil.WaitFor(t, "the near cache's lease", func() bool { return in.near.Stats().Leased })
}

func (in *instance) nearHits() uint64 { return in.cache.Service().Stats().NearHits }

type reply struct {
	status  int
	xcache  string
	etag    string
	version int
	name    string
}

var client = &http.Client{Timeout: 30 * time.Second}

func (in *instance) do(t *testing.T, method, path, body string, header ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, in.url+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Host = "api.example.com"
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := client.Do(req)
	require.NoError(t, err, "%s %s", method, path)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var doc struct {
		Space struct {
			Name    string `json:"name"`
			Version int    `json:"version"`
		} `json:"space"`
	}
	_ = json.Unmarshal(data, &doc)
	return reply{status: res.StatusCode, xcache: res.Header.Get("X-Cache"), etag: res.Header.Get("Etag"), version: doc.Space.Version, name: doc.Space.Name}
}

// nearHit GETs path and requires that the near cache answered it.
func (in *instance) nearHit(t *testing.T, path string) reply {
	t.Helper()
	before := in.nearHits()
	got := in.do(t, "GET", path, "")
	require.Equal(t, "HIT", got.xcache, "GET %s", path)
	require.Equal(t, before+1, in.nearHits(), "GET %s was not a near hit", path)
	return got
}

// warm GETs path until the near cache answers it: a miss stores it, a
// Redis hit keeps it near (unless the store's own invalidation of the
// key arrives after that lookup began: then the next one keeps it).
func (in *instance) warm(t *testing.T, path string) reply {
	t.Helper()
	in.waitLeased(t)
	var got reply
	testutil.WaitFor(t, "GET "+path+" to be a near hit", func() bool {
		before := in.nearHits()
		got = in.do(t, "GET", path, "")
		return in.nearHits() == before+1
	})
	return got
}

// gate freezes a connection's reads: data read while frozen is held until
// thawed, so nothing that arrived after the freeze is seen.
type gate struct {
	mu     sync.Mutex
	cond   *sync.Cond
	frozen bool
}

func (g *gate) wrap(c net.Conn) net.Conn { return &gatedConn{Conn: c, g: g} }

func (g *gate) freeze() {
	g.mu.Lock()
	g.frozen = true
	g.mu.Unlock()
}

func (g *gate) thaw() {
	g.mu.Lock()
	g.frozen = false
	g.cond.Broadcast()
	g.mu.Unlock()
}

type gatedConn struct {
	net.Conn
	g *gate
}

func (c *gatedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.g.mu.Lock()
	for c.g.frozen {
		c.g.cond.Wait()
	}
	c.g.mu.Unlock()
	return n, err
}
