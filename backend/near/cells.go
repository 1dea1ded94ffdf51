package near

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// A cell counts the invalidations of one Redis key (an entry's or a
// token's) that reached this process. A near entry records, for its key
// and each of its tokens, the cell and the count read before the lookup
// that fetched it; it is valid while every count is unchanged. So a hit
// checks a handful of atomic loads and looks no name up, and a fill that
// raced an invalidation (the count moved between the lookup and the
// insert) is born invalid: no separate check can be forgotten.
type cell struct {
	gen atomic.Uint64
	// expires (monotonic ns, see Near.mono) is when the sweep may drop
	// the cell, guarded by its shard: the end of life of the longest
	// entry that records it.
	expires int64
}

const cellShards = 64

// cells maps the hash of a Redis key to its cell. Keys are hashed, not
// kept: two keys whose hashes collide share a cell, so an invalidation of
// one invalidates both, more than needed and never less.
type cells struct {
	seed   maphash.Seed
	shards [cellShards]cellShard
}

type cellShard struct {
	mu sync.Mutex
	m  map[uint64]*cell
}

func newCells() *cells {
	c := &cells{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = make(map[uint64]*cell)
	}
	return c
}

// hash returns the hash of the Redis key ns+name, without building it.
func (c *cells) hash(ns, name string) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.WriteString(ns)
	h.WriteString(name)
	return h.Sum64()
}

// get returns the cell of hash h, made if absent, kept at least until
// until.
func (c *cells) get(h uint64, until int64) *cell {
	s := &c.shards[h%cellShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.m[h]
	if x == nil {
		x = &cell{}
		s.m[h] = x
	}
	x.expires = max(x.expires, until)
	return x
}

// bump counts an invalidation of the key of hash h. A key with no cell is
// recorded by no entry and no lookup under way: nothing to do.
func (c *cells) bump(h uint64) {
	s := &c.shards[h%cellShards]
	s.mu.Lock()
	if x := s.m[h]; x != nil {
		x.gen.Add(1)
	}
	s.mu.Unlock()
}

// sweep drops the cells past their end of life. A dropped cell is bumped
// first: an entry still holding it becomes invalid, so that a later
// invalidation, which makes a new cell, cannot miss it.
func (c *cells) sweep(now int64) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for h, x := range s.m {
			if x.expires <= now {
				x.gen.Add(1)
				delete(s.m, h)
			}
		}
		s.mu.Unlock()
	}
}

// len reports how many cells are held.
func (c *cells) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}
