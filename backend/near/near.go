package near

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/redis/go-redis/v9"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/internal/ratelog"
)

// Source is the networked backend a near cache sits in front of: the
// Redis backend (*redis.Redis from backend/redis) on a standalone server, behind Sentinel,
// or on a cluster.
type Source interface {
	backend.Backend
	backend.Epocher
	// Client is the go-redis client the source uses: the near cache
	// reaches the same masters with its own connections.
	Client() redis.UniversalClient
	// Namespaces are the key prefixes of entries and tokens.
	Namespaces() (entry, token string)
}

// Options configures New. The zero value gives the defaults.
type Options struct {
	// Delta is the lease: a near hit is served only while the last
	// answered probe of every channel was sent less than Delta ago, and a
	// successful Renew returns Delta after the renewal landed. Smaller
	// costs writes less and probes more often (every Delta/4). Default:
	// 5ms. Below 1ms is an error.
	Delta time.Duration

	// MaxBytes bounds the bytes of near entries (as the memory backend
	// counts them). Default: 64 MiB. Negative is an error.
	MaxBytes int64

	// ProbeTimeout is how long a probe (or a connection's setup) may go
	// unanswered before the channel is dropped and dialed again, which
	// drops every near entry. A shorter freeze only suspends near hits.
	// Default: 1s. It must be at least Delta.
	ProbeTimeout time.Duration

	// Logger receives the channel's failures, at most one line per kind
	// every 10 seconds. Default: slog.Default().
	Logger *slog.Logger

	// Now is the clock entries' expiry is read on, the cache's. Default:
	// time.Now. The lease always runs on the monotonic clock.
	Now func() time.Time

	// wrapConn, when set, wraps each channel connection (tests freeze it).
	wrapConn func(net.Conn) net.Conn
}

// Defaults.
const (
	DefaultDelta        = 5 * time.Millisecond
	DefaultMaxBytes     = 64 << 20
	DefaultProbeTimeout = time.Second
	// cellHold keeps the cells a lookup records for at least that long,
	// so that the sweep cannot drop them while the lookup is under way.
	cellHold = time.Minute
	// entryOverhead approximates what otter, the key and the cells add.
	entryOverhead = 160
)

// Near is a near cache: recently hit entries of a Redis backend, held in
// the process and served without a round trip while they are provably
// current. See the package documentation.
type Near struct {
	src              Source
	opts             Options
	entryNS, tokenNS string
	markNS           string // renewal markers, see mark
	entries          *otter.Cache[string, *nearEntry]
	cells            *cells
	base             time.Time // origin of mono
	delta            int64

	// lease is mono() when the oldest of the channels' last answered
	// probes was sent; 0 while any channel has none.
	lease atomic.Int64
	// flushGen counts the times every entry was dropped (a channel's
	// new connection, FLUSHALL); an entry records it at its lookup.
	flushGen   atomic.Uint64
	reconnects atomic.Uint64

	mu    sync.Mutex // guards chans and their conns
	chans []*channel

	log    *ratelog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed atomic.Bool
}

// nearEntry is an entry as the near cache holds it.
type nearEntry struct {
	e        *backend.Entry
	removeAt int64 // Unix ns (Options.Now) after which it is not served
	flush    uint64
	refs     []ref // the entry key's cell, then each token's
}

// ref is a cell and the count it held before the lookup that read the
// entry.
type ref struct {
	c   *cell
	gen uint64
	h   uint64
}

var (
	_ backend.Backend         = (*Near)(nil)
	_ backend.Peeker          = (*Near)(nil)
	_ backend.Kinder          = (*Near)(nil)
	_ backend.Epocher         = (*Near)(nil)
	_ backend.BreakerReporter = (*Near)(nil)
)

// New returns a near cache in front of src and starts its invalidation
// channels (one per master). It does not wait for them: until they are
// up, every call goes to src. Close stops them; src stays open.
func New(src Source, opts Options) (*Near, error) {
	if src == nil {
		return nil, errors.New("near: New needs a source backend")
	}
	switch {
	case opts.Delta != 0 && opts.Delta < time.Millisecond:
		return nil, errors.New("near: Delta must be at least 1ms")
	case opts.MaxBytes < 0:
		return nil, errors.New("near: MaxBytes must not be negative")
	case opts.ProbeTimeout < 0:
		return nil, errors.New("near: ProbeTimeout must not be negative")
	}
	if opts.Delta == 0 {
		opts.Delta = DefaultDelta
	}
	if opts.MaxBytes == 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.ProbeTimeout == 0 {
		opts.ProbeTimeout = max(DefaultProbeTimeout, opts.Delta)
	}
	if opts.ProbeTimeout < opts.Delta {
		return nil, errors.New("near: ProbeTimeout must be at least Delta")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	entries, err := otter.New(&otter.Options[string, *nearEntry]{
		MaximumWeight: uint64(opts.MaxBytes),
		Weigher: func(key string, ne *nearEntry) uint32 {
			return uint32(min(len(key)+ne.e.Size()+entryOverhead+24*len(ne.refs), 1<<32-1))
		},
		Executor: func(fn func()) { fn() },
	})
	if err != nil {
		return nil, err
	}
	n := &Near{
		src:     src,
		opts:    opts,
		entries: entries,
		cells:   newCells(),
		base:    time.Now(),
		delta:   int64(opts.Delta),
		log:     ratelog.New(opts.Logger, time.Now),
	}
	n.entryNS, n.tokenNS = src.Namespaces()
	// "<KeyPrefix>:n:" beside "<KeyPrefix>:t:".
	n.markNS = strings.TrimSuffix(n.tokenNS, "t:") + "n:"
	n.ctx, n.cancel = context.WithCancel(context.Background())
	eps, err := endpoints(n.ctx, src.Client())
	if err != nil {
		// A cluster that cannot be reached yet: the topology loop finds
		// its masters once it answers.
		n.log.Log(slog.LevelWarn, "topology", "near: cannot list the masters yet", "err", err)
	}
	n.setChannels(eps)
	n.wg.Add(1)
	go n.maintain()
	return n, nil
}

// mono is the monotonic time since New, in ns; the lease runs on it.
func (n *Near) mono() int64 { return int64(time.Since(n.base)) }

// leased reports whether near hits may be served now.
func (n *Near) leased() bool {
	l := n.lease.Load()
	return l != 0 && n.mono()-l < n.delta
}

// Peek implements backend.Peeker: the near hit, which touches no network.
func (n *Near) Peek(key string, ntok int, now time.Time, dst *backend.Entry) bool {
	if !n.leased() {
		return false
	}
	ne, ok := n.entries.GetIfPresent(key)
	if !ok || !ne.valid(n, ntok, now) {
		return false
	}
	ne.e.ShareInto(dst)
	return true
}

func (ne *nearEntry) valid(n *Near, ntok int, now time.Time) bool {
	if len(ne.refs) != ntok+1 || now.UnixNano() >= ne.removeAt || ne.flush != n.flushGen.Load() {
		return false
	}
	for i := range ne.refs {
		if ne.refs[i].c.gen.Load() != ne.refs[i].gen {
			return false
		}
	}
	return true
}

// Lookup implements backend.Backend: a near entry when it is valid and
// the lease holds (for a caller that does not Peek first: the cache
// Peeks, for fresh and stale hits alike), else the source's lookup, whose
// hit is kept if no invalidation of its key or tokens arrived from before
// the lookup to the insert.
func (n *Near) Lookup(ctx context.Context, key string, tok backend.Tokens) (*backend.Entry, error) {
	if n.closed.Load() {
		return nil, backend.ErrClosed
	}
	if n.leased() {
		if ne, ok := n.entries.GetIfPresent(key); ok && ne.valid(n, len(tok.Names), n.opts.Now()) {
			return ne.e, nil
		}
	}
	flush := n.flushGen.Load()
	refs := make([]ref, 1+len(tok.Names))
	hold := n.mono() + int64(cellHold)
	refs[0].h = n.cells.hash(n.entryNS, key)
	for i, name := range tok.Names {
		refs[1+i].h = n.cells.hash(n.markNS, name)
	}
	for i := range refs {
		refs[i].c = n.cells.get(refs[i].h, hold)
		refs[i].gen = refs[i].c.gen.Load()
	}
	e, err := n.src.Lookup(ctx, key, tok)
	if err != nil || len(e.Tokens) != len(tok.Names) {
		return e, err
	}
	now := n.opts.Now()
	removeAt := e.Expires.Add(e.Stale).UnixNano()
	if removeAt <= now.UnixNano() {
		return e, nil
	}
	until := n.mono() + (removeAt - now.UnixNano()) + int64(time.Second)
	for i := range refs {
		n.cells.get(refs[i].h, until)
	}
	n.entries.Set(strings.Clone(key), &nearEntry{e: e, removeAt: removeAt, flush: flush, refs: refs})
	return e, nil
}

// Store implements backend.Backend. The stored entry is not kept near:
// the store itself is an invalidation of its key that every instance,
// this one included, receives; the next lookup that hits keeps it.
func (n *Near) Store(ctx context.Context, key string, e *backend.Entry, ttl time.Duration, tok backend.Tokens) error {
	if n.closed.Load() {
		return backend.ErrClosed
	}
	return n.src.Store(ctx, key, e, ttl, tok)
}

// Renew implements backend.Backend with a commit-wait: once the source
// has renewed the tokens, it waits Delta before returning, whatever ctx
// says, so that any instance still serving near hits from before the
// renewal has either received its invalidation or lost its lease by the
// time the caller answers the write.
func (n *Near) Renew(ctx context.Context, names []string, ttl time.Duration) error {
	if n.closed.Load() {
		return backend.ErrClosed
	}
	if err := n.src.Renew(ctx, names, ttl); err != nil {
		return err
	}
	if err := n.mark(ctx, names, ttl); err != nil {
		return err
	}
	for _, name := range names {
		n.cells.bump(n.cells.hash(n.markNS, name))
	}
	n.commitWait()
	return nil
}

// mark writes the renewal marker of each name, "<KeyPrefix>:n:<name>",
// after the tokens were renewed: the channels track the marker namespace,
// not the tokens', because the Redis backend's Store extends the life of
// the tokens it records (PEXPIRE), and Redis reports every such extension
// as an invalidation, so tracking the tokens would drop every near entry
// at every fill anywhere in the fleet. A marker is written by renewals
// only. It lives as long as the tokens; its expiry, one more
// invalidation, costs a miss at most. A failed marker fails the Renew,
// which the cache retries (tokens and marker) before it answers the write.
func (n *Near) mark(ctx context.Context, names []string, ttl time.Duration) error {
	pipe := n.src.Client().Pipeline()
	for _, name := range names {
		pipe.Set(ctx, n.markNS+name, "1", ttl)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("near: renewal marker: %w", err)
	}
	return nil
}

// commitWait waits Delta. Tests replace it to prove it is needed.
var commitWaitEnabled = true

func (n *Near) commitWait() {
	if !commitWaitEnabled {
		return
	}
	t := time.NewTimer(n.opts.Delta)
	<-t.C
}

// Delete implements backend.Backend. Other instances hear of it on their
// channels; this one drops its copy at once. A delete that removed an
// entry commit-waits as Renew does: once it returns, no instance serves
// the entry from its near cache.
func (n *Near) Delete(ctx context.Context, key string) (bool, error) {
	if n.closed.Load() {
		return false, backend.ErrClosed
	}
	ok, err := n.src.Delete(ctx, key)
	n.drop(key)
	if ok {
		n.commitWait()
	}
	return ok, err
}

// ClearPattern implements backend.Backend, dropping this instance's
// matching copies at once and commit-waiting as Delete does.
func (n *Near) ClearPattern(ctx context.Context, pattern string) (int, error) {
	if n.closed.Load() {
		return 0, backend.ErrClosed
	}
	count, err := n.src.ClearPattern(ctx, pattern)
	var doomed []string
	for k := range n.entries.Keys() {
		if backend.Match(pattern, k) {
			doomed = append(doomed, k)
		}
	}
	for _, k := range doomed {
		n.drop(k)
	}
	if count > 0 {
		n.commitWait()
	}
	return count, err
}

// drop invalidates the near copy of key.
func (n *Near) drop(key string) {
	n.cells.bump(n.cells.hash(n.entryNS, key))
	n.entries.Invalidate(key)
}

// invalidate applies a channel's invalidation of a Redis key.
func (n *Near) invalidate(redisKey string) {
	n.cells.bump(n.cells.hash("", redisKey))
	if key, ok := strings.CutPrefix(redisKey, n.entryNS); ok {
		n.entries.Invalidate(key)
	}
}

// flush drops every near entry.
func (n *Near) flush() {
	n.flushGen.Add(1)
	n.entries.InvalidateAll()
}

// Scan implements backend.Backend (the source's keys).
func (n *Near) Scan(ctx context.Context, pattern, cursor string, count int) ([]backend.KeyInfo, string, error) {
	if n.closed.Load() {
		return nil, "", backend.ErrClosed
	}
	return n.src.Scan(ctx, pattern, cursor, count)
}

// Ping implements backend.Backend (the source's masters).
func (n *Near) Ping(ctx context.Context) error {
	if n.closed.Load() {
		return backend.ErrClosed
	}
	return n.src.Ping(ctx)
}

// Kind implements backend.Kinder: the source's kind with "+near".
func (n *Near) Kind() string {
	k := "custom"
	if kk, ok := n.src.(backend.Kinder); ok {
		k = kk.Kind()
	}
	return k + "+near"
}

// Epoch implements backend.Epocher: the source's.
func (n *Near) Epoch() uint64 { return n.src.Epoch() }

// BreakerState implements backend.BreakerReporter: the source's.
func (n *Near) BreakerState() string {
	if b, ok := n.src.(backend.BreakerReporter); ok {
		return b.BreakerState()
	}
	return "closed"
}

// Stats describes the near cache.
type Stats struct {
	Entries int   // entries held, expired ones not yet swept included
	Bytes   int64 // bytes held, as MaxBytes counts them
	Cells   int   // invalidation cells held
	// Reconnects counts the connections a channel made after its first
	// (each dropped every entry).
	Reconnects uint64
	// Leased reports whether near hits are being served.
	Leased bool
	// Channels is the number of invalidation channels: one per master.
	Channels int
}

// Stats reports the near cache's state.
func (n *Near) Stats() Stats {
	return Stats{
		Entries:    n.entries.EstimatedSize(),
		Bytes:      int64(n.entries.WeightedSize()),
		Cells:      n.cells.len(),
		Reconnects: n.reconnects.Load(),
		Leased:     n.leased(),
		Channels:   n.channels(),
	}
}

func (n *Near) channels() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.chans)
}

// Close implements backend.Backend: it stops the channels and drops every
// entry. The source stays open: it is the caller's.
func (n *Near) Close() error {
	if !n.closed.CompareAndSwap(false, true) {
		return nil
	}
	n.mu.Lock()
	n.cancel()
	for _, ch := range n.chans {
		ch.cancel()
		if ch.conn != nil {
			ch.conn.Close()
		}
	}
	n.mu.Unlock()
	n.wg.Wait()
	n.flush()
	return nil
}

// setChannels replaces the channels with one per endpoint. The new ones
// hold no lease until they are up.
func (n *Near) setChannels(eps []endpoint) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, ch := range n.chans {
		ch.cancel()
		if ch.conn != nil {
			ch.conn.Close()
		}
	}
	n.chans = nil
	n.lease.Store(0)
	if n.ctx.Err() != nil {
		return
	}
	for _, ep := range eps {
		ch := &channel{ep: ep}
		ch.ctx, ch.cancel = context.WithCancel(n.ctx)
		n.chans = append(n.chans, ch)
		n.wg.Add(1)
		go n.run(ch)
	}
}

// maintain sweeps expired entries and cells every second and, on a
// cluster, follows its masters: a changed set of masters replaces the
// channels (and so drops every entry).
func (n *Near) maintain() {
	defer n.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
		}
		now := n.opts.Now().UnixNano()
		for k, ne := range n.entries.All() {
			if ne.removeAt <= now {
				n.entries.ComputeIfPresent(k, func(cur *nearEntry) (*nearEntry, otter.ComputeOp) {
					if cur == ne {
						return nil, otter.InvalidateOp
					}
					return cur, otter.CancelOp
				})
			}
		}
		n.cells.sweep(n.mono())
		if _, ok := n.src.Client().(*redis.ClusterClient); ok {
			n.followMasters()
		}
	}
}

func (n *Near) followMasters() {
	ctx, cancel := context.WithTimeout(n.ctx, n.opts.ProbeTimeout)
	eps, err := endpoints(ctx, n.src.Client())
	cancel()
	if err != nil {
		return
	}
	n.mu.Lock()
	same := len(eps) == len(n.chans)
	for i := 0; same && i < len(eps); i++ {
		same = eps[i].addr == n.chans[i].ep.addr
	}
	n.mu.Unlock()
	if !same {
		n.log.Log(slog.LevelInfo, "topology", "near: the cluster's masters changed; reconnecting the channels", "masters", len(eps))
		n.setChannels(eps)
		n.flush()
	}
}
