package memory_test

// Choosing the memory backend's eviction policy by measurement: otter's
// W-TinyLFU (what memory.go used until 3909f57) against the textbook
// alternative, a mutex-guarded LRU, on what matters to a response cache:
// the latency of a hit under parallel load, and the hit ratio on a skewed
// (Zipf) stream with a cache holding about a tenth of the keys. The
// backend now keeps its entries in sharded maps with sampled LRU eviction
// (entries.go says why); BenchmarkHitLatency's memory-backend case
// measures it beside the two.
//
//	go test -run '^$' -bench 'BenchmarkEviction' -benchtime 1x ./backend/   (hit ratios: one pass)
//	go test -run '^$' -bench 'BenchmarkHitLatency' ./backend/

import (
	"container/list"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/memory"
)

// evictingCache is what the two policies are compared through.
type evictingCache interface {
	Get(key string) (*backend.Entry, bool)
	Set(key string, e *backend.Entry)
}

// weight counts an entry as memory.go's weigher does.
func weight(key string, e *backend.Entry) uint64 { return uint64(len(key) + e.Size() + 96) }

// otterCache is configured as memory.go configured otter.
type otterCache struct {
	c *otter.Cache[string, *backend.Entry]
}

func newOtterCache(maxBytes uint64) otterCache {
	c, err := otter.New(&otter.Options[string, *backend.Entry]{
		MaximumWeight: maxBytes,
		Weigher:       func(k string, e *backend.Entry) uint32 { return uint32(weight(k, e)) },
		Executor:      func(fn func()) { fn() },
	})
	if err != nil {
		panic(err)
	}
	return otterCache{c}
}

func (o otterCache) Get(key string) (*backend.Entry, bool) { return o.c.GetIfPresent(key) }
func (o otterCache) Set(key string, e *backend.Entry)      { o.c.Set(key, e) }

// lruCache is a plain byte-bounded LRU behind one mutex: every hit moves
// its entry to the front, so every hit takes the lock.
type lruCache struct {
	mu       sync.Mutex
	items    map[string]*list.Element
	order    list.List // front: most recently used
	bytes    uint64
	maxBytes uint64
}

type lruItem struct {
	key string
	e   *backend.Entry
	w   uint64
}

func newLRUCache(maxBytes uint64) *lruCache {
	return &lruCache{items: map[string]*list.Element{}, maxBytes: maxBytes}
}

func (l *lruCache) Get(key string) (*backend.Entry, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.items[key]
	if !ok {
		return nil, false
	}
	l.order.MoveToFront(el)
	return el.Value.(*lruItem).e, true
}

func (l *lruCache) Set(key string, e *backend.Entry) {
	w := weight(key, e)
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.items[key]; ok {
		it := el.Value.(*lruItem)
		l.bytes += w - it.w
		it.e, it.w = e, w
		l.order.MoveToFront(el)
	} else {
		l.items[key] = l.order.PushFront(&lruItem{key, e, w})
		l.bytes += w
	}
	for l.bytes > l.maxBytes {
		it := l.order.Remove(l.order.Back()).(*lruItem)
		delete(l.items, it.key)
		l.bytes -= it.w
	}
}

func benchEntry() *backend.Entry {
	return &backend.Entry{
		Status: 200,
		Header: []backend.HeaderField{{Name: "Content-Type", Values: []string{"application/json"}}},
		Body:   make([]byte, 1024),
		ETag:   `"0123456789abcdef"`,
	}
}

var policies = []struct {
	name string
	new  func(maxBytes uint64) evictingCache
}{
	{"otter", func(n uint64) evictingCache { return newOtterCache(n) }},
	{"lru", func(n uint64) evictingCache { return newLRUCache(n) }},
}

// BenchmarkHitLatency: hits on 10,000 held entries from every P at once.
func BenchmarkHitLatency(b *testing.B) {
	const n = 10_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("gincache:v1:GET:example.com:/items/%d", i)
	}
	for _, p := range policies {
		b.Run(p.name, func(b *testing.B) {
			c := p.new(1 << 30)
			for _, k := range keys {
				c.Set(k, benchEntry())
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				r := rand.New(rand.NewPCG(rand.Uint64(), 0))
				for pb.Next() {
					if _, ok := c.Get(keys[r.IntN(n)]); !ok {
						b.Error("miss on a held key")
						return
					}
				}
			})
		})
	}
	// The whole memory backend's hit (entry and five tokens), for scale.
	b.Run("memory-backend", func(b *testing.B) {
		m, err := memory.New(memory.Options{})
		require.NoError(b, err)
		defer m.Close()
		ctx := context.Background()
		names := func(i int) []string {
			return []string{"t:epoch", "t:S:/", "t:S:/items", fmt.Sprintf("t:S:/items/%d", i), fmt.Sprintf("t:E:/items/%d", i)}
		}
		for i, k := range keys {
			tok := backend.Tokens{Names: names(i), Values: make([]backend.Token, 5)}
			_, _ = m.Lookup(ctx, k, tok)
			require.NoError(b, m.Store(ctx, k, benchEntry(), time.Hour, tok))
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			r := rand.New(rand.NewPCG(rand.Uint64(), 0))
			tok := make([]backend.Tokens, n)
			for i := range tok {
				tok[i] = backend.Tokens{Names: names(i), Values: make([]backend.Token, 5)}
			}
			for pb.Next() {
				i := r.IntN(n)
				if _, err := m.Lookup(ctx, keys[i], tok[i]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkEvictionHitRatio replays one Zipf-distributed stream of
// requests over 100,000 keys through each policy, with room for 10% of
// the keys; a miss stores the entry, as the cache does. The metric is the
// fraction of requests served from the cache.
func BenchmarkEvictionHitRatio(b *testing.B) {
	const (
		keyCount = 100_000
		requests = 1_000_000
	)
	keys := make([]string, keyCount)
	for i := range keys {
		keys[i] = fmt.Sprintf("gincache:v1:GET:example.com:/items/%d", i)
	}
	capacity := uint64(keyCount/10) * weight(keys[keyCount-1], benchEntry())
	for _, s := range []float64{1.01, 1.1, 1.3} {
		// One stream for every policy; the popular ranks land on keys in
		// random order, so no policy gains from key order.
		r := rand.New(rand.NewPCG(1, uint64(s*100)))
		perm := r.Perm(keyCount)
		z := rand.NewZipf(r, s, 1, keyCount-1)
		stream := make([]int32, requests)
		for i := range stream {
			stream[i] = int32(perm[z.Uint64()])
		}
		for _, p := range policies {
			b.Run(fmt.Sprintf("s=%.2f/%s", s, p.name), func(b *testing.B) {
				var ratio float64
				e := benchEntry() // one value for all: only the weight matters here
				for b.Loop() {
					c := p.new(capacity)
					hits := 0
					for _, k := range stream {
						if _, ok := c.Get(keys[k]); ok {
							hits++
						} else {
							c.Set(keys[k], e)
						}
					}
					ratio = float64(hits) / requests
				}
				b.ReportMetric(ratio, "hit-ratio")
			})
		}
	}
}

// BenchmarkPeek: the memory backend's hit path (Peek) on one of 10,000
// held entries, each under five tokens, as a GET of /items/N reads it:
// the table as a busy cache holds it, where the 1-entry shards of bench/'s
// BenchmarkHit are not. Count it with callgrind for a deterministic
// figure: bench/callgrind.sh ./backend/memory 'BenchmarkPeek$' 20000 120000.
func BenchmarkPeek(b *testing.B) {
	const n = 10_000
	m, err := memory.New(memory.Options{MaxBytes: 1 << 30})
	require.NoError(b, err)
	defer m.Close()
	ctx := context.Background()
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("gincache:v1:GET:example.com:/items/%d", i)
		tok := backend.Tokens{
			Names:  []string{"t:epoch", "t:S:/", "t:S:/items", fmt.Sprintf("t:S:/items/%d", i), fmt.Sprintf("t:E:/items/%d", i)},
			Values: make([]backend.Token, 5),
		}
		_, _ = m.Lookup(ctx, keys[i], tok)
		require.NoError(b, m.Store(ctx, keys[i], benchEntry(), time.Hour, tok))
	}
	now := time.Now()
	var vals [5]backend.Token
	var dst backend.Entry
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		dst.Tokens = vals[:0]
		if !m.Peek(keys[i], 5, now, &dst) {
			b.Fatalf("peek of %s missed", keys[i])
		}
		if i++; i == n {
			i = 0
		}
	}
}
