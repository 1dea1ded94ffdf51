package memory

import (
	"cmp"
	"container/heap"
	"context"
	"errors"
	"hash/maphash"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

// Options configures New. The zero value gives the defaults.
type Options struct {
	// MaxBytes bounds the bytes held by entries (bodies, headers, keys and
	// bookkeeping, as Entry.Size counts them). Past it the least recently
	// used entries are evicted (sampled LRU: see entries.go).
	// Default: 64 MiB. Negative is an error.
	MaxBytes int64

	// SweepInterval is how often expired entries and tokens are removed
	// without waiting for a read. Default: 1s. Negative is an error.
	SweepInterval time.Duration

	// Now is the clock. Default: time.Now. Tests inject a fake one.
	Now func() time.Time
}

const (
	defaultMemoryMaxBytes = 64 << 20
	defaultSweepInterval  = time.Second
	tokenShards           = 64
	// entryOverhead approximates what the table's slot, the key and the
	// ETag's allocation add per entry, beyond what Entry.Size counts.
	entryOverhead = 96
)

// Memory is the in-process backend: a byte-bounded map of entries with
// TTLs, and generation tokens held in atomic cells, so that checking an
// entry's tokens on a hit is a handful of atomic loads with no lookups.
//
// Scan returns keys in lexical order with the last key as the cursor, so a
// full iteration returns every key present throughout exactly once.
type Memory struct {
	entries  *entryTable
	cells    *cellDir
	tokens   [tokenShards]tokenShard
	seed     maphash.Seed
	now      func() time.Time
	interval time.Duration

	closed    atomic.Bool
	closeOnce sync.Once
	stop      chan struct{}
	done      chan struct{}
	// swept, when not nil, hears of every sweep the background loop
	// finishes: tests wait on it instead of sleeping.
	swept chan<- struct{}
}

// item is what the backend holds for one entry: the Entry given to Store
// in 96 bytes where a copy of it took 192 (TestMemoryFootprint). Its
// slices are a pointer and a length each (the body, the route's shared
// header fields, the refs of its token cells), its times Unix ns, and
// its ETag is kept as the values of a header field, which an Entry filled
// by Peek shares (backend.Entry.ShareETag). The cell refs live in the
// allocation of the entry's key (keyBlock); in place of the token values
// recorded, the item keeps their digest (tokenDigest), which validation
// computes again from the cells' values, and those values are the
// Entry's Tokens. removeAt (Unix ns) is when the backend drops the item.
type item struct {
	body     *byte
	header   *backend.HeaderField
	cells    *cellRef
	digest   uint64
	etag     [1]string
	storedAt int64
	expires  int64
	stale    int64
	removeAt int64
	bodyLen  uint32
	nheader  uint16
	keyLen   uint16
	ncells   uint16
	status   uint16
	// used is the table's clock when the item was last stored or read,
	// for eviction (entryTable).
	used atomic.Uint32
}

// key returns the key the item is stored under, which keyBlock put after
// its cell refs (cells points at the start of that allocation).
func (it *item) key() string {
	if it.keyLen == 0 {
		return "" // the refs may end the allocation: no pointer past it
	}
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(it.cells), 4*uintptr(it.ncells))), it.keyLen)
}

// weight is what the item counts for against MaxBytes: its key,
// Entry.Size of the entry it holds, and entryOverhead.
func (it *item) weight() int64 {
	e := backend.Entry{
		Header: unsafe.Slice(it.header, it.nheader),
		Body:   unsafe.Slice(it.body, it.bodyLen),
		ETag:   it.etag[0],
	}
	// Entry.Size counts 16 bytes a token.
	return int64(int(it.keyLen) + e.Size() + 16*int(it.ncells) + entryOverhead)
}

// fill sets *e to the entry the item holds, sharing its memory, with
// tokens the values its validation read. It assigns field by field: a
// composite literal is built apart and then copied in whole, with a write
// barrier over all of it, which cost a hit more than the fill itself
// (callgrind, bench/callgrind.sh on bench/'s BenchmarkHit).
func (it *item) fill(e *backend.Entry, tokens []backend.Token) {
	e.Status = int(it.status)
	e.Header = unsafe.Slice(it.header, it.nheader)
	e.Body = unsafe.Slice(it.body, it.bodyLen)
	e.StoredAt = backend.FromUnixNano(it.storedAt)
	e.Expires = backend.FromUnixNano(it.expires)
	e.Stale = time.Duration(it.stale)
	e.Tokens = tokens
	e.ShareETag(&it.etag)
}

// emptyBody is where an item's body points when the stored body was empty
// but not nil: not into the caller's buffer, which it would keep alive.
var emptyBody = []byte{}

var (
	_ backend.Backend = (*Memory)(nil)
	_ backend.Kinder  = (*Memory)(nil)
	_ backend.Local   = (*Memory)(nil)
	_ backend.Peeker  = (*Memory)(nil)
)

// New returns a memory backend. It starts one goroutine, which
// Close stops.
func New(opts Options) (*Memory, error) {
	return newMemory(opts, nil)
}

func newMemory(opts Options, swept chan<- struct{}) (*Memory, error) {
	if opts.MaxBytes < 0 {
		return nil, errors.New("backend: memory MaxBytes must not be negative")
	}
	if opts.SweepInterval < 0 {
		return nil, errors.New("backend: memory SweepInterval must not be negative")
	}
	if opts.MaxBytes == 0 {
		opts.MaxBytes = defaultMemoryMaxBytes
	}
	if opts.SweepInterval == 0 {
		opts.SweepInterval = defaultSweepInterval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Memory{
		entries:  newEntryTable(opts.MaxBytes),
		cells:    newCellDir(),
		seed:     maphash.MakeSeed(),
		now:      opts.Now,
		interval: opts.SweepInterval,
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		swept:    swept,
	}
	for i := range m.tokens {
		m.tokens[i].dir = m.cells
	}
	go m.sweepLoop()
	return m, nil
}

// Kind reports "memory".
func (m *Memory) Kind() string { return "memory" }

// Local reports true: the memory backend never blocks on a network.
func (m *Memory) Local() bool { return true }

// Lookup implements Backend.
func (m *Memory) Lookup(_ context.Context, key string, tok backend.Tokens) (*backend.Entry, error) {
	if m.closed.Load() {
		return nil, backend.ErrClosed
	}
	// One reading of the clock for the entry and every token: a miss
	// reads as many tokens as the path is deep.
	now := m.now().UnixNano()
	if it, ok := m.entries.get(key); ok && now < it.removeAt && int(it.ncells) == len(tok.Names) {
		// The values are read on the stack and copied out only for a hit:
		// the cache comes here after Peek found no valid entry, and an
		// entry invalidated by a write is read here a second time.
		var buf [16]backend.Token
		vals := buf[:]
		if len(tok.Names) > len(buf) {
			vals = make([]backend.Token, len(tok.Names))
		}
		if vals = vals[:len(tok.Names)]; m.check(it, vals) {
			e := new(backend.Entry)
			it.fill(e, slices.Clone(vals))
			return e, nil
		}
	}
	for i, name := range tok.Names {
		tok.Values[i] = m.current(name, now)
	}
	return nil, backend.ErrNotFound
}

// Peek fills dst with the entry under key if it is valid for a lookup of
// ntok tokens (it recorded that many, all unchanged) and not yet due for
// removal at now. It is Lookup's hit path without the token names and
// values, which only a miss needs: the cache calls it first and falls
// back to Lookup, so that a hit on the memory backend builds no names,
// reads the clock once and allocates nothing. The token values go to
// dst.Tokens's array when it holds ntok (the cache passes one of its
// request's), else to a new one.
func (m *Memory) Peek(key string, ntok int, now time.Time, dst *backend.Entry) bool {
	it, ok := m.entries.get(key)
	if !ok || now.UnixNano() >= it.removeAt || int(it.ncells) != ntok || m.closed.Load() {
		return false
	}
	vals := dst.Tokens[:0]
	if cap(vals) < ntok {
		vals = make([]backend.Token, ntok)
	}
	vals = vals[:ntok]
	if !m.check(it, vals) {
		return false
	}
	it.fill(dst, vals)
	return true
}

// check reads the value of each of the item's token cells into vals (of
// its length) and reports whether they are the values it was stored
// under, by their digest.
func (m *Memory) check(it *item, vals []backend.Token) bool {
	refs := unsafe.Slice(it.cells, it.ncells)
	vals = vals[:len(refs)]
	// The item was stored after its cells' blocks were published, and
	// read after it was stored: this view holds them.
	view := *m.cells.view.Load()
	var d digest
	for i, r := range refs {
		v := view[r/cellsPerBlock][r%cellsPerBlock].v.Load()
		vals[i] = backend.Token(v)
		d.add(v)
	}
	return uint64(d) == it.digest
}

// digest folds an entry's token values into 64 bits, Horner's way:
// ((v0*φ + v1)*φ + v2)... mod 2^64, with φ the 64-bit golden ratio, odd
// and ≡ 1 mod 4. An item keeps the digest in place of the values (8
// bytes where 5 tokens took 40); validation folds the cells' values
// again.
//
// Why that is enough: value i is weighted by a power of φ, odd. The
// values recorded are random and non-zero (backend.NewToken), and a cell
// that changes gets either a new random value or 0 (its token gone). One
// cell going to 0 changes the digest by -φ^k*v_i, never 0 mod 2^64 as
// φ^k is odd and v_i is not 0; any change that involves a new random
// value, or several cells going to 0 at once, keeps the digest with
// probability 2^-64, or 2^-63 for a cell that two names share through a
// hash collision (itself a 2^-64 chance): φ^a + φ^b ≡ 2 mod 4. Nothing a
// request sends chooses a value.
type digest uint64

const digestWeight = 0x9e3779b97f4a7c15

func (d *digest) add(v uint64) { *d = *d*digestWeight + digest(v) }

// tokenDigest is the digest of values.
func tokenDigest(values []backend.Token) uint64 {
	var d digest
	for _, v := range values {
		d.add(uint64(v))
	}
	return uint64(d)
}

// token returns the shard of the named token and its key there.
func (m *Memory) token(name string) (*tokenShard, uint64) {
	h := maphash.String(m.seed, name)
	return &m.tokens[h%tokenShards], h
}

// current returns the value of the named token live at now, 0 when
// absent.
func (m *Memory) current(name string, now int64) backend.Token {
	s, h := m.token(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.lookup(h); c != nil && c.expires > now {
		return backend.Token(c.v.Load())
	}
	return 0
}

// Store implements Backend.
func (m *Memory) Store(_ context.Context, key string, e *backend.Entry, ttl time.Duration, tok backend.Tokens) error {
	if m.closed.Load() {
		return backend.ErrClosed
	}
	if ttl <= 0 {
		return errors.New("backend: Store needs a positive ttl")
	}
	if uint64(len(e.Body)) > math.MaxUint32 || len(e.Header) > math.MaxUint16 || len(key) > math.MaxUint16 || len(tok.Names) > math.MaxUint16 || e.Status < 0 || e.Status > math.MaxUint16 {
		return errors.New("backend: memory entry out of bounds (a 4 GiB body; 65,535 header fields, bytes of key, tokens; status 65,535)")
	}
	now := m.now().UnixNano()
	removeAt := now + int64(ttl)
	block, refs, tag := keyBlock(len(tok.Names), key, e.ETag)
	for i, name := range tok.Names {
		r, err := m.record(name, &tok.Values[i], now, removeAt)
		if err != nil {
			return err
		}
		refs[i] = r
	}
	it := &item{
		body:     unsafe.SliceData(e.Body),
		header:   unsafe.SliceData(e.Header),
		cells:    block,
		digest:   tokenDigest(tok.Values[:len(refs)]),
		storedAt: backend.UnixNano(e.StoredAt),
		expires:  backend.UnixNano(e.Expires),
		stale:    int64(e.Stale),
		removeAt: removeAt,
		bodyLen:  uint32(len(e.Body)),
		nheader:  uint16(len(e.Header)),
		keyLen:   uint16(len(key)),
		ncells:   uint16(len(refs)),
		status:   uint16(e.Status),
	}
	it.etag[0] = tag
	if len(e.Body) == 0 && e.Body != nil {
		it.body = unsafe.SliceData(emptyBody)
	}
	m.entries.set(it)
	return nil
}

// keyBlock copies an entry's key and ETag into one allocation, after room
// for n cell refs, and returns the allocation's start, the refs and the
// ETag's copy; the item finds its key there (item.key). For the key of a
// short path, a 16-hex-digit ETag and 5 tokens, 80 bytes where the key and
// ETag took 64 and the cells with the values recorded another 80
// (TestMemoryFootprint). The allocation is of cellRefs, aligned for them
// and scanned by no GC: it holds no pointers.
func keyBlock(n int, key, tag string) (*cellRef, []cellRef, string) {
	size := 4*n + len(key) + len(tag)
	if size == 0 {
		return nil, nil, tag
	}
	w := make([]cellRef, (size+3)/4)
	if len(key)+len(tag) == 0 {
		return &w[0], w[:n:n], tag
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&w[0])), size)[4*n:]
	copy(b[copy(b, key):], tag)
	s := unsafe.String(&b[0], len(key)+len(tag))
	return &w[0], w[:n:n], s[len(key):]
}

// errTokensFull is Store's and Renew's error when the backend holds as
// many token cells as a cellRef can name.
var errTokensFull = errors.New("backend: memory token table full (2^32 tokens)")

// record checks one token for Store: an absent one (*v == 0) is created,
// a present one must still hold *v; both then live at least until until.
// It returns the token's cell.
func (m *Memory) record(name string, v *backend.Token, now, until int64) (cellRef, error) {
	s, h := m.token(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.find(h)
	var c *tokenCell
	if ok {
		if c = s.cell(i); c.expires <= now {
			s.remove(c)
			c = nil
		}
	}
	switch {
	case *v == 0 && c != nil:
		return 0, backend.ErrConflict // created by a write since Lookup
	case *v == 0:
		if c, i = s.add(h); c == nil {
			return 0, errTokensFull
		}
		c.v.Store(uint64(backend.NewToken()))
		*v = backend.Token(c.v.Load())
	case c == nil || backend.Token(c.v.Load()) != *v:
		return 0, backend.ErrConflict // renewed or gone since Lookup
	}
	c.expires = max(c.expires, until)
	return i, nil
}

// Renew implements Backend.
func (m *Memory) Renew(_ context.Context, names []string, ttl time.Duration) error {
	if m.closed.Load() {
		return backend.ErrClosed
	}
	now := m.now().UnixNano()
	for _, name := range names {
		s, h := m.token(name)
		s.mu.Lock()
		c := s.lookup(h)
		if c != nil && c.expires <= now {
			s.remove(c)
			c = nil
		}
		if c == nil {
			if c, _ = s.add(h); c == nil {
				s.mu.Unlock()
				return errTokensFull
			}
		}
		c.v.Store(uint64(backend.NewToken()))
		c.expires = max(c.expires, now+int64(ttl))
		s.mu.Unlock()
	}
	return nil
}

// Delete implements Backend.
func (m *Memory) Delete(_ context.Context, key string) (bool, error) {
	if m.closed.Load() {
		return false, backend.ErrClosed
	}
	it, ok := m.entries.delete(key)
	return ok && it.removeAt > m.now().UnixNano(), nil
}

// Scan implements Backend. The cursor is the last key of the previous
// page; keys come in lexical order, so no key is returned twice.
func (m *Memory) Scan(_ context.Context, pattern, cursor string, count int) ([]backend.KeyInfo, string, error) {
	if m.closed.Load() {
		return nil, "", backend.ErrClosed
	}
	if count <= 0 {
		count = 10
	}
	now := m.now().UnixNano()
	// Keep the count+1 smallest matching keys after the cursor; the extra
	// one tells whether another page follows.
	h := &maxHeap{}
	m.entries.each(func(k string, it *item) {
		if k <= cursor && cursor != "" || it.removeAt <= now || !backend.Match(pattern, k) {
			return
		}
		if h.Len() <= count {
			heap.Push(h, scanItem{k, it.removeAt})
		} else if k < (*h)[0].key {
			(*h)[0] = scanItem{k, it.removeAt}
			heap.Fix(h, 0)
		}
	})
	items := []scanItem(*h)
	slices.SortFunc(items, func(a, b scanItem) int { return cmp.Compare(a.key, b.key) })
	next := ""
	if len(items) > count {
		items = items[:count]
		next = items[count-1].key
	}
	keys := make([]backend.KeyInfo, len(items))
	for i, it := range items {
		keys[i] = backend.KeyInfo{Key: it.key, TTL: time.Duration(it.removeAt - now)}
	}
	return keys, next, nil
}

type scanItem struct {
	key      string
	removeAt int64
}

// maxHeap keeps the largest key on top, to drop it when a smaller one comes.
type maxHeap []scanItem

func (h maxHeap) Len() int           { return len(h) }
func (h maxHeap) Less(i, j int) bool { return h[i].key > h[j].key }
func (h maxHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *maxHeap) Push(x any)        { *h = append(*h, x.(scanItem)) }
func (h *maxHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// ClearPattern implements Backend.
func (m *Memory) ClearPattern(_ context.Context, pattern string) (int, error) {
	if m.closed.Load() {
		return 0, backend.ErrClosed
	}
	n := m.entries.removeIf(m.now().UnixNano(), func(k string, _ *item) bool { return backend.Match(pattern, k) })
	return n, nil
}

// Ping implements Backend.
func (m *Memory) Ping(context.Context) error {
	if m.closed.Load() {
		return backend.ErrClosed
	}
	return nil
}

// Len reports how many entries are held, expired ones not yet swept
// included.
func (m *Memory) Len() int { return int(m.entries.count.Load()) }

// Bytes reports the bytes held by entries, as MaxBytes counts them.
func (m *Memory) Bytes() int64 { return m.entries.weight.Load() }

// Close implements Backend: it stops the sweeper and drops every entry.
func (m *Memory) Close() error {
	m.closeOnce.Do(func() {
		m.closed.Store(true)
		close(m.stop)
		<-m.done
		m.entries.removeIf(0, func(string, *item) bool { return true })
	})
	return nil
}

func (m *Memory) sweepLoop() {
	defer close(m.done)
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.sweep()
			if m.swept != nil {
				select {
				case m.swept <- struct{}{}:
				case <-m.stop:
					return
				}
			}
		}
	}
}

// sweep removes expired entries and tokens. Shards are locked one at a
// time, so Store and Renew wait at most one shard's pass.
func (m *Memory) sweep() {
	now := m.now().UnixNano()
	m.entries.removeIf(now, func(_ string, it *item) bool { return it.removeAt <= now })
	for i := range m.tokens {
		s := &m.tokens[i]
		s.mu.Lock()
		s.removeExpired(now)
		s.mu.Unlock()
	}
}
