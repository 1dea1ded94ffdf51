package gincache

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keyFor builds the key of a GET of target (a request URI) on route
// policy p, with gin context values ctx.
func keyFor(t testing.TB, c *Cache, p Policy, host, target string, ctx map[string]any, hdr ...string) (string, skipReason) {
	t.Helper()
	u, err := url.ParseRequestURI(target)
	require.NoError(t, err, "bad target %q", target)
	req := &http.Request{Method: "GET", URL: u, Host: host, Header: http.Header{}}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	gc, _ := gin.CreateTestContext(httptest.NewRecorder())
	gc.Request = req
	for k, v := range ctx {
		gc.Set(k, v)
	}
	rs := c.newRouteState("GET", "/x", &p)
	b, reason := c.appendKey(nil, rs, gc, &scratch{})
	return string(b), reason
}

func newKeyCache(t testing.TB, opts ...Option) *Cache {
	t.Helper()
	c, err := New(nil, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestKeyShape(t *testing.T) {
	c := newKeyCache(t)
	k, _ := keyFor(t, c, Policy{Vary: []string{"user_id"}}, "Example.com", "/spaces/123?page=1&limit=10", map[string]any{"user_id": 42})
	want := "gincache:1:GET:example.com/spaces/123:limit=10&page=1:user_id=42"
	require.Equal(t, want, k, "key")
	c2 := newKeyCache(t, WithKeyPrefix("shop"), WithKeyVersion("build7"))
	k, _ = keyFor(t, c2, Policy{}, "h", "/a", nil)
	want = "shop:1.build7:GET:h/a::"
	require.Equal(t, want, k, "key")
}

func TestKeyQueryOrderIndependent(t *testing.T) {
	c := newKeyCache(t)
	same := [][]string{
		{"/items?page=1&limit=10&sort=name", "/items?sort=name&page=1&limit=10", "/items?limit=10&sort=name&page=1"},
		{"/items?q=a+b", "/items?q=a%20b"},
		{"/items?tag=a&tag=b", "/items?tag=b&tag=a"},
		{"/items?a=1&&b=2", "/items?b=2&a=1"},
		{"/items?flag", "/items?flag="},
		{"/items", "/items?"},
	}
	for _, group := range same {
		first, _ := keyFor(t, c, Policy{}, "h", group[0], nil)
		for _, other := range group[1:] {
			k, _ := keyFor(t, c, Policy{}, "h", other, nil)
			assert.Equal(t, first, k, "%s and %s should share a key:\n%s", group[0], other, first)
		}
	}
}

// TestKeyCollisions lists pairs of requests that must never share a key
// (DESIGN.md's list and more).
func TestKeyCollisions(t *testing.T) {
	c := newKeyCache(t)
	type req struct {
		host, target string
		policy       Policy
		ctx          map[string]any
	}
	r := func(target string) req { return req{host: "h", target: target} }
	pairs := []struct {
		name string
		a, b req
	}{
		{"colon in path vs slash", r("/items/a:b"), r("/items/a/b")},
		{"colon in query vs ampersand", r("/items?a=1:b=2"), r("/items?a=1&b=2")},
		{"repeated parameter kept", r("/items?tag=a&tag=b"), r("/items?tag=b")},
		{"path segment vs query", r("/items?x"), r("/items%3Fx")},
		{"escaped slash vs slash", r("/items/a%2Fb"), r("/items/a/b")},
		{"literal percent vs star", r("/items/a%2A"), r("/items/a*")},
		{"equals inside value", r("/items?a=b%3Dc"), r("/items?a%3Db=c")},
		{"ampersand inside value", r("/items?a=1%262"), r("/items?a=1&2")},
		{"host", req{host: "a.example", target: "/x"}, req{host: "b.example", target: "/x"}},
		{"host vs path", req{host: "a", target: "/b/c"}, req{host: "a%2Fb", target: "/c"}},
		{"vary value vs query parameter",
			req{host: "h", target: "/items", policy: Policy{Vary: []string{"user_id"}}, ctx: map[string]any{"user_id": "1"}},
			req{host: "h", target: "/items?user_id=1"}},
		{"vary value with separator",
			req{host: "h", target: "/items", policy: Policy{Vary: []string{"a", "b"}}, ctx: map[string]any{"a": "1&b=2", "b": "3"}},
			req{host: "h", target: "/items", policy: Policy{Vary: []string{"a", "b"}}, ctx: map[string]any{"a": "1", "b": "2&b=3"}}},
		{"two users", req{host: "h", target: "/p", policy: Policy{Vary: []string{"user_id"}}, ctx: map[string]any{"user_id": 1}},
			req{host: "h", target: "/p", policy: Policy{Vary: []string{"user_id"}}, ctx: map[string]any{"user_id": 2}}},
		{"hashed query vs plain", r("/items?q=" + strings.Repeat("x", 600)), r("/items?q=" + strings.Repeat("x", 599))},
		{"long paths", r("/" + strings.Repeat("a", 700) + "/1"), r("/" + strings.Repeat("a", 700) + "/2")},
	}
	for _, p := range pairs {
		ka, ra := keyFor(t, c, p.a.policy, p.a.host, p.a.target, p.a.ctx)
		kb, rb := keyFor(t, c, p.b.policy, p.b.host, p.b.target, p.b.ctx)
		okA := assert.Equal(t, skipNone, ra, "%s: skip of a", p.name)
		okB := assert.Equal(t, skipNone, rb, "%s: skip of b", p.name)
		if !okA || !okB {
			continue
		}
		assert.NotEqual(t, kb, ka, "%s: both requests got key", p.name)
	}
}

func TestKeyNoGlobMetacharacters(t *testing.T) {
	c := newKeyCache(t)
	for _, target := range []string{
		"/items/*", "/items/[a-z]", "/items/a%5Cb", "/items?q=*", "/items?q=[x]&r=%3F", "/items/%2A?%5B=%5D",
		"/items/{tag}?q={x}", "/items/a%23b?c=%23",
	} {
		k, reason := keyFor(t, c, Policy{Vary: []string{"header:X-T"}}, "h[1]", target, nil, "X-T", "*?[]\\{}")
		require.Equal(t, skipNone, reason, "%s: skip", target)
		assert.False(t, strings.ContainsAny(k, "*?[]\\{}#"), "%s: key %q holds a glob metacharacter, a brace or '#'", target, k)
	}
}

func TestKeyBounded(t *testing.T) {
	c := newKeyCache(t)
	long := strings.Repeat("x", 100_000)
	k, reason := keyFor(t, c, Policy{Vary: []string{"header:X-Big"}}, strings.Repeat("h", 5000),
		"/"+long+"?"+"q="+long, nil, "X-Big", long)
	require.Equal(t, skipNone, reason, "skip")
	require.LessOrEqual(t, len(k), 1500, "key of %d bytes; want it bounded", len(k))
	assert.Contains(t, k, "/"+strings.Repeat("x", 50), "a long path should keep a readable head: %q", k)
}

func TestKeyMalformedQueryBypasses(t *testing.T) {
	c := newKeyCache(t)
	for _, target := range []string{"/items?a=1&b=%zz", "/items?a=%", "/items?a=1;b=2", "/items?" + strings.Repeat("a=1&", maxQueryPairs+1)} {
		_, reason := keyFor(t, c, Policy{}, "h", target, nil)
		assert.Equal(t, skipQuery, reason, "%.60s: reason", target)
	}
}

func TestKeyQueryAllowList(t *testing.T) {
	c := newKeyCache(t)
	p := Policy{Query: []string{"page", "limit"}}
	a, _ := keyFor(t, c, p, "h", "/items?page=2&limit=10&utm_source=x&_=123", nil)
	b, _ := keyFor(t, c, p, "h", "/items?limit=10&page=2", nil)
	assert.Equal(t, b, a, "ignored parameters changed the key:\n%s", a)
	d, _ := keyFor(t, c, p, "h", "/items?page=3&limit=10", nil)
	assert.NotEqual(t, b, d, "listed parameter did not change the key")
	none := Policy{Query: []string{}}
	e, _ := keyFor(t, c, none, "h", "/items?page=3", nil)
	f, _ := keyFor(t, c, none, "h", "/items", nil)
	assert.Equal(t, f, e, "Query: []string{} should ignore every parameter:\n%s", e)
}

func TestKeyVarySources(t *testing.T) {
	c := newKeyCache(t)
	p := Policy{Vary: []string{"user_id", "header:X-Tenant", "cookie:lang"}}
	k, reason := keyFor(t, c, p, "h", "/p", map[string]any{"user_id": int64(7)}, "X-Tenant", "acme", "Cookie", "a=1; lang=\"fr\"; b=2")
	require.Equal(t, skipNone, reason, "skip")
	want := "user_id=7&h.x-tenant=acme&c.lang=fr"
	assert.True(t, strings.HasSuffix(k, ":"+want), "key %q, want vary part %q", k, want)
	missing := []struct {
		ctx map[string]any
		hdr []string
	}{
		{nil, []string{"X-Tenant", "acme", "Cookie", "lang=fr"}},
		{map[string]any{"user_id": ""}, []string{"X-Tenant", "acme", "Cookie", "lang=fr"}},
		{map[string]any{"user_id": 1}, []string{"Cookie", "lang=fr"}},
		{map[string]any{"user_id": 1}, []string{"X-Tenant", "acme", "Cookie", "other=1"}},
		{map[string]any{"user_id": struct{}{}}, []string{"X-Tenant", "acme", "Cookie", "lang=fr"}},
	}
	for i, m := range missing {
		_, reason := keyFor(t, c, p, "h", "/p", m.ctx, m.hdr...)
		assert.Equal(t, skipVary, reason, "case %d: reason", i)
	}
}

// FuzzKey checks the two properties keys must keep whatever the request:
// distinct requests get distinct keys, and no glob metacharacter from the
// URL survives unescaped. Two requests are the same when their escaped
// paths are equal and their decoded query parameters are equal as sorted
// lists (which is all a handler can see through Gin's accessors).
func FuzzKey(f *testing.F) {
	f.Add("/items/a:b", "x=1", "/items/a/b", "x=1")
	f.Add("/items", "a=1:b=2", "/items", "a=1&b=2")
	f.Add("/items", "tag=a&tag=b", "/items", "tag=b")
	f.Add("/items", "x", "/items%3Fx", "")
	f.Add("/a%2Fb", "", "/a/b", "")
	f.Add("/a*", "q=[", "/a%2A", "q=%5B")
	f.Add("/x", "a=%41", "/x", "a=A")
	c := newKeyCache(f)
	f.Fuzz(func(t *testing.T, pathA, queryA, pathB, queryB string) {
		ka, okA := fuzzKey(t, c, pathA, queryA)
		kb, okB := fuzzKey(t, c, pathB, queryB)
		if !okA || !okB {
			return
		}
		for _, k := range []string{ka, kb} {
			require.False(t, strings.ContainsAny(k, "*?[]\\"), "key %q holds a glob metacharacter", k)
		}
		if ka != kb {
			return
		}
		ua, _ := url.ParseRequestURI(pathA + "?" + queryA)
		ub, _ := url.ParseRequestURI(pathB + "?" + queryB)
		require.Equal(t, ub.EscapedPath(), ua.EscapedPath(), "distinct requests share key %q:\n%q ? %q\n%q ? %q", ka, pathA, queryA, pathB, queryB)
		require.Equal(t, canonicalQuery(ub.RawQuery), canonicalQuery(ua.RawQuery), "distinct requests share key %q:\n%q ? %q\n%q ? %q", ka, pathA, queryA, pathB, queryB)
	})
}

func fuzzKey(t *testing.T, c *Cache, path, query string) (string, bool) {
	if !strings.HasPrefix(path, "/") {
		return "", false
	}
	u, err := url.ParseRequestURI(path + "?" + query)
	if err != nil || u.Path == "" {
		return "", false
	}
	k, reason := keyFor(t, c, Policy{}, "h", u.RequestURI(), nil)
	if reason != skipNone {
		return "", false
	}
	return k, true
}

// canonicalQuery is the reference: decode every pair, sort.
func canonicalQuery(raw string) []string {
	var out []string
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		n, v, _ := strings.Cut(part, "=")
		dn, _ := url.QueryUnescape(n)
		dv, _ := url.QueryUnescape(v)
		out = append(out, dn+"\x00"+dv)
	}
	slices.Sort(out)
	return out
}

// The hit path counts segments with pathDepth instead of splitting them;
// both must agree on the number and on where the depth limit falls.
func TestPathDepthAgreesWithSegments(t *testing.T) {
	deep := strings.Repeat("/a", maxDepth)
	for _, p := range []string{
		"", "/", "//", "/items", "/items/", "items/42", "/items//42/", "///a///b///",
		"/a/b/c/d", deep, deep + "/", deep + "/b", "/" + deep + "//",
	} {
		segs, segsOK := segments(nil, p)
		n, ok := pathDepth(p)
		assert.Equal(t, segsOK, ok, "path %q", p)
		if ok {
			assert.Equal(t, len(segs), n, "path %q", p)
		}
	}
}

// appendPath and appendHost take a shortcut for plain input; it must give
// the key component the general path gives, for every byte.
func TestKeyShortcutsAgreeWithEscaping(t *testing.T) {
	for c := range 256 {
		for _, p := range []string{"/a" + string(rune(c)) + "b", "/" + string([]byte{byte(c)}), "/items/" + string([]byte{byte(c)}) + "/x"} {
			u := &url.URL{Path: p}
			want := string(appendEscaped(nil, u.EscapedPath(), pathSafe))
			assert.Equal(t, want, string(appendPath(nil, u)), "path %q", p)
		}
		for _, host := range []string{"Ex" + string([]byte{byte(c)}) + "ample.com:8080", "ex" + string([]byte{byte(c)}) + "ample.com:8080"} {
			var want []byte
			for i := 0; i < len(host); i++ {
				ch := host[i]
				if 'A' <= ch && ch <= 'Z' {
					ch += 'a' - 'A'
				}
				want = appendEscaped(want, string([]byte{ch}), hostSafe)
			}
			assert.Equal(t, string(want), string(appendHost(nil, host)), "host %q", host)
		}
	}
	// A RawPath that differs from the default encoding takes the general
	// path even when Path is plain.
	u, err := url.Parse("/a%2Fb")
	if assert.NoError(t, err) {
		assert.Equal(t, string(appendEscaped(nil, u.EscapedPath(), pathSafe)), string(appendPath(nil, u)))
	}
	star := &url.URL{Path: "*"}
	assert.Equal(t, string(appendEscaped(nil, star.EscapedPath(), pathSafe)), string(appendPath(nil, star)))
}

// credQuery rules names out by length first; every length, long ones
// sharing a bit included, must still find the credential and only it.
func TestCredentialQueryByLength(t *testing.T) {
	long := strings.Repeat("t", 70)
	c := newKeyCache(t, WithCredentialQuery("tok", long))
	for _, tc := range []struct {
		target string
		cred   bool
	}{
		{"/x?tok=s", true}, {"/x?" + long + "=s", true},
		{"/x?top=s", false}, {"/x?" + strings.Repeat("u", 70) + "=s", false}, {"/x?" + long + "t=s", false},
	} {
		_, reason := keyFor(t, c, Policy{TTL: time.Minute}, "example.com", tc.target, nil)
		assert.Equal(t, tc.cred, reason == skipAuth, "target %q", tc.target)
	}
}

// appendQuery copies a pair with nothing to decode or escape as it is;
// for every byte, in a name and in a value, the key must be the one the
// general path (decode, then escape) gives.
func TestQueryShortcutAgreesWithEscaping(t *testing.T) {
	c := newKeyCache(t)
	rs := c.newRouteState("GET", "/x", &Policy{TTL: time.Minute})
	for ch := range 256 {
		if ch == '&' || ch == ';' || ch == '%' || ch == '#' {
			continue // a separator, a bypass, an escape; '#' ends a URL
		}
		x := string([]byte{byte(ch)})
		for _, raw := range []string{"a" + x + "=b", "a=b" + x + "c", "a" + x + "b=" + x, "z=1&a" + x + "=2"} {
			got, reason := appendQuery(nil, raw, rs, &scratch{})
			if !assert.Equal(t, skipNone, reason, "query %q", raw) {
				continue
			}
			var pairs [][2]string
			for part := range strings.SplitSeq(raw, "&") {
				n, v, _ := strings.Cut(part, "=")
				n, err1 := url.QueryUnescape(n)
				v, err2 := url.QueryUnescape(v)
				require.NoError(t, err1)
				require.NoError(t, err2)
				pairs = append(pairs, [2]string{n, v})
			}
			slices.SortFunc(pairs, func(a, b [2]string) int { return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1]) })
			var want []byte
			for i, p := range pairs {
				if i > 0 {
					want = append(want, '&')
				}
				want = appendEscaped(want, p[0], valueSafe)
				want = append(want, '=')
				want = appendEscaped(want, p[1], valueSafe)
			}
			assert.Equal(t, string(want), string(got), "query %q", raw)
		}
	}
}
