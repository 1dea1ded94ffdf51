package redis_test

import (
	"context"
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
	_, err := b.Lookup(ctx, key, backend.Tokens{Names: names, Values: vals})
	require.ErrorIs(t, err, backend.ErrNotFound, "Lookup(%q) before a fill", key)
	require.NoError(t, b.Store(ctx, key, testEntry("body of "+key), ttl, backend.Tokens{Names: names, Values: vals}), "Store(%q)", key)
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
			require.NoError(t, err)
			defer r.Close()
			const key = "gincache:1:GET:h/items/1::"
			vals := fillEntry(t, r, key, time.Minute, itemNames...)
			ctx := context.Background()
			raw := srv.Client()
			keys, err := raw.Keys(ctx, "*").Result()
			require.NoError(t, err)
			want := []string{tc.entryNS + key}
			for _, n := range itemNames {
				want = append(want, tc.tokenNS+n)
			}
			slices.Sort(keys)
			slices.Sort(want)
			require.Equal(t, want, keys, "Redis keys")
			entryTTL := raw.PTTL(ctx, tc.entryNS+key).Val()
			assert.Greater(t, entryTTL, time.Duration(0), "entry TTL %v, want in (0, 1m]", entryTTL)
			assert.LessOrEqual(t, entryTTL, time.Minute, "entry TTL %v, want in (0, 1m]", entryTTL)
			for i, n := range itemNames {
				v := raw.Get(ctx, tc.tokenNS+n).Val()
				assert.Regexp(t, hex16, v, "token %s", n)
				assert.Equal(t, fmt.Sprintf("%016x", uint64(vals[i])), v, "token %s", n)
				ttl := raw.PTTL(ctx, tc.tokenNS+n).Val()
				assert.GreaterOrEqual(t, ttl, entryTTL, "token %s lives %v, less than its entry's %v", n, ttl, entryTTL)
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
	require.NoError(t, err)
	for name, bad := range map[string][]byte{
		"garbage":   []byte("not an entry"),
		"truncated": good[:len(good)/2],
		"bit flip":  append(slices.Clone(good[:10]), append([]byte{good[10] ^ 1}, good[11:]...)...),
	} {
		require.NoError(t, srv.Client().Set(ctx, "p:e:"+key, bad, time.Minute).Err())
		e, got, err := lookup(r, key, itemNames...)
		assert.Nil(t, e, "%s: Lookup; want a miss with ErrCorrupt", name)
		assert.ErrorIs(t, err, backend.ErrCorrupt, "%s: Lookup; want a miss with ErrCorrupt", name)
		assert.Equal(t, vals, got, "%s: Lookup reported tokens", name)
	}
	// An empty value reads as no entry (Lookup reads MGET's values as
	// strings, where an absent key is ""; no entry encodes to nothing): a
	// plain miss, which the cache stores over all the same.
	require.NoError(t, srv.Client().Set(ctx, "p:e:"+key, "", time.Minute).Err())
	e, got, err := lookup(r, key, itemNames...)
	assert.Nil(t, e, "empty: Lookup; want a miss")
	assert.ErrorIs(t, err, backend.ErrNotFound, "empty: Lookup; want a miss")
	assert.Equal(t, vals, got, "empty: Lookup reported tokens")
	// The cache then stores a fresh entry over the corrupt one.
	require.NoError(t, r.Store(ctx, key, testEntry("fresh"), time.Minute, backend.Tokens{Names: itemNames, Values: vals}))
	e, _, err = lookup(r, key, itemNames...)
	require.NoError(t, err, "Lookup after a store over a corrupt value")
	require.Equal(t, "fresh", string(e.Body), "Lookup after a store over a corrupt value")
}

func TestRedisCorruptTokenIsAMismatch(t *testing.T) {
	srv := testutil.StartRedis(t)
	r := newTestRedis(t, srv.URL(), redis.Options{KeyPrefix: "p"})
	ctx := context.Background()
	const key = "k"
	fillEntry(t, r, key, time.Minute, itemNames...)
	for _, bad := range []string{"zz", "0000000000000000", "ABCDEF0123456789", "123"} {
		require.NoError(t, srv.Client().Set(ctx, "p:t:"+itemNames[2], bad, time.Minute).Err())
		e, got, err := lookup(r, key, itemNames...)
		require.Nil(t, e, "token %q: Lookup", bad)
		require.ErrorIs(t, err, backend.ErrNotFound, "token %q: Lookup", bad)
		assert.Equal(t, backend.Token(0), got[2], "token %q reported as", bad)
		// A store cannot create it (it is there): the fill is abandoned,
		// and nothing is served until a write renews it.
		err = r.Store(ctx, key, testEntry("x"), time.Minute, backend.Tokens{Names: itemNames, Values: got})
		assert.ErrorIs(t, err, backend.ErrConflict, "token %q: Store", bad)
	}
	require.NoError(t, r.Renew(ctx, itemNames[2:3], time.Minute))
	fillEntry(t, r, key, time.Minute, itemNames...)
	_, _, err := lookup(r, key, itemNames...)
	require.NoError(t, err, "Lookup after a renew and a fill")
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
	require.NoError(t, err)
	defer r.Close()
	// NewRedisClient asked the server its ROLE (a replica is refused);
	// count from here.
	_, singles := counter.take()
	assert.Equal(t, []string{"role"}, singles, "NewRedisClient sent")

	check := func(what string, want [][]string) {
		t.Helper()
		pipelines, singles := counter.take()
		assert.Empty(t, singles, "%s: single commands; want pipelines only", what)
		assert.Equal(t, want, pipelines, "%s: pipelines", what)
	}
	vals := make([]backend.Token, len(itemNames))
	_, err = r.Lookup(ctx, "k", backend.Tokens{Names: itemNames, Values: vals})
	require.ErrorIs(t, err, backend.ErrNotFound)
	checkSingle := func(what string, want ...string) {
		t.Helper()
		pipelines, singles := counter.take()
		assert.Empty(t, pipelines, "%s: pipelines; want single commands only", what)
		assert.Equal(t, want, singles, "%s: single commands", what)
	}
	// One command: the entry and its tokens share a server.
	checkSingle("Lookup miss", "mget")

	// A store is one pipeline: the SET that stages the entry and the
	// script that checks the tokens and moves the entry into place.
	checkStore := func(what string, eval ...string) {
		t.Helper()
		pipelines, singles := counter.take()
		assert.Equal(t, [][]string{{"set", "evalsha"}}, pipelines, "%s: pipelines", what)
		assert.Equal(t, eval, singles, "%s: single commands", what)
	}
	require.NoError(t, r.Store(ctx, "k", testEntry("x"), time.Minute, backend.Tokens{Names: itemNames, Values: vals}))
	// The first store finds the script unknown to the server and sends it.
	checkStore("Store creating every token", "eval")

	_, err = r.Lookup(ctx, "k", backend.Tokens{Names: itemNames, Values: make([]backend.Token, len(itemNames))})
	require.NoError(t, err)
	checkSingle("Lookup hit", "mget")

	require.NoError(t, r.Store(ctx, "k2", testEntry("x"), time.Minute, backend.Tokens{Names: itemNames, Values: vals}))
	checkStore("Store under present tokens")

	// After a restart (SCRIPT FLUSH forgets scripts as a restart does) the
	// store sends the script again.
	require.NoError(t, srv.Client().ScriptFlush(ctx).Err())
	require.NoError(t, r.Store(ctx, "k3", testEntry("x"), time.Minute, backend.Tokens{Names: itemNames, Values: vals}))
	checkStore("Store after SCRIPT FLUSH", "eval")
	require.NoError(t, r.Store(ctx, "k4", testEntry("x"), time.Minute, backend.Tokens{Names: itemNames, Values: vals}))
	checkStore("Store once the script is back")

	require.NoError(t, r.Renew(ctx, itemNames[2:], time.Minute))
	check("Renew of 3 tokens", [][]string{{"set", "set", "set"}})
}

func TestRedisClearPatternStaysInItsNamespace(t *testing.T) {
	srv := testutil.StartRedis(t)
	r := newTestRedis(t, srv.URL(), redis.Options{KeyPrefix: "app"})
	ctx := context.Background()
	raw := srv.Client()
	for _, k := range []string{"other:e:a", "e:a", "app2:e:a", "plain"} {
		require.NoError(t, raw.Set(ctx, k, "v", 0).Err())
	}
	for i := range 30 {
		fillEntry(t, r, fmt.Sprintf("a%d", i), time.Minute, itemNames...)
	}
	n, err := r.ClearPattern(ctx, "")
	require.NoError(t, err, "ClearPattern(\"\")")
	require.Equal(t, 30, n, "ClearPattern(\"\")")
	left, err := raw.Keys(ctx, "*").Result()
	require.NoError(t, err)
	require.Len(t, left, 4+len(itemNames), "keys left %q: want the 4 foreign keys and the %d tokens", left, len(itemNames))
	for _, k := range left {
		if strings.HasPrefix(k, "app:") {
			assert.True(t, strings.HasPrefix(k, "app:t:"), "ClearPattern left the entry %q", k)
		}
	}
}

func TestRedisScanRejectsForeignCursors(t *testing.T) {
	srv := testutil.StartRedis(t)
	r := newTestRedis(t, srv.URL(), redis.Options{})
	for _, c := range []string{"!!", "MTIz", "eCB5IHo", "MCA5OSBh"} { // "123", "x y z", "0 99 a"
		_, _, err := r.Scan(context.Background(), "", c, 10)
		assert.Error(t, err, "Scan with cursor %q succeeded, want an error", c)
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
	staged, err := srv.Client().Keys(ctx, "p:s:*").Result()
	require.NoError(t, err)
	assert.Empty(t, staged, "the abandoned store left its staged entry")
}

// stagedElsewhere sends every staged entry's SET to another key, so that
// the store script finds its staged entry gone, as it would after an
// eviction under maxmemory.
type stagedElsewhere struct{}

func (stagedElsewhere) DialHook(next goredis.DialHook) goredis.DialHook          { return next }
func (stagedElsewhere) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook { return next }
func (stagedElsewhere) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		for _, cmd := range cmds {
			if args := cmd.Args(); cmd.Name() == "set" && len(args) > 1 {
				if k, ok := args[1].(*string); ok && strings.HasPrefix(*k, "p:s:") {
					args[1] = "elsewhere"
				}
			}
		}
		return next(ctx, cmds)
	}
}

// A staged entry gone when the script runs is a store not made, reported
// as a conflict (a miss served uncached), never an error that would count
// against the circuit breaker; the tokens are still written.
func TestRedisStoreWithItsStagedEntryGone(t *testing.T) {
	srv := testutil.StartRedis(t)
	client := goredis.NewClient(&goredis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true})
	defer client.Close()
	client.AddHook(stagedElsewhere{})
	ctx := context.Background()
	r, err := redis.FromClient(ctx, client, redis.Options{KeyPrefix: "p", Logger: quiet})
	require.NoError(t, err)
	defer r.Close()
	vals := make([]backend.Token, len(itemNames))
	_, err = r.Lookup(ctx, "k", backend.Tokens{Names: itemNames, Values: vals})
	require.ErrorIs(t, err, backend.ErrNotFound)
	err = r.Store(ctx, "k", testEntry("x"), time.Minute, backend.Tokens{Names: itemNames, Values: vals})
	require.ErrorIs(t, err, backend.ErrConflict)
	n, err := srv.Client().Exists(ctx, "p:e:k", "elsewhere").Result()
	require.NoError(t, err)
	assert.Equal(t, int64(1), n, "the entry was written (or the staged SET never ran)")
	n, err = srv.Client().Exists(ctx, "p:e:k").Result()
	require.NoError(t, err)
	assert.Zero(t, n, "an entry was written without its staged copy")
	_, got, err := lookup(r, "k", itemNames...)
	require.ErrorIs(t, err, backend.ErrNotFound)
	assert.NotContains(t, got, backend.Token(0), "the store created its absent tokens")
}
