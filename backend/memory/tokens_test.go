package memory

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkShard compares the shard with want, the cells it must hold by
// hash: every hash of want is found at its cell, every other hash tried
// is absent, and the count and free list add up.
func checkShard(t *testing.T, s *tokenShard, want map[uint64]*tokenCell, absent []uint64) {
	t.Helper()
	require.Equal(t, len(want), s.n, "cells in the table")
	for h, c := range want {
		require.Same(t, c, s.lookup(h), "lookup(%#x)", h)
		i, ok := s.find(h)
		require.True(t, ok, "find(%#x)", h)
		require.Same(t, c, s.dir.cell(i), "the cell of find(%#x)'s index, read without the lock", h)
	}
	for _, h := range absent {
		if want[h] == nil {
			require.Nil(t, s.lookup(h), "lookup(%#x) of a hash not in the table", h)
		}
	}
	free := 0
	for ref := s.free; ref != 0; ref = uint32(s.cell(ref - 1).hash) {
		free++
		require.LessOrEqual(t, free, len(s.blocks)*cellsPerBlock, "the free list loops")
	}
	require.Equal(t, len(s.blocks)*cellsPerBlock, len(want)+free, "cells in the table and free against cells allocated")
	require.LessOrEqual(t, 4*s.n, 3*len(s.slots), "the table is over 3/4 full")
}

// The table against a map, through adds and removes in random order,
// with hashes drawn so that many share a home slot: probes run long, wrap
// around the end of the table, and removals shift cells back across it.
func TestTokenShardAgainstAMap(t *testing.T) {
	for _, homes := range []int{1, 3, 1 << 20} {
		r := rand.New(rand.NewPCG(uint64(homes), 7))
		hash := func() uint64 {
			// The high half picks the home slot: homes distinct values
			// placed at the top of the table, so runs wrap.
			return uint64(^uint32(0)-uint32(r.IntN(homes)))<<32 | uint64(r.Uint32())
		}
		s := tokenShard{dir: newCellDir()}
		want := map[uint64]*tokenCell{}
		var seen []uint64
		for step := range 5000 {
			if len(want) > 0 && r.IntN(3) == 0 {
				// Remove a random held cell.
				var h uint64
				for h = range want {
					break
				}
				c := want[h]
				c.v.Store(uint64(step) + 1)
				s.remove(c)
				require.Zero(t, c.v.Load(), "a removed cell keeps its value")
				delete(want, h)
			} else {
				h := hash()
				seen = append(seen, h)
				if want[h] != nil {
					continue
				}
				c, i := s.add(h)
				require.Same(t, c, s.dir.cell(i), "add's cell against its index read without the lock")
				require.Zero(t, c.v.Load(), "add returned a cell with a value")
				require.Zero(t, c.expires, "add returned a cell with an end of life")
				c.expires = int64(step) + 1
				want[h] = c
			}
			if step%97 == 0 {
				checkShard(t, &s, want, seen)
			}
		}
		checkShard(t, &s, want, seen)
		for h, c := range want {
			require.Equal(t, h, c.hash, "cell of %#x", h)
		}
	}
}

// removeExpired takes out exactly the cells whose life ended, and their
// cells are reused by later adds, not allocated again.
func TestTokenShardRemoveExpired(t *testing.T) {
	s := tokenShard{dir: newCellDir()}
	want := map[uint64]*tokenCell{}
	var all []uint64
	for i := range 1000 {
		h := uint64(i)*0x9e3779b97f4a7c15 + 1
		all = append(all, h)
		c, _ := s.add(h)
		c.v.Store(uint64(i) + 1)
		c.expires = int64(i%10) + 1
		if i%10 >= 5 {
			want[h] = c
		}
	}
	blocks := len(s.blocks)
	s.removeExpired(5)
	checkShard(t, &s, want, all)
	for _, c := range want {
		require.NotZero(t, c.v.Load(), "a live cell lost its value")
	}
	for i := range 500 {
		h := uint64(i) + 1<<40
		want[h], _ = s.add(h)
		want[h].expires = 100
	}
	checkShard(t, &s, want, all)
	require.Equal(t, blocks, len(s.blocks), "blocks after reusing the 500 removed cells")
}

// A directory holds at most limit cells: a shard's add then reports nil,
// and takes nothing; a removed cell makes room again.
func TestTokenShardLimit(t *testing.T) {
	d := newCellDir()
	d.limit = 2 * cellsPerBlock
	s := tokenShard{dir: d}
	var cells []*tokenCell
	for i := range 2 * cellsPerBlock {
		c, _ := s.add(uint64(i) + 1)
		require.NotNil(t, c, "add %d of %d", i+1, 2*cellsPerBlock)
		c.expires = 1
		cells = append(cells, c)
	}
	c, _ := s.add(1 << 40)
	require.Nil(t, c, "add past the limit")
	require.Equal(t, 2*cellsPerBlock, s.n, "cells after a refused add")
	require.Len(t, s.blocks, 2, "blocks after a refused add")
	s.remove(cells[7])
	c, i := s.add(1 << 40)
	require.Same(t, cells[7], c, "add after a remove reuses the cell")
	require.Equal(t, uint32(7), i, "index of the reused cell")
}
