package redis_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/redis"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Token names as the cache builds them: one hash tag per first segment.
var itemNames = []string{
	"gincache:t:{/}:epoch",
	"gincache:t:{/}:S:/",
	"gincache:t:{/items}:S:/items",
	"gincache:t:{/items}:S:/items/1",
	"gincache:t:{/items}:E:/items/1",
}

func testEntry(body string) *backend.Entry {
	return &backend.Entry{
		Status: 200,
		Header: []backend.HeaderField{{Name: "Content-Type", Values: []string{"application/json"}}},
		Body:   []byte(body),
		ETag:   `"x"`,
	}
}

// fillEntry does what the cache does on a miss: Lookup, then Store under
// the values Lookup reported.
func fillEntry(t *testing.T, b backend.Backend, key string, ttl time.Duration, names ...string) []backend.Token {
	t.Helper()
	ctx := context.Background()
	vals := make([]backend.Token, len(names))
	if _, err := b.Lookup(ctx, key, backend.Tokens{Names: names, Values: vals}); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("Lookup(%q) before a fill: %v, want ErrNotFound", key, err)
	}
	if err := b.Store(ctx, key, testEntry("body of "+key), ttl, backend.Tokens{Names: names, Values: vals}); err != nil {
		t.Fatalf("Store(%q): %v", key, err)
	}
	return vals
}

func lookup(b backend.Backend, key string, names ...string) (*backend.Entry, []backend.Token, error) {
	vals := make([]backend.Token, len(names))
	e, err := b.Lookup(context.Background(), key, backend.Tokens{Names: names, Values: vals})
	return e, vals, err
}

var hex16 = regexp.MustCompile(`^[0-9a-f]{16}$`)

func TestRedisKeyLayout(t *testing.T) {
	for _, tc := range []struct{ prefix, entryNS, tokenNS string }{
		{"app", "app:e:", "app:t:"},
		{"", "e:", "t:"},
	} {
		t.Run("prefix="+tc.prefix, func(t *testing.T) {
			srv := testutil.StartRedis(t)
			r, err := redis.New(srv.URL(), redis.Options{KeyPrefix: tc.prefix, Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			const key = "gincache:1:GET:h/items/1::"
			vals := fillEntry(t, r, key, time.Minute, itemNames...)
			ctx := context.Background()
			raw := srv.Client()
			keys, err := raw.Keys(ctx, "*").Result()
			if err != nil {
				t.Fatal(err)
			}
			want := []string{tc.entryNS + key}
			for _, n := range itemNames {
				want = append(want, tc.tokenNS+n)
			}
			slices.Sort(keys)
			slices.Sort(want)
			if !slices.Equal(keys, want) {
				t.Fatalf("Redis keys %q, want %q", keys, want)
			}
			entryTTL := raw.PTTL(ctx, tc.entryNS+key).Val()
			if entryTTL <= 0 || entryTTL > time.Minute {
				t.Errorf("entry TTL %v, want in (0, 1m]", entryTTL)
			}
			for i, n := range itemNames {
				v := raw.Get(ctx, tc.tokenNS+n).Val()
				if !hex16.MatchString(v) || v != fmt.Sprintf("%016x", uint64(vals[i])) {
					t.Errorf("token %s = %q, want 16 hex digits of %x", n, v, vals[i])
				}
				if ttl := raw.PTTL(ctx, tc.tokenNS+n).Val(); ttl < entryTTL {
					t.Errorf("token %s lives %v, less than its entry's %v", n, ttl, entryTTL)
				}
			}
		})
	}
}

func TestRedisCorruptEntryIsAMiss(t *testing.T) {
	srv := testutil.StartRedis(t)
	r := newTestRedis(t, srv.URL(), redis.Options{KeyPrefix: "p"})
	ctx := context.Background()
	const key = "k"
	vals := fillEntry(t, r, key, time.Minute, itemNames...)
	good, err := srv.Client().Get(ctx, "p:e:"+key).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"garbage":   []byte("not an entry"),
		"truncated": good[:len(good)/2],
		"bit flip":  append(slices.Clone(good[:10]), append([]byte{good[10] ^ 1}, good[11:]...)...),
		"empty":     {},
	} {
		if err := srv.Client().Set(ctx, "p:e:"+key, bad, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		e, got, err := lookup(r, key, itemNames...)
		if e != nil || !errors.Is(err, backend.ErrCorrupt) {
			t.Errorf("%s: Lookup = %v, %v; want a miss with ErrCorrupt", name, e, err)
		}
		if !slices.Equal(got, vals) {
			t.Errorf("%s: Lookup reported tokens %v, want the current %v", name, got, vals)
		}
	}
	// The cache then stores a fresh entry over the corrupt one.
	if err := r.Store(ctx, key, testEntry("fresh"), time.Minute, backend.Tokens{Names: itemNames, Values: vals}); err != nil {
		t.Fatal(err)
	}
	if e, _, err := lookup(r, key, itemNames...); err != nil || string(e.Body) != "fresh" {
		t.Fatalf("Lookup after a store over a corrupt value = %v, %v", e, err)
	}
}

func TestRedisCorruptTokenIsAMismatch(t *testing.T) {
	srv := testutil.StartRedis(t)
	r := newTestRedis(t, srv.URL(), redis.Options{KeyPrefix: "p"})
	ctx := context.Background()
	const key = "k"
	fillEntry(t, r, key, time.Minute, itemNames...)
	for _, bad := range []string{"zz", "0000000000000000", "ABCDEF0123456789", "123"} {
		if err := srv.Client().Set(ctx, "p:t:"+itemNames[2], bad, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		e, got, err := lookup(r, key, itemNames...)
		if e != nil || !errors.Is(err, backend.ErrNotFound) {
			t.Fatalf("token %q: Lookup = %v, %v; want ErrNotFound", bad, e, err)
		}
		if got[2] != 0 {
			t.Errorf("token %q reported as %x, want 0 (not a token)", bad, got[2])
		}
		// A store cannot create it (it is there): the fill is abandoned,
		// and nothing is served until a write renews it.
		err = r.Store(ctx, key, testEntry("x"), time.Minute, backend.Tokens{Names: itemNames, Values: got})
		if !errors.Is(err, backend.ErrConflict) {
			t.Errorf("token %q: Store = %v, want ErrConflict", bad, err)
		}
	}
	if err := r.Renew(ctx, itemNames[2:3], time.Minute); err != nil {
		t.Fatal(err)
	}
	fillEntry(t, r, key, time.Minute, itemNames...)
	if _, _, err := lookup(r, key, itemNames...); err != nil {
		t.Fatalf("Lookup after a renew and a fill: %v", err)
	}
}

// roundTrips counts what reaches Redis: pipelines and single commands,
// by command name.
type roundTrips struct {
	mu        sync.Mutex
	pipelines [][]string
	singles   []string
}

func (c *roundTrips) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (c *roundTrips) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if !ignored(cmd.Name()) {
			c.mu.Lock()
			c.singles = append(c.singles, cmd.Name())
			c.mu.Unlock()
		}
		return next(ctx, cmd)
	}
}

func (c *roundTrips) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		names := make([]string, 0, len(cmds))
		for _, cmd := range cmds {
			if !ignored(cmd.Name()) {
				names = append(names, cmd.Name())
			}
		}
		if len(names) > 0 {
			c.mu.Lock()
			c.pipelines = append(c.pipelines, names)
			c.mu.Unlock()
		}
		return next(ctx, cmds)
	}
}

// ignored: a new connection's handshake and the run_id watcher's INFO.
func ignored(name string) bool {
	switch name {
	case "hello", "client", "auth", "select", "info":
		return true
	}
	return false
}

func (c *roundTrips) take() (pipelines [][]string, singles []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	pipelines, singles = c.pipelines, c.singles
	c.pipelines, c.singles = nil, nil
	return pipelines, singles
}

func TestRedisRoundTrips(t *testing.T) {
	srv := testutil.StartRedis(t)
	client := goredis.NewClient(&goredis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true})
	defer client.Close()
	counter := &roundTrips{}
	client.AddHook(counter)
	ctx := context.Background()
	r, err := redis.FromClient(ctx, client, redis.Options{KeyPrefix: "p", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// NewRedisClient asked the server its ROLE (a replica is refused);
	// count from here.
	if _, singles := counter.take(); !slices.Equal(singles, []string{"role"}) {
		t.Errorf("NewRedisClient sent %q; want one ROLE", singles)
	}

	check := func(what string, want [][]string) {
		t.Helper()
		pipelines, singles := counter.take()
		if len(singles) != 0 || !slices.EqualFunc(pipelines, want, slices.Equal) {
			t.Errorf("%s: pipelines %q and single commands %q; want pipelines %q only", what, pipelines, singles, want)
		}
	}
	vals := make([]backend.Token, len(itemNames))
	if _, err := r.Lookup(ctx, "k", backend.Tokens{Names: itemNames, Values: vals}); !errors.Is(err, backend.ErrNotFound) {
		t.Fatal(err)
	}
	checkSingle := func(what string, want ...string) {
		t.Helper()
		pipelines, singles := counter.take()
		if len(pipelines) != 0 || !slices.Equal(singles, want) {
			t.Errorf("%s: pipelines %q and single commands %q; want the commands %q", what, pipelines, singles, want)
		}
	}
	// One command: the entry and its tokens share a server.
	checkSingle("Lookup miss", "mget")

	if err := r.Store(ctx, "k", testEntry("x"), time.Minute, backend.Tokens{Names: itemNames, Values: vals}); err != nil {
		t.Fatal(err)
	}
	// The first store finds the script unknown to the server and sends it.
	checkSingle("Store creating every token", "evalsha", "eval")

	if _, err := r.Lookup(ctx, "k", backend.Tokens{Names: itemNames, Values: make([]backend.Token, len(itemNames))}); err != nil {
		t.Fatal(err)
	}
	checkSingle("Lookup hit", "mget")

	if err := r.Store(ctx, "k2", testEntry("x"), time.Minute, backend.Tokens{Names: itemNames, Values: vals}); err != nil {
		t.Fatal(err)
	}
	checkSingle("Store under present tokens", "evalsha")

	// After a restart (SCRIPT FLUSH forgets scripts as a restart does) the
	// store sends the script again.
	if err := srv.Client().ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := r.Store(ctx, "k3", testEntry("x"), time.Minute, backend.Tokens{Names: itemNames, Values: vals}); err != nil {
		t.Fatal(err)
	}
	checkSingle("Store after SCRIPT FLUSH", "evalsha", "eval")
	if err := r.Store(ctx, "k4", testEntry("x"), time.Minute, backend.Tokens{Names: itemNames, Values: vals}); err != nil {
		t.Fatal(err)
	}
	checkSingle("Store once the script is back", "evalsha")

	if err := r.Renew(ctx, itemNames[2:], time.Minute); err != nil {
		t.Fatal(err)
	}
	check("Renew of 3 tokens", [][]string{{"set", "set", "set"}})
}

func TestRedisClearPatternStaysInItsNamespace(t *testing.T) {
	srv := testutil.StartRedis(t)
	r := newTestRedis(t, srv.URL(), redis.Options{KeyPrefix: "app"})
	ctx := context.Background()
	raw := srv.Client()
	for _, k := range []string{"other:e:a", "e:a", "app2:e:a", "plain"} {
		if err := raw.Set(ctx, k, "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 30 {
		fillEntry(t, r, fmt.Sprintf("a%d", i), time.Minute, itemNames...)
	}
	n, err := r.ClearPattern(ctx, "")
	if err != nil || n != 30 {
		t.Fatalf("ClearPattern(\"\") = %d, %v; want 30", n, err)
	}
	left, err := raw.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 4+len(itemNames) {
		t.Fatalf("keys left %q: want the 4 foreign keys and the %d tokens", left, len(itemNames))
	}
	for _, k := range left {
		if strings.HasPrefix(k, "app:") && !strings.HasPrefix(k, "app:t:") {
			t.Errorf("ClearPattern left the entry %q", k)
		}
	}
}

func TestRedisScanRejectsForeignCursors(t *testing.T) {
	srv := testutil.StartRedis(t)
	r := newTestRedis(t, srv.URL(), redis.Options{})
	for _, c := range []string{"!!", "MTIz", "eCB5IHo", "MCA5OSBh"} { // "123", "x y z", "0 99 a"
		if _, _, err := r.Scan(context.Background(), "", c, 10); err == nil {
			t.Errorf("Scan with cursor %q succeeded, want an error", c)
		}
	}
}

// The store script checks the tokens Lookup read, present ones included:
// one renewed between the lookup and the store (a write that raced the
// fill) abandons the store, and the entry is not written.
func TestRedisStoreChecksPresentTokens(t *testing.T) {
	srv := testutil.StartRedis(t)
	r := newTestRedis(t, srv.URL(), redis.Options{KeyPrefix: "p"})
	ctx := context.Background()
	fillEntry(t, r, "first", time.Minute, itemNames...)
	_, vals, err := lookup(r, "second", itemNames...)
	require.ErrorIs(t, err, backend.ErrNotFound)
	require.NotContains(t, vals, backend.Token(0), "every token exists after the first fill")
	require.NoError(t, r.Renew(ctx, itemNames[2:3], time.Minute))
	err = r.Store(ctx, "second", testEntry("x"), time.Minute, backend.Tokens{Names: itemNames, Values: vals})
	require.ErrorIs(t, err, backend.ErrConflict)
	n, err := srv.Client().Exists(ctx, "p:e:second").Result()
	require.NoError(t, err)
	assert.Zero(t, n, "the entry was written despite the conflict")
}
