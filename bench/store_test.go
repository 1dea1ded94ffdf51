package bench

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// BenchmarkStoreLayout: the Redis work of one miss, the lookup and then
// the store, laid out four ways, each encoding the same entry, on one
// server. It isolates what the conditional store costs the server (the
// Redis miss end to end shares two cores with it), and whether another
// layout of it would cost less:
//
//	get-set       GET, then SET: chenyahui/gin-cache's miss, with this library's entry bytes
//	mget-set      this library's lookup (MGET of the entry and five tokens), then a plain SET:
//	              the tokens read, no conditional store
//	gincache      this library's backend: Lookup, then Store (a SET staging the entry and an
//	              EVALSHA that checks the tokens and RENAMEs it, pipelined)
//	mget-inline   the lookup, then one EVALSHA that checks the tokens and SETs the entry
//	              passed as its argument: the layout before the staged SET
//
// Every op is a new key (a cycle of keys, removed off the clock between
// cycles), as every miss end to end is. redis-cpu-ns/op is the server's
// CPU time per miss; cpu-ns/op this process's.
func BenchmarkStoreLayout(b *testing.B) {
	for _, sz := range sizes {
		srv := sharedRedis(b)
		if srv == nil {
			b.Run("size="+sz.name, skipped(noRedis))
			continue
		}
		addr := srv.Addr()
		var runs []namedRun
		for _, l := range storeLayouts {
			s := l.setup(b, addr, sz)
			runs = append(runs, namedRun{l.name, func(b *testing.B) { runStoreLayout(b, s, sz) }})
		}
		interleave(b, "size="+sz.name+"/", runs)
	}
}

// layoutStore is one layout's miss (op) and what removes a cycle's
// entries (clear); meter is a client of the server.
type layoutStore struct {
	op    func(ctx context.Context, i int) error
	clear func(ctx context.Context) error
	meter *goredis.Client
}

type storeLayout struct {
	name  string
	setup func(b *testing.B, addr string, sz size) *layoutStore
}

// layoutTokens are the token names of a miss of /items/{i}: the epoch,
// the subtree tokens of the path's nodes and the item's own.
func layoutTokens(i int) []string {
	item := strconv.Itoa(i)
	return []string{"epoch", "S:/", "S:/items", "S:/items/" + item, "E:/items/" + item}
}

// layoutEntry is an entry of sz's payload size with the token values
// vals. The layouts other than gincache encode it for each store, as
// Store does: the bytes this library stores, at its cost.
func layoutEntry(sz size, vals []backend.Token) *backend.Entry {
	body := make([]byte, sz.n)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	now := time.Now()
	e := &backend.Entry{
		Status:   200,
		Header:   []backend.HeaderField{{Name: "Content-Type", Values: []string{"application/json; charset=utf-8"}}},
		Body:     body,
		StoredAt: now,
		Expires:  now.Add(time.Hour),
		Tokens:   vals,
	}
	e.SetETag(`"0123456789abcdef-400"`)
	return e
}

// encoder encodes e into a buffer it reuses.
func encoder(e *backend.Entry) func() ([]byte, error) {
	var buf []byte
	return func() ([]byte, error) {
		var err error
		buf, err = e.AppendBinary(buf[:0])
		return buf, err
	}
}

var storeLayouts = []storeLayout{
	{name: "get-set", setup: func(b *testing.B, addr string, sz size) *layoutStore {
		c := newUnpeekedClient(b, addr)
		encode := encoder(layoutEntry(sz, make([]backend.Token, 5)))
		prefix := "ls-getset-" + sz.name + ":"
		return &layoutStore{meter: c, clear: func(ctx context.Context) error { return unlinkPrefix(ctx, c, prefix) },
			op: func(ctx context.Context, i int) error {
				key := prefix + strconv.Itoa(i)
				if err := c.Get(ctx, key).Err(); !errors.Is(err, goredis.Nil) {
					return fmt.Errorf("GET %s: %v, want a miss", key, err)
				}
				data, err := encode()
				if err != nil {
					return err
				}
				return c.Set(ctx, key, data, time.Hour).Err()
			}}
	}},
	{name: "mget-set", setup: func(b *testing.B, addr string, sz size) *layoutStore {
		c := newUnpeekedClient(b, addr)
		prefix := "ls-mgetset-" + sz.name + ":"
		tokens := presetTokens(b, c, prefix+"t:", cycleLen(sz))
		encode := encoder(layoutEntry(sz, make([]backend.Token, 5)))
		return &layoutStore{meter: c, clear: func(ctx context.Context) error { return unlinkPrefix(ctx, c, prefix+"e:") },
			op: func(ctx context.Context, i int) error {
				keys := append([]string{prefix + "e:" + strconv.Itoa(i)}, tokens(i)...)
				vals, err := c.MGet(ctx, keys...).Result()
				if err != nil || vals[0] != nil {
					return fmt.Errorf("MGET %s: %v, want a miss", keys[0], err)
				}
				data, err := encode()
				if err != nil {
					return err
				}
				return c.Set(ctx, keys[0], data, time.Hour).Err()
			}}
	}},
	{name: "gincache", setup: func(b *testing.B, addr string, sz size) *layoutStore {
		rb := newRedisBackend(b, "redis://"+addr+"/0", "ls-gincache-"+sz.name)
		e := layoutEntry(sz, nil)
		return &layoutStore{meter: newClient(b, addr), clear: func(ctx context.Context) error { _, err := rb.ClearPattern(ctx, "*"); return err },
			op: func(ctx context.Context, i int) error {
				key := strconv.Itoa(i)
				tok := backend.Tokens{Names: layoutTokens(i), Values: make([]backend.Token, 5)}
				if _, err := rb.Lookup(ctx, key, tok); !errors.Is(err, backend.ErrNotFound) {
					return fmt.Errorf("Lookup %s: %v, want a miss", key, err)
				}
				return rb.Store(ctx, key, e, time.Hour, tok)
			}}
	}},
	{name: "mget-inline", setup: func(b *testing.B, addr string, sz size) *layoutStore {
		c := newUnpeekedClient(b, addr)
		prefix := "ls-inline-" + sz.name + ":"
		tokens := presetTokens(b, c, prefix+"t:", cycleLen(sz))
		encode := encoder(layoutEntry(sz, make([]backend.Token, 5)))
		require.NoError(b, inlineStore.Load(context.Background(), c).Err())
		return &layoutStore{meter: c, clear: func(ctx context.Context) error { return unlinkPrefix(ctx, c, prefix+"e:") },
			op: func(ctx context.Context, i int) error {
				keys := append(tokens(i), prefix+"e:"+strconv.Itoa(i))
				vals, err := c.MGet(ctx, append([]string{keys[5]}, keys[:5]...)...).Result()
				if err != nil || vals[0] != nil {
					return fmt.Errorf("MGET %s: %v, want a miss", keys[5], err)
				}
				data, err := encode()
				if err != nil {
					return err
				}
				args := append([]any{int64(time.Hour / time.Millisecond), data}, vals[1:]...)
				n, err := inlineStore.EvalSha(ctx, c, keys, args...).Int()
				if err == nil && n != 1 {
					err = errors.New("the inline store found a token changed")
				}
				return err
			}}
	}},
}

// presetTokens sets the token keys of /items/0 to /items/{n-1} under
// prefix once, as the fills before would have, and returns the names of
// i's.
func presetTokens(b *testing.B, c *goredis.Client, prefix string, n int) func(i int) []string {
	ctx := context.Background()
	names := func(i int) []string {
		ns := layoutTokens(i)
		for j := range ns {
			ns[j] = prefix + ns[j]
		}
		return ns
	}
	pipe := c.Pipeline()
	for i := range n {
		for _, name := range names(i) {
			pipe.Set(ctx, name, strconv.FormatUint(uint64(backend.NewToken()), 16), 0)
		}
	}
	_, err := pipe.Exec(ctx)
	require.NoError(b, err)
	return names
}

// inlineStore is the conditional store with the entry as an argument:
// KEYS the five tokens and the entry, ARGV[1] the TTL in ms, ARGV[2] the
// entry, ARGV[3..7] the tokens as read. Lua copies the entry into a
// string of its own, and the SET copies it again.
var inlineStore = goredis.NewScript(`
local got = redis.call('MGET', unpack(KEYS, 1, 5))
for i = 1, 5 do
  if got[i] ~= ARGV[2 + i] then return 0 end
end
redis.call('SET', KEYS[6], ARGV[2], 'PX', ARGV[1])
return 1
`)

func runStoreLayout(b *testing.B, s *layoutStore, sz size) {
	ctx := context.Background()
	n := cycleLen(sz)
	// Warm up with a whole cycle: the connections, the script, and the
	// tokens the gincache layout creates on its first store of each key.
	for i := range n {
		require.NoError(b, s.op(ctx, i))
	}
	require.NoError(b, s.clear(ctx))
	meter := startMeter(b, s.meter)
	b.ResetTimer()
	start := cpuTime()
	var offClock time.Duration
	for i := 0; i < b.N; i++ {
		if i > 0 && i%n == 0 {
			b.StopTimer()
			meter.pause()
			t := cpuTime()
			require.NoError(b, s.clear(ctx))
			offClock += cpuTime() - t
			meter.resume()
			b.StartTimer()
		}
		if err := s.op(ctx, i%n); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	meter.report(b)
	b.ReportMetric(float64(cpuTime()-start-offClock)/float64(b.N), "cpu-ns/op")
	require.NoError(b, s.clear(ctx))
}
