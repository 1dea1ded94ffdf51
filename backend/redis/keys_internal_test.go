package redis

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

func TestHashSlotAgreesWithRedis(t *testing.T) {
	c := testutil.StartCluster(t, 3)
	node := c.NodeClient(t, 0)
	for _, k := range []string{
		"", "foo", "123456789", "{user1000}.following", "{user1000}.followers",
		"foo{}{bar}", "foo{{bar}}zap", "foo{bar}{zap}", "{", "}", "{}", "a{b",
		"p:t:gincache:t:{/spaces}:S:/spaces/123", "p:t:gincache:t:{/}:epoch",
		"e:gincache:1:GET:example.com/spaces/123:limit=10&page=1:user_id=42", "é{ü}",
	} {
		want, err := node.ClusterKeySlot(context.Background(), k).Result()
		require.NoError(t, err)
		got := hashSlot(k)
		assert.Equal(t, want, int64(got), "hashSlot(%q) against CLUSTER KEYSLOT", k)
	}
}

func TestTokenFormat(t *testing.T) {
	for _, v := range []backend.Token{1, 0xdeadbeef, 1<<64 - 1, backend.NewToken()} {
		s := formatToken(v)
		require.Len(t, s, tokenLen, "formatToken(%x)", v)
		got, ok := parseToken(s)
		require.True(t, ok, "parseToken(formatToken(%x))", v)
		require.Equal(t, v, got, "parseToken(formatToken(%x))", v)
		require.Equal(t, "p:s:"+s, stagedKey("p:s:", v), "stagedKey(%x)", v)
	}
	require.Equal(t, "0000000000000001", formatToken(1))
	require.Equal(t, "+ffffffffffffffff", string(appendToken([]byte("+"), 1<<64-1)))
	for _, s := range []string{"", "0", "0000000000000000", "000000000000000g", "ABCDEF0123456789", "00000000000000001", " 000000000000001"} {
		v, ok := parseToken(s)
		assert.False(t, ok, "parseToken(%q) = %x, true; want not a token", s, v)
	}
}

// parseToken accepts exactly the 16-digit lowercase hex strings of a
// nonzero value, and reads them as strconv does; anything else reads as 0.
func FuzzParseToken(f *testing.F) {
	for _, s := range []string{"0000000000000001", "ffffffffffffffff", "deadbeef00000000", "0000000000000000", "000000000000000g", "ABCDEF0123456789", "+00000000000000f", "00000000000000:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseToken(s)
		want, err := strconv.ParseUint(s, 16, 64)
		wantOK := len(s) == tokenLen && err == nil && want != 0 && s == strings.ToLower(s) && !strings.ContainsAny(s, "+-_xX")
		require.Equal(t, wantOK, ok, "parseToken(%q)", s)
		if !ok {
			require.Zero(t, v, "parseToken(%q): not a token reads as 0, absent", s)
		}
		if ok {
			require.Equal(t, backend.Token(want), v, "parseToken(%q)", s)
			require.Equal(t, s, formatToken(v), "formatToken(parseToken(%q))", s)
		}
	})
}

func TestScanCursorRoundTrip(t *testing.T) {
	for _, p := range []scanPos{
		{},
		{addr: "127.0.0.1:7001", cursor: 1 << 63},
		{addr: "[::1]:7000", cursor: 5, after: "e:key with spaces and @ signs"},
		{addr: "", after: "e:\x00\xff"},
	} {
		got, err := decodeCursor(p.encode())
		require.NoError(t, err, "decodeCursor(encode(%+v))", p)
		assert.Equal(t, p, got, "decodeCursor(encode(%+v))", p)
	}
}

func FuzzServerPatternIsASuperset(f *testing.F) {
	for _, s := range [][2]string{
		{"pt:??", "pt:é"}, {"a[^x]b", "a\\b"}, {`a\*b`, "a*b"}, {"a[b", "ab"}, {`[\]]`, "]"},
		{"*x?y[a-c]", "zzxqyb"}, {`\`, `\`}, {"[]", ""}, {"a[", "a"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, key string) {
		if len(pattern) > 64 || len(key) > 64 {
			return
		}
		if backend.Match(pattern, key) {
			require.True(t, backend.Match(serverPattern(pattern), key), "Match(%q, %q) but not its server pattern %q", pattern, key, serverPattern(pattern))
		}
	})
}

func TestRedisKeysShareOneBuffer(t *testing.T) {
	names := []string{"a", "", "{/x}:S:/x"}
	tokens := make([]string, len(names))
	entry := redisKeys("p:e:", "k", "p:t:", names, tokens)
	require.Equal(t, "p:e:k", entry, "redisKeys = %q, %q", entry, tokens)
	require.Equal(t, "p:t:a", tokens[0], "redisKeys = %q, %q", entry, tokens)
	require.Equal(t, "p:t:", tokens[1], "redisKeys = %q, %q", entry, tokens)
	require.Equal(t, "p:t:{/x}:S:/x", tokens[2], "redisKeys = %q, %q", entry, tokens)
	n := testing.AllocsPerRun(100, func() { redisKeys("p:e:", "k", "p:t:", names, tokens) })
	assert.Equal(t, float64(1), n, "redisKeys made %v allocations", n)
}
