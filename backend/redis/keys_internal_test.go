package redis

import (
	"context"
	"testing"

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
		if err != nil {
			t.Fatal(err)
		}
		if got := hashSlot(k); int64(got) != want {
			t.Errorf("hashSlot(%q) = %d, CLUSTER KEYSLOT says %d", k, got, want)
		}
	}
}

func TestTokenFormat(t *testing.T) {
	for _, v := range []backend.Token{1, 0xdeadbeef, 1<<64 - 1, backend.NewToken()} {
		s := formatToken(v)
		if len(s) != tokenLen {
			t.Fatalf("formatToken(%x) = %q, want %d hex digits", v, s, tokenLen)
		}
		if got, ok := parseToken(s); !ok || got != v {
			t.Fatalf("parseToken(formatToken(%x)) = %x, %v", v, got, ok)
		}
	}
	for _, s := range []string{"", "0", "0000000000000000", "000000000000000g", "ABCDEF0123456789", "00000000000000001", " 000000000000001"} {
		if v, ok := parseToken(s); ok {
			t.Errorf("parseToken(%q) = %x, true; want not a token", s, v)
		}
	}
}

func TestScanCursorRoundTrip(t *testing.T) {
	for _, p := range []scanPos{
		{},
		{addr: "127.0.0.1:7001", cursor: 1 << 63},
		{addr: "[::1]:7000", cursor: 5, after: "e:key with spaces and @ signs"},
		{addr: "", after: "e:\x00\xff"},
	} {
		got, err := decodeCursor(p.encode())
		if err != nil || got != p {
			t.Errorf("decodeCursor(encode(%+v)) = %+v, %v", p, got, err)
		}
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
		if backend.Match(pattern, key) && !backend.Match(serverPattern(pattern), key) {
			t.Fatalf("Match(%q, %q) but not its server pattern %q", pattern, key, serverPattern(pattern))
		}
	})
}

func TestRedisKeysShareOneBuffer(t *testing.T) {
	names := []string{"a", "", "{/x}:S:/x"}
	tokens := make([]string, len(names))
	entry := redisKeys("p:e:", "k", "p:t:", names, tokens)
	if entry != "p:e:k" || tokens[0] != "p:t:a" || tokens[1] != "p:t:" || tokens[2] != "p:t:{/x}:S:/x" {
		t.Fatalf("redisKeys = %q, %q", entry, tokens)
	}
	if n := testing.AllocsPerRun(100, func() { redisKeys("p:e:", "k", "p:t:", names, tokens) }); n != 1 {
		t.Errorf("redisKeys made %v allocations, want 1", n)
	}
}
