package memory

import (
	"sync"
	"sync/atomic"
)

// The token table: the cells of one shard's tokens, found by the 64-bit
// hash of their names, carved from the backend's cell directory.
//
// It takes the place of a map[uint64]*tokenCell to save memory: a token
// per path node makes tokens as many as entries, twice over, in
// DESIGN.md's footprint scenario. A Go map spends 16 bytes of slot on
// each token at up to 7/8 load and the cell is an allocation of its own:
// about 44 bytes a token in all. Here a slot is a 4-byte cell index, and
// cells are carved from blocks the shard keeps and reuses: about 33 bytes
// a token (see TestMemoryFootprint). Like a Go map's buckets, a shard's
// blocks and slots are kept at the most it ever held, to be reused.

// cellsPerBlock is how many cells a shard takes at a time: small, so that
// 64 shards' partly used last blocks cost little.
const cellsPerBlock = 64

// cellRef names a token cell by its index in the backend's cellDir: 4
// bytes where a pointer takes 8. An entry keeps the refs of its cells in
// the allocation of its key, which holds no pointers (TestMemoryFootprint);
// that is sound because a cell is never freed while the backend lives:
// the directory keeps every block, and shards reuse their cells.
type cellRef = uint32

// maxCells is how many cells a backend can hold: as many as a slot (index
// + 1, 32 bits) can name, in whole blocks; 96 GiB of cells. Past it a
// Store or Renew that needs a new token fails with errTokensFull.
const maxCells = 1<<32 - cellsPerBlock

// cellDir holds every token cell of a backend, in blocks found by a cell's
// index / cellsPerBlock. Shards take blocks from it under its lock;
// validation reads cells through view, without any.
type cellDir struct {
	mu     sync.Mutex
	blocks []*[cellsPerBlock]tokenCell
	// view is blocks as a reader without the lock sees them, published
	// again after each new block. The blocks a view holds never change,
	// so a view is true for every cell handed out before it was loaded.
	view atomic.Pointer[[]*[cellsPerBlock]tokenCell]
	// limit is maxCells; tests lower it.
	limit uint32
}

func newCellDir() *cellDir {
	d := &cellDir{limit: maxCells}
	d.view.Store(new([]*[cellsPerBlock]tokenCell))
	return d
}

// newBlock allocates a block and returns it with the index of its first
// cell, or nil when the directory holds limit cells.
func (d *cellDir) newBlock() (*[cellsPerBlock]tokenCell, uint32) {
	d.mu.Lock()
	defer d.mu.Unlock()
	base := len(d.blocks) * cellsPerBlock
	if uint64(base)+cellsPerBlock > uint64(d.limit) {
		return nil, 0
	}
	b := new([cellsPerBlock]tokenCell)
	d.blocks = append(d.blocks, b)
	view := d.blocks
	d.view.Store(&view)
	return b, uint32(base)
}

// cell returns the cell of index i, which newBlock handed out before the
// call; no lock is needed.
func (d *cellDir) cell(i cellRef) *tokenCell {
	return &(*d.view.Load())[i/cellsPerBlock][i%cellsPerBlock]
}

// tokenCell holds one token's value; 0 once it is gone. An entry keeps
// refs to the cells it was stored under, so validation never looks a
// name up. A cell removed from its shard may later hold another token:
// its value is then a new random one, which no entry stored under the
// old token recorded, so such an entry still reads as invalid.
type tokenCell struct {
	v atomic.Uint64
	// expires is the cell's end of life in Unix ns, 0 while it is out of
	// the table; hash is its token's name hash, or, while it is out of the
	// table, the index + 1 of the next free cell (0 for none). Both are
	// guarded by the shard.
	expires int64
	hash    uint64
}

// tokenShard holds the cells of the tokens whose name hashes to it, keyed
// by that 64-bit hash (seeded per backend), not by the name: keeping every
// name would cost about 60 bytes per token. Two names whose hashes collide
// share a cell, so renewing one renews both: more invalidation than asked,
// never less, and with a random seed a collision is a 2^-64 chance per
// pair that no request can steer.
type tokenShard struct {
	mu  sync.Mutex
	dir *cellDir
	// slots is an open-addressing table with linear probing: 0 is an
	// empty slot, i+1 the cell of index i. Its length is a power of two
	// (or 0), at most 3/4 full.
	slots  []uint32
	n      int                         // cells in the table
	blocks []*[cellsPerBlock]tokenCell // the blocks taken, for removeExpired
	free   uint32                      // index + 1 of the first free cell, 0 for none
}

// cell returns the cell of index i.
func (s *tokenShard) cell(i cellRef) *tokenCell {
	return s.dir.cell(i)
}

// home is the slot where the probe for h starts. The low bits of h chose
// the shard (h % tokenShards), so the slot takes the bits above them.
func (s *tokenShard) home(h uint64) int {
	return int(h>>32) & (len(s.slots) - 1)
}

// find returns the index of the cell of the token whose name hashes to h.
func (s *tokenShard) find(h uint64) (cellRef, bool) {
	if len(s.slots) == 0 {
		return 0, false
	}
	mask := len(s.slots) - 1
	for i := s.home(h); ; i = (i + 1) & mask {
		ref := s.slots[i]
		if ref == 0 {
			return 0, false
		}
		if s.cell(ref-1).hash == h {
			return ref - 1, true
		}
	}
}

// lookup returns the cell of the token whose name hashes to h, or nil.
func (s *tokenShard) lookup(h uint64) *tokenCell {
	if i, ok := s.find(h); ok {
		return s.cell(i)
	}
	return nil
}

// add puts a cell for h in the table, which must not hold one, and
// returns it and its index, with value 0 and expires 0; the caller sets
// both (expires to a time after 0). It returns nil when the directory
// is full.
func (s *tokenShard) add(h uint64) (*tokenCell, cellRef) {
	if s.free == 0 && !s.newBlock() {
		return nil, 0
	}
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	i := s.free - 1
	c := s.cell(i)
	s.free = uint32(c.hash)
	c.hash = h
	s.place(i+1, h)
	s.n++
	return c, i
}

// place puts ref (a cell index + 1) in the first empty slot from h's home.
func (s *tokenShard) place(ref uint32, h uint64) {
	mask := len(s.slots) - 1
	i := s.home(h)
	for s.slots[i] != 0 {
		i = (i + 1) & mask
	}
	s.slots[i] = ref
}

// grow doubles the table (8 slots at first) and places every cell again.
func (s *tokenShard) grow() {
	old := s.slots
	s.slots = make([]uint32, max(8, 2*len(old)))
	for _, ref := range old {
		if ref != 0 {
			s.place(ref, s.cell(ref-1).hash)
		}
	}
}

// newBlock takes a block from the directory and puts its cells on the
// free list, or reports false when the directory is full.
func (s *tokenShard) newBlock() bool {
	b, base := s.dir.newBlock()
	if b == nil {
		return false
	}
	s.blocks = append(s.blocks, b)
	for j := range b {
		b[j].hash = uint64(base) + uint64(j) + 2 // the next cell's index + 1
	}
	b[cellsPerBlock-1].hash = uint64(s.free)
	s.free = base + 1
	return true
}

// remove takes c, a cell in the table, out of it: its value becomes 0,
// so that every entry stored under it reads as invalid, and the cell goes
// to the free list.
func (s *tokenShard) remove(c *tokenCell) {
	mask := len(s.slots) - 1
	i := s.home(c.hash)
	for s.cell(s.slots[i]-1) != c {
		i = (i + 1) & mask
	}
	ref := s.slots[i]
	// Backward-shift deletion: move up each later cell of the run whose
	// home is not between the hole and it, so no probe meets a gap
	// before its cell.
	for j := (i + 1) & mask; s.slots[j] != 0; j = (j + 1) & mask {
		if home := s.home(s.cell(s.slots[j] - 1).hash); (j-home)&mask >= (j-i)&mask {
			s.slots[i] = s.slots[j]
			i = j
		}
	}
	s.slots[i] = 0
	s.n--
	c.v.Store(0)
	c.expires = 0
	c.hash = uint64(s.free)
	s.free = ref
}

// removeExpired removes every cell whose life ended at or before now.
func (s *tokenShard) removeExpired(now int64) {
	for _, b := range s.blocks {
		for j := range b {
			if c := &b[j]; c.expires != 0 && c.expires <= now {
				s.remove(c)
			}
		}
	}
}
