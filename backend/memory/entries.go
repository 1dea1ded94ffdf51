package memory

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// The entry table: the items by key, in 64 shards each a Go map under a
// lock of its own, bounded in bytes by sampled LRU eviction.
//
// It took the place of maypok86/otter (W-TinyLFU) for what a response
// cache pays on every miss: in a CPU profile of bench/'s 1 KiB memory
// miss, otter's Set took about 1 µs a store (its policy's bookkeeping
// after each write, and its concurrent map) of the 4 µs by which the miss
// then cost more than chenyahui/gin-cache's (BENCHMARKS.md, "Where the
// time and the bytes go"); and its node and table took about 90 bytes an
// entry, a Go map's slot about 33 (TestMemoryFootprint). What is given
// up is TinyLFU's admission filter, which keeps a burst of one-off URLs
// from pushing out frequently read ones; LRU evicts what was read least
// recently, which is what most response caches do.

const (
	entryShards = 64
	// evictionSamples is how many entries eviction compares to choose one.
	// Redis samples 5 by default and documents 10 as very close to true
	// LRU. With 5, an entry read regularly but not often is too likely to
	// be the oldest of its sample: the more samples, the closer the victim
	// is to the least recently used of all.
	evictionSamples = 10
)

// entryShard is one shard: a map under a lock, padded to a cache line so
// that hits on neighbouring shards do not contend. The map is keyed by the
// key's 64-bit hash, not the key: its slot is 16 bytes where a string key
// made it 24 (TestMemoryFootprint), and a lookup hashes the key once, for
// the shard and the map both. The item holds its key (item.key), which a
// lookup compares: two keys whose hashes collide, a 2^-64 chance with a
// seed per backend, never read each other's entry; the later stored
// replaces the earlier, as an eviction would.
type entryShard struct {
	mu    sync.RWMutex
	items map[uint64]*item
	_     [64 - 32]byte
}

// entryTable holds the entries. weight is the bytes held as
// item.weight counts them, count the items; clock advances on every
// store, and an item is stamped with it when stored and when read, so
// that an item's age is how many stores ago it was last used.
type entryTable struct {
	shards [entryShards]entryShard
	seed   maphash.Seed
	max    int64
	weight atomic.Int64
	count  atomic.Int64
	clock  atomic.Uint32
	hand   atomic.Uint32 // the shard eviction samples next
}

func newEntryTable(maxBytes int64) *entryTable {
	t := &entryTable{seed: maphash.MakeSeed(), max: maxBytes}
	for i := range t.shards {
		t.shards[i].items = make(map[uint64]*item)
	}
	return t
}

// locate returns the shard of key and the key's hash, its key there.
func (t *entryTable) locate(key string) (*entryShard, uint64) {
	h := maphash.String(t.seed, key)
	return &t.shards[h%entryShards], h
}

// get returns the item under key and stamps it as used.
func (t *entryTable) get(key string) (*item, bool) {
	s, h := t.locate(key)
	s.mu.RLock()
	it, ok := s.items[h]
	s.mu.RUnlock()
	if !ok || it.key() != key {
		return nil, false
	}
	// Written only when it changes: an item read again and again
	// between stores is not written again and again.
	if now := t.clock.Load(); it.used.Load() != now {
		it.used.Store(now)
	}
	return it, true
}

// set stores it, under the key it holds, replacing what was there, and
// evicts until the bytes held are within the bound. An item heavier than
// the whole bound is not held (it would evict everything and then
// itself), and the one it replaces goes.
func (t *entryTable) set(it *item) {
	key := it.key()
	s, h := t.locate(key)
	w := it.weight()
	if w > t.max {
		t.remove(s, h, key, nil)
		return
	}
	it.used.Store(t.clock.Add(1))
	s.mu.Lock()
	old := s.items[h]
	s.items[h] = it
	s.mu.Unlock()
	if old != nil {
		w -= old.weight()
	} else {
		t.count.Add(1)
	}
	if t.weight.Add(w) > t.max {
		t.evict()
	}
}

// remove deletes the item under hash h from s, if it is want, or when want
// is nil if it holds key, and returns it.
func (t *entryTable) remove(s *entryShard, h uint64, key string, want *item) (*item, bool) {
	s.mu.Lock()
	it, ok := s.items[h]
	if ok && (it == want || want == nil && it.key() == key) {
		delete(s.items, h)
	} else {
		ok = false
	}
	s.mu.Unlock()
	if ok {
		t.weight.Add(-it.weight())
		t.count.Add(-1)
	}
	return it, ok
}

// delete removes the item under key and returns it.
func (t *entryTable) delete(key string) (*item, bool) {
	s, h := t.locate(key)
	return t.remove(s, h, key, nil)
}

// evict removes entries until the bytes held are within the bound. Each
// victim is the least recently used of evictionSamples entries taken from
// the shards in turn, from wherever a Go map's iteration starts (a random
// place): an approximation of LRU, as Redis's allkeys-lru makes.
func (t *entryTable) evict() {
	for t.weight.Load() > t.max {
		now := t.clock.Load()
		var victim *item
		var vhash uint64
		var vshard *entryShard
		var oldest int32
		n := 0
		for visited := 0; n < evictionSamples && visited < entryShards; visited++ {
			s := &t.shards[t.hand.Add(1)%entryShards]
			s.mu.RLock()
			for h, it := range s.items {
				// A stamp read after now (a concurrent read) makes a
				// negative age: as young as can be.
				if age := int32(now - it.used.Load()); victim == nil || age > oldest {
					victim, vhash, vshard, oldest = it, h, s, age
				}
				if n++; n == evictionSamples {
					break
				}
			}
			s.mu.RUnlock()
		}
		if victim == nil {
			return // nothing held
		}
		t.remove(vshard, vhash, "", victim)
	}
}

// each calls fn for every item, one shard at a time under its read lock:
// fn must not call back into the table.
func (t *entryTable) each(fn func(key string, it *item)) {
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.RLock()
		for _, it := range s.items {
			fn(it.key(), it)
		}
		s.mu.RUnlock()
	}
}

// removeIf removes every item for which doomed reports true, and reports
// how many of them were still due (their removeAt after now). A shard is
// write-locked only when its read-locked pass finds something to remove:
// the sweep runs every second, and a write lock held over a pass would
// stall the shard's hits while most passes remove nothing.
func (t *entryTable) removeIf(now int64, doomed func(key string, it *item) bool) int {
	n := 0
	for i := range t.shards {
		s := &t.shards[i]
		if !s.any(doomed) {
			continue
		}
		s.mu.Lock()
		for h, it := range s.items {
			if doomed(it.key(), it) {
				delete(s.items, h) // allowed while ranging
				t.weight.Add(-it.weight())
				t.count.Add(-1)
				if it.removeAt > now {
					n++
				}
			}
		}
		s.mu.Unlock()
	}
	return n
}

// any reports whether doomed reports true for some item of s.
func (s *entryShard) any(doomed func(key string, it *item) bool) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, it := range s.items {
		if doomed(it.key(), it) {
			return true
		}
	}
	return false
}
