package gincache

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/memory"
	"github.com/intelligentcache/gin-intelligent-cache/internal/logopt"
	"github.com/intelligentcache/gin-intelligent-cache/internal/ratelog"
)

// Cache caches the GET routes of a policy table and invalidates on
// writes. Build one with New, mount Middleware (and Invalidate where
// writes happen outside the cached groups), and Close it at shutdown.
type Cache struct {
	cfg        config
	table      Table
	backend    backend.Backend
	ownBackend bool
	// local backends get no per-request deadline (it costs allocations
	// and they never block on a network).
	local   bool
	epocher backend.Epocher
	// peek is the backend's in-process hit path (the memory backend, a
	// near cache in front of Redis): hits take it before any name is
	// built. near: that path is a near cache's, whose hits count apart.
	peek backend.Peeker
	near bool

	keyed []varySource // parsed keyed headers
	// credHeaders are the canonical credential header names; credQuery
	// the credential query parameters.
	credHeaders []string
	credQuery   []string
	namer       tokenNamer
	keyHead     string        // "gincache:1:GET:"
	tokenTTL    time.Duration // how long renewed tokens live: the longest entry life

	routes       routeTable
	serviceStats routeStats
	flights      flightGroup
	inflight     atomic.Int64
	epoch        epochState
	renewals     renewals
	log          *ratelog.Logger
	hdr          headerValues
	service      *Service

	// background work (epoch retries, stale refreshes) that Close stops
	// and waits for
	bgMu     sync.Mutex // orders starting background work with Close
	bg       sync.WaitGroup
	stop     chan struct{}
	bgCtx    context.Context // canceled by Close: refreshes under way see it
	bgCancel context.CancelFunc
	closed   atomic.Bool
	// stores after the response under way (storeLater), under bgMu:
	// those that start join storing (made when the first starts), and
	// open lists the batches with a store still under way
	storing *storeBatch
	open    []*storeBatch
	// storeJobs hands a store after the response to an idle storer;
	// idleStorers counts those waiting on it.
	storeJobs      chan storeJob
	idleStorers    atomic.Int32
	maxIdleStorers int32 // idleStorerLimit(), read once
}

// storeBatch counts stores after the response that started between two
// calls of WaitStores; done is closed when the last of them ends. A
// WaitStores waits for the batches open when it is called and starts a
// new one for the stores after it, so it returns under a steady stream of
// misses, when the stores it found have ended.
type storeBatch struct {
	n    int
	done chan struct{}
}

// New builds a cache for the policy table. It checks the table and every
// option once and returns all the problems it finds; nothing is checked
// per request.
func New(table Table, opts ...Option) (*Cache, error) {
	var cfg config
	var errs []error
	for _, o := range opts {
		if o == nil {
			errs = append(errs, errors.New("nil Option"))
			continue
		}
		if err := o(&cfg); err != nil {
			errs = append(errs, err)
		}
	}
	if err := table.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("gincache: %w", errors.Join(errs...))
	}
	if cfg.defaultTTL == 0 {
		cfg.defaultTTL = DefaultTTL
	}
	if cfg.maxResponseSize == 0 {
		cfg.maxResponseSize = DefaultMaxResponseSize
	}
	if cfg.maxInflight == 0 {
		cfg.maxInflight = DefaultMaxInflight
	}
	if cfg.prefix == "" {
		cfg.prefix = DefaultKeyPrefix
	}
	cfg.logger = logopt.OrDefault(cfg.logger)
	if cfg.budget == 0 {
		cfg.budget = DefaultBudget
	}
	if cfg.writeBudget == 0 {
		cfg.writeBudget = DefaultWriteBudget
	}
	if cfg.invalidWait == 0 {
		cfg.invalidWait = DefaultInvalidationWait
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}

	c := &Cache{cfg: cfg, table: table, stop: make(chan struct{}), storeJobs: make(chan storeJob), maxIdleStorers: idleStorerLimit()}
	c.bgCtx, c.bgCancel = context.WithCancel(context.Background())
	if cfg.backend == nil {
		m, err := memory.New(memory.Options{Now: cfg.now})
		if err != nil {
			return nil, fmt.Errorf("gincache: %w", err)
		}
		cfg.backend, c.ownBackend = m, true
		c.cfg.backend = m
	}
	c.backend = cfg.backend
	if l, ok := c.backend.(backend.Local); ok && l.Local() {
		c.local = true
	}
	c.peek, _ = c.backend.(backend.Peeker)
	c.near = c.peek != nil && !c.local
	if e, ok := c.backend.(backend.Epocher); ok {
		c.epocher = e
		c.epoch.seen.Store(e.Epoch())
	}
	if !cfg.keyedSet {
		cfg.keyedHeaders = DefaultKeyedHeaders
	}
	for _, name := range cfg.keyedHeaders {
		src, _ := parseVary("header:" + name) // names validated by the option
		src.label = "k." + strings.ToLower(name)
		c.keyed = append(c.keyed, src)
	}
	if !cfg.credHeadersSet {
		cfg.credHeaders = DefaultCredentialHeaders
	}
	for _, name := range cfg.credHeaders {
		c.credHeaders = append(c.credHeaders, textproto.CanonicalMIMEHeaderKey(name))
	}
	if !cfg.credQuerySet {
		cfg.credQuery = DefaultCredentialQuery
	}
	c.credQuery = slices.Clone(cfg.credQuery)
	c.namer = newTokenNamer(cfg.prefix)
	version := keyFormatVersion
	if cfg.appVersion != "" {
		version += "." + cfg.appVersion
	}
	c.keyHead = cfg.prefix + ":" + version + ":GET:"
	c.tokenTTL = cfg.defaultTTL
	for _, r := range table {
		c.tokenTTL = max(c.tokenTTL, r.Policy.TTL+r.Policy.Stale)
	}
	// A token must outlive every entry recorded under it; a minute of
	// margin covers the time between a fill's lookup and its store.
	c.tokenTTL += time.Minute
	c.log = ratelog.New(cfg.logger, cfg.now)
	c.hdr = newHeaderValues()
	c.service = &Service{c: c}
	return c, nil
}

// Close stops every goroutine the cache started, waiting for the
// background refreshes and the stores after responses under way (the
// storers waiting for the next store end), and closes the backend if New
// created it. A backend passed with WithBackend stays open: it is the
// caller's.
func (c *Cache) Close() error {
	c.bgMu.Lock()
	if !c.closed.CompareAndSwap(false, true) {
		c.bgMu.Unlock()
		return nil
	}
	close(c.stop)
	c.bgCancel()
	c.bgMu.Unlock()
	c.bg.Wait()
	if c.ownBackend {
		return c.backend.Close()
	}
	return nil
}

// WaitStores waits until every store that runs after its response and
// was under way when it was called has ended, or ctx ends. On a networked
// backend a miss's response goes out before its store
// (WithStoreBeforeResponse): a test that reads the backend, or asks
// another instance, right after a MISS calls it first.
func (c *Cache) WaitStores(ctx context.Context) error {
	c.bgMu.Lock()
	open := slices.Clone(c.open)
	c.storing = nil // stores that start from now on are not waited for
	c.bgMu.Unlock()
	for _, b := range open {
		select {
		case <-b.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Backend returns the backend the cache uses.
func (c *Cache) Backend() backend.Backend { return c.backend }

// Service returns the manual-control API of the cache.
func (c *Cache) Service() *Service { return c.service }

// KeyPrefix returns the namespace of the cache's keys.
func (c *Cache) KeyPrefix() string { return c.cfg.prefix }
