package admin_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/admin"
	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/memory"
	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/gincache"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// The fuzz targets send hostile query strings and key paths to the real
// admin handlers, through a real Gin engine (one with UseRawPath, one
// without), on the memory backend and on Redis, and check after each
// request that:
//
//   - nothing panicked, and nothing answered 3xx or 5xx;
//   - every answer is JSON, and every rejection a 4xx naming its param;
//   - nothing outside the cache's prefix was deleted, whatever the
//     pattern or key: entries of other prefixes stored through the same
//     backend, and on Redis raw keys of other programs and the cache's
//     own token namespace;
//   - what was deleted is what the answer says: a DELETE removes exactly
//     the key its path names (decoded once), a clear removes as many
//     entries as it reports, and nothing else removes anything;
//   - a listing shows only keys under the prefix.

// fuzzPrefix is the cache's key prefix (the default); redisPrefix the
// Redis backend's own KeyPrefix.
const (
	fuzzPrefix  = gincache.DefaultKeyPrefix + ":"
	redisPrefix = "fz"
)

// fuzzOurs are entries under the cache's prefix, which the admin routes may
// list and delete; every request starts with all of them present.
var fuzzOurs = []string{
	fuzzPrefix + "1:GET:localhost/items::",
	fuzzPrefix + "1:GET:localhost/spaces/4::",
	fuzzPrefix + "a/b",
	fuzzPrefix + "a%2Fb",
	fuzzPrefix + "a b",
	fuzzPrefix + "a+b",
	fuzzPrefix + "*",
	fuzzPrefix + `k\`,
	fuzzPrefix + "[x]",
	fuzzPrefix + "gincache:nested",
	fuzzPrefix + "\x00\xff",
}

// fuzzForeign are entries of other applications in the same backend,
// whose keys look as much like ours as a key outside the prefix can.
var fuzzForeign = []string{
	"other:1:GET:localhost/items::",
	"gincachex:1:GET:localhost/items::",
	"gincache",
	"gincach:a",
	"GINCACHE:a",
	"xgincache:a",
	"gincache*",
	"gincache?a",
	`gincache\:a`,
	"[g]incache:a",
	"*",
	"",
}

// fuzzRawForeign are Redis keys the backend's namespaces do not cover (or
// its token namespace), written by other programs sharing the database.
var fuzzRawForeign = []string{
	"gincache:1:GET:localhost/items::",
	redisPrefix + ":t:" + fuzzPrefix + "a",
	redisPrefix + ":t:a",
	redisPrefix + ":" + fuzzPrefix + "a",
	redisPrefix + ":e",
	redisPrefix + ":ex:" + fuzzPrefix + "a",
	"other:e:" + fuzzPrefix + "a",
}

// fuzzEnv is one backend with the admin routes mounted on it.
type fuzzEnv struct {
	name    string
	be      backend.Backend
	engines []*gin.Engine // UseRawPath off, then on
	// missing lists, in one round trip, the entries of keys and the raw
	// foreign keys that are gone.
	missing func(t testing.TB, keys []string) (entries, raw []string)
	// gone are our entries the last request deleted, to put back.
	gone []string
}

func newFuzzEnvs(f *testing.F) []*fuzzEnv {
	ctx := context.Background()
	mem, err := memory.New(memory.Options{})
	require.NoError(f, err)
	f.Cleanup(func() { mem.Close() })
	envs := []*fuzzEnv{{name: "memory", be: mem, missing: func(t testing.TB, keys []string) (entries, raw []string) {
		for _, k := range keys {
			_, err := mem.Lookup(ctx, k, backend.Tokens{})
			if errors.Is(err, backend.ErrNotFound) {
				entries = append(entries, k)
				continue
			}
			require.NoError(t, err)
		}
		return entries, nil
	}}}

	srv := testutil.StartRedis(f)
	rb, err := redis.New(srv.URL(), testRedisOptions(redisPrefix))
	require.NoError(f, err)
	f.Cleanup(func() { rb.Close() })
	rc := srv.Client()
	for _, k := range fuzzRawForeign {
		require.NoError(f, rc.Set(ctx, k, "not ours", 0).Err())
	}
	envs = append(envs, &fuzzEnv{name: "redis", be: rb, missing: func(t testing.TB, keys []string) (entries, raw []string) {
		pipe := rc.Pipeline()
		exists := make([]*goredis.IntCmd, 0, len(keys)+len(fuzzRawForeign))
		for _, k := range keys {
			exists = append(exists, pipe.Exists(ctx, redisPrefix+":e:"+k))
		}
		for _, k := range fuzzRawForeign {
			exists = append(exists, pipe.Exists(ctx, k))
		}
		_, err := pipe.Exec(ctx)
		require.NoError(t, err)
		for i, c := range exists {
			switch {
			case c.Val() == 1:
			case i < len(keys):
				entries = append(entries, keys[i])
			default:
				raw = append(raw, fuzzRawForeign[i-len(keys)])
			}
		}
		return entries, raw
	}})

	for _, env := range envs {
		cache, err := gincache.New(table, gincache.WithBackend(env.be), gincache.WithLogger(quietLog), gincache.WithBudget(testutil.Budget))
		require.NoError(f, err)
		f.Cleanup(func() { cache.Close() })
		env.store(f, fuzzForeign)
		env.store(f, fuzzOurs)
		for _, rawPath := range []bool{false, true} {
			e := gin.New()
			e.UseRawPath = rawPath
			_, err := admin.Mount(e, cache)
			require.NoError(f, err)
			env.engines = append(env.engines, e)
		}
	}
	return envs
}

// store puts an entry under each key, depending on no token.
func (env *fuzzEnv) store(t testing.TB, keys []string) {
	now := time.Now()
	for _, k := range keys {
		e := &backend.Entry{Status: 200, Body: []byte(k), StoredAt: now, Expires: now.Add(time.Hour)}
		require.NoError(t, env.be.Store(context.Background(), k, e, time.Hour, backend.Tokens{}))
	}
}

// fuzzRequest builds the request a server would read for this request
// line, as net/http parses it; ok is false for a request line no server
// would accept (it answers 400 before any handler runs).
func fuzzRequest(method, target string) (*http.Request, bool) {
	if strings.ContainsAny(target, "\r\n") {
		return nil, false
	}
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n")))
	if err != nil {
		return nil, false
	}
	req.RemoteAddr = "127.0.0.1:40000"
	return req, true
}

// outcome is an admin answer, checked for the shape every answer has.
type outcome struct {
	status int
	body   []byte
	param  string
}

func checkedServe(t *testing.T, e *gin.Engine, req *http.Request, what string) outcome {
	t.Helper()
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
	out := outcome{status: w.Code, body: w.Body.Bytes()}
	require.True(t, w.Code == http.StatusOK || w.Code >= 400 && w.Code <= 499, "%s: status %d: %s", what, w.Code, w.Body)
	ct := w.Header().Get("Content-Type")
	require.Equal(t, "application/json; charset=utf-8", ct, "%s: status %d with Content-Type %q: %q", what, w.Code, ct, w.Body)
	require.True(t, json.Valid(out.body), "%s: body is not JSON: %q", what, out.body)
	if w.Code >= 400 {
		var e struct{ Error, Param string }
		err := json.Unmarshal(out.body, &e)
		require.NoError(t, err, "%s: rejection %d without an error and a param: %s", what, w.Code, out.body)
		require.NotEmpty(t, e.Error, "%s: rejection %d without an error and a param: %s", what, w.Code, out.body)
		require.NotEmpty(t, e.Param, "%s: rejection %d without an error and a param: %s", what, w.Code, out.body)
		out.param = e.Param
	}
	return out
}

// serveAndAccount runs one request on every engine of every backend, with
// every key of ours present before it, checks that it deleted nothing
// outside the prefix, and hands the answer and the keys of ours it
// deleted to account.
func serveAndAccount(t *testing.T, envs []*fuzzEnv, method, target string, account func(t *testing.T, o outcome, gone []string)) {
	for _, env := range envs {
		for _, e := range env.engines {
			req, ok := fuzzRequest(method, target)
			if !ok {
				return
			}
			env.store(t, env.gone)
			what := env.name + " UseRawPath=" + strconv.FormatBool(e.UseRawPath) + ": " + method + " " + target
			o := checkedServe(t, e, req, what)
			lost, rawLost := env.missing(t, append(fuzzForeign[:len(fuzzForeign):len(fuzzForeign)], fuzzOurs...))
			var gone []string
			for _, k := range lost {
				require.True(t, strings.HasPrefix(k, fuzzPrefix), "%s: deleted entries outside the prefix %q: %q (answer %d %s)", what, fuzzPrefix, lost, o.status, o.body)
				gone = append(gone, k)
			}
			require.Empty(t, rawLost, "%s: deleted Redis keys outside the backend's entries: %q (answer %d %s)", what, rawLost, o.status, o.body)
			env.gone = gone
			account(t, o, gone)
		}
	}
}

// Routes of FuzzAdminQuery, by the first argument modulo their number.
var fuzzQueryRoutes = []struct{ method, path string }{
	{http.MethodGet, "/api/cache/keys"},
	{http.MethodPost, "/api/cache/clear"},
	{http.MethodPost, "/api/cache/invalidate"},
	{http.MethodDelete, "/api/cache/keys/a%2Fb"},
	{http.MethodGet, "/api/cache/stats"},
}

func FuzzAdminQuery(f *testing.F) {
	for _, s := range []struct {
		route uint8
		query string
	}{
		{0, ""}, {0, "pattern=*"}, {0, "pattern=a*&count=1"}, {0, "pattern=%5B&cursor=0"}, {0, "count=1000"},
		{0, "count=0"}, {0, "count=1001"}, {0, "count=-1"}, {0, "count=1e3"}, {0, "count=%201"}, {0, "cursor=abc"},
		{0, "cursor=AA"}, {0, "cursor=MA"}, {0, "pattern=\\"}, {0, "pattern=*&pattern=*"}, {0, "patern=*"},
		{0, "pattern=%zz"}, {0, "pattern=a;b"}, {0, "=1"}, {0, "&&"}, {0, "pattern"},
		{1, ""}, {1, "pattern="}, {1, "pattern=*"}, {1, "pattern=a%2Fb"}, {1, "pattern=%2A"}, {1, "pattern=[a-z]*"},
		{1, "pattern=\\*"}, {1, "pattern=*%00"}, {1, "pattern=../*"}, {1, "pattern=gincache:*"}, {1, "pattern=*&x=1"},
		{2, "path=/spaces/4"}, {2, "path=/spaces/4&method=patch"}, {2, "path=/spaces/*"}, {2, "target=/spaces/*"},
		{2, "target=/"}, {2, "target=spaces"}, {2, "path=/a&target=/b"}, {2, "target=/a&method=PUT"},
		{2, "path=/a&method=GET"}, {2, "path=/a&method="}, {2, "method=POST"}, {2, ""}, {2, "path=" + strings.Repeat("a", 3000)},
		{3, ""}, {3, "x=1"}, {3, "key=a"}, {4, ""}, {4, "reset=1"},
	} {
		f.Add(s.route, s.query)
	}
	envs := newFuzzEnvs(f)
	f.Fuzz(func(t *testing.T, route uint8, query string) {
		r := fuzzQueryRoutes[int(route)%len(fuzzQueryRoutes)]
		serveAndAccount(t, envs, r.method, r.path+"?"+query, func(t *testing.T, o outcome, gone []string) {
			what := r.method + " " + r.path + "?" + query
			switch {
			case o.status >= 400 && len(gone) > 0:
				t.Fatalf("%s: rejected (%s) but deleted %q", what, o.body, gone)
			case o.status >= 400:
			case r.path == "/api/cache/clear":
				var c struct{ Cleared int }
				err := json.Unmarshal(o.body, &c)
				require.NoError(t, err, "%s: answered %s but deleted %q", what, o.body, gone)
				require.Len(t, gone, c.Cleared, "%s: answered %s but deleted %q", what, o.body, gone)
			case r.method == http.MethodDelete:
				if len(gone) > 1 || len(gone) == 1 && gone[0] != fuzzPrefix+"a/b" {
					t.Fatalf("%s: deleted %q", what, gone)
				}
			case len(gone) > 0:
				t.Fatalf("%s: answered %s but deleted %q", what, o.body, gone)
			case r.path == "/api/cache/keys":
				var page admin.KeyPage
				require.NoError(t, json.Unmarshal(o.body, &page), "%s", what)
				for _, k := range page.Keys {
					// JSON shows a key that is not UTF-8 (only
					// Service.Set can write one) with U+FFFD.
					require.True(t, slices.ContainsFunc(fuzzOurs, func(o string) bool { return strings.ToValidUTF8(o, "\uFFFD") == fuzzPrefix+k.Key }), "%s: listed %q, which is not an entry under the prefix", what, k.Key)
				}
			}
		})
	})
}

func FuzzAdminKeyPath(f *testing.F) {
	for _, s := range []string{
		"1:GET:localhost/items::", "1:GET:localhost%2Fitems::", "a/b", "a%2Fb", "a%252Fb", "a%20b", "a+b", "a b",
		"*", "%2A", `k\`, "k%5C", "[x]", "gincache:nested", "%00%FF", "", "/", "//a/b", "../other:1:GET:localhost/items::",
		"..%2F..%2Fother:a", "%2e%2e/x", "a?pattern=*", "a#frag", "a%3Fb", "%zz", "%", "a;b", strings.Repeat("k", 3000),
	} {
		f.Add(s)
	}
	envs := newFuzzEnvs(f)
	const base = "/api/cache/keys/"
	f.Fuzz(func(t *testing.T, path string) {
		req, ok := fuzzRequest(http.MethodDelete, base+path)
		if !ok {
			return
		}
		// The key the client means: the rest of the path, decoded once,
		// as net/http decoded it.
		key, ok := strings.CutPrefix(req.URL.Path, base)
		if !ok {
			t.Skip("not under the keys route once parsed")
		}
		serveAndAccount(t, envs, http.MethodDelete, base+path, func(t *testing.T, o outcome, gone []string) {
			what := "DELETE " + base + path
			ours := slices.Contains(fuzzOurs, fuzzPrefix+key)
			switch {
			case o.status == http.StatusOK:
				require.Len(t, gone, 1, "%s: answered %s for key %q but deleted %q", what, o.body, key, gone)
				require.Equal(t, fuzzPrefix+key, gone[0], "%s: answered %s for key %q but deleted %q", what, o.body, key, gone)
			case len(gone) > 0:
				t.Fatalf("%s: answered %d %s but deleted %q", what, o.status, o.body, gone)
			case o.status == http.StatusNotFound && ours:
				t.Fatalf("%s: key %q is stored, yet the answer is %s", what, key, o.body)
			case o.status == http.StatusBadRequest && ours && req.URL.RawQuery == "":
				t.Fatalf("%s: key %q is stored, yet the request was refused: %s", what, key, o.body)
			}
		})
	})
}
