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
// header fields, the token cells and the values recorded, parallel),
// its times Unix ns, and its ETag is kept as the values of a header field,
// which an Entry filled by Peek shares (backend.Entry.ShareETag). The
// cells and values are the item's own: an Entry handed out refers to them
// read-only and cannot make validation read past them. removeAt (Unix ns)
// is when the backend drops the item.
type item struct {
	body     *byte
	header   *backend.HeaderField
	cells    **tokenCell
	values   *backend.Token
	etag     [1]string
	storedAt int64
	expires  int64
	stale    int64
	removeAt int64
	bodyLen  uint32
	nheader  uint32
	ncells   uint16
	status   uint16
	// used is the table's clock when the item was last stored or read,
	// for eviction (entryTable).
	used atomic.Uint32
}

// weight is what the item counts for against MaxBytes, held under key.
func (it *item) weight(key string) int64 {
	var e backend.Entry
	it.fill(&e)
	return int64(len(key) + e.Size() + entryOverhead)
}

// fill sets *e to the entry the item holds, sharing its memory. It
// assigns field by field: a composite literal is built apart and then
// copied in whole, with a write barrier over all of it, which cost a hit
// more than the fill itself (callgrind, bench/callgrind.sh on bench/'s
// BenchmarkHit).
func (it *item) fill(e *backend.Entry) {
	e.Status = int(it.status)
	e.Header = unsafe.Slice(it.header, it.nheader)
	e.Body = unsafe.Slice(it.body, it.bodyLen)
	e.StoredAt = backend.FromUnixNano(it.storedAt)
	e.Expires = backend.FromUnixNano(it.expires)
	e.Stale = time.Duration(it.stale)
	e.Tokens = unsafe.Slice(it.values, it.ncells)
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
		seed:     maphash.MakeSeed(),
		now:      opts.Now,
		interval: opts.SweepInterval,
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		swept:    swept,
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
	if it, ok := m.entries.get(key); ok && now < it.removeAt && int(it.ncells) == len(tok.Names) && it.valid() {
		e := new(backend.Entry)
		it.fill(e)
		return e, nil
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
// reads the clock once and allocates nothing.
func (m *Memory) Peek(key string, ntok int, now time.Time, dst *backend.Entry) bool {
	if it, ok := m.entries.get(key); ok && now.UnixNano() < it.removeAt && int(it.ncells) == ntok && it.valid() && !m.closed.Load() {
		it.fill(dst)
		return true
	}
	return false
}

// valid reports whether every token cell still holds the recorded value.
func (it *item) valid() bool {
	values := unsafe.Slice(it.values, it.ncells)
	for i, c := range unsafe.Slice(it.cells, it.ncells) {
		if backend.Token(c.v.Load()) != values[i] {
			return false
		}
	}
	return true
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
	if uint64(len(e.Body)) > math.MaxUint32 || uint64(len(e.Header)) > math.MaxUint32 || len(tok.Names) > math.MaxUint16 || e.Status < 0 || e.Status > math.MaxUint16 {
		return errors.New("backend: memory entry out of bounds (a 4 GiB body, 2^32 header fields, 65,535 tokens, status 65,535)")
	}
	now := m.now().UnixNano()
	removeAt := now + int64(ttl)
	cells, values := tokenArrays(len(tok.Names))
	for i, name := range tok.Names {
		c, err := m.record(name, &tok.Values[i], now, removeAt)
		if err != nil {
			return err
		}
		cells[i] = c
	}
	copy(values, tok.Values[:len(tok.Names)])
	e.Tokens = values // parallel to cells
	it := &item{
		body:     unsafe.SliceData(e.Body),
		header:   unsafe.SliceData(e.Header),
		storedAt: backend.UnixNano(e.StoredAt),
		expires:  backend.UnixNano(e.Expires),
		stale:    int64(e.Stale),
		removeAt: removeAt,
		bodyLen:  uint32(len(e.Body)),
		nheader:  uint32(len(e.Header)),
		ncells:   uint16(len(cells)),
		status:   uint16(e.Status),
	}
	if len(e.Body) == 0 && e.Body != nil {
		it.body = unsafe.SliceData(emptyBody)
	}
	if len(cells) > 0 {
		it.cells, it.values = &cells[0], &values[0]
	}
	key, it.etag[0] = cloneKeyAndTag(key, e.ETag)
	m.entries.set(key, it)
	return nil
}

// cloneKeyAndTag copies an entry's key and ETag into one allocation: for
// the key of a short path and a 16-hex-digit ETag, 64 bytes where two
// took 48 + 24 (TestMemoryFootprint).
func cloneKeyAndTag(key, tag string) (string, string) {
	if len(key)+len(tag) == 0 {
		return key, tag
	}
	b := make([]byte, 0, len(key)+len(tag))
	b = append(append(b, key...), tag...)
	s := unsafe.String(&b[0], len(b))
	return s[:len(key)], s[len(key):]
}

// tokenArrays returns an entry's token cells and values, n of each. For
// the token counts of paths one to five segments deep (4 to 8 tokens)
// both arrays come in one allocation: one fewer per store, and for 5 and
// 7 tokens a smaller size class (80 bytes where two slices took 48 + 48;
// 112 where they took 64 + 64). The item keeps its own pointer to the
// cells and their count, as with two slices, so the block is reached
// through both and freed with the last.
func tokenArrays(n int) ([]*tokenCell, []backend.Token) {
	switch n {
	case 4:
		b := new(struct {
			cells [4]*tokenCell
			vals  [4]backend.Token
		})
		return b.cells[:], b.vals[:]
	case 5:
		b := new(struct {
			cells [5]*tokenCell
			vals  [5]backend.Token
		})
		return b.cells[:], b.vals[:]
	case 6:
		b := new(struct {
			cells [6]*tokenCell
			vals  [6]backend.Token
		})
		return b.cells[:], b.vals[:]
	case 7:
		b := new(struct {
			cells [7]*tokenCell
			vals  [7]backend.Token
		})
		return b.cells[:], b.vals[:]
	case 8:
		b := new(struct {
			cells [8]*tokenCell
			vals  [8]backend.Token
		})
		return b.cells[:], b.vals[:]
	}
	return make([]*tokenCell, n), make([]backend.Token, n)
}

// record checks one token for Store: an absent one (*v == 0) is created,
// a present one must still hold *v; both then live at least until until.
func (m *Memory) record(name string, v *backend.Token, now, until int64) (*tokenCell, error) {
	s, h := m.token(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.lookup(h)
	if c != nil && c.expires <= now {
		s.remove(c)
		c = nil
	}
	switch {
	case *v == 0 && c != nil:
		return nil, backend.ErrConflict // created by a write since Lookup
	case *v == 0:
		c = s.add(h)
		c.v.Store(uint64(backend.NewToken()))
		*v = backend.Token(c.v.Load())
	case c == nil || backend.Token(c.v.Load()) != *v:
		return nil, backend.ErrConflict // renewed or gone since Lookup
	}
	c.expires = max(c.expires, until)
	return c, nil
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
			c = s.add(h)
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
