package gincache

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/policy"
)

// Service is the manual-control API of a cache (fastapi-intelligent-cache's
// CacheService): read and write entries, invalidate paths, list and clear
// keys, read stats and health. Handlers reach it with FromContext; the
// admin package serves it over HTTP.
//
// Keys seen through the Service are relative to the cache's key prefix:
// "1:GET:example.com/items::" for the stored key
// "gincache:1:GET:example.com/items::". Patterns are globs (backend.Match)
// matched below the prefix, which the Service adds itself, so no pattern
// reaches a key outside it.
type Service struct {
	c *Cache
}

// serviceKey is the gin context key of the Service.
type serviceKey struct{}

// FromContext returns the Service of the cache whose middleware handles
// the request, or nil outside one (a route no cache middleware covers).
func FromContext(gc *gin.Context) *Service {
	if v, ok := gc.Get(serviceKey{}); ok {
		if s, ok := v.(*Service); ok {
			return s
		}
	}
	return nil
}

// Limits on what the Service accepts.
const (
	// MaxKeyLen bounds a relative key given to Get, Set and Delete.
	MaxKeyLen = 2048
	// MaxPatternLen bounds a glob given to Keys and ClearPattern.
	MaxPatternLen = 512
	// MaxPageSize bounds Keys' count.
	MaxPageSize = 1000
)

// Errors the Service returns for bad input; callers test with errors.Is.
var (
	ErrBadKey     = errors.New("gincache: bad key")
	ErrBadPattern = errors.New("gincache: bad pattern")
	ErrBadPath    = errors.New("gincache: bad path")
)

func (s *Service) fullKey(key string) (string, error) {
	if key == "" || len(key) > MaxKeyLen {
		return "", fmt.Errorf("%w: must be 1 to %d bytes", ErrBadKey, MaxKeyLen)
	}
	return s.c.cfg.prefix + ":" + key, nil
}

func (s *Service) fullPattern(pattern string) (string, error) {
	if len(pattern) > MaxPatternLen {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrBadPattern, MaxPatternLen)
	}
	if pattern == "" {
		pattern = "*"
	}
	return backend.EscapeGlob(s.c.cfg.prefix) + ":" + pattern, nil
}

func (s *Service) relative(key string) string {
	return strings.TrimPrefix(key, s.c.cfg.prefix+":")
}

// Get returns the body stored under key (relative to the prefix), or an
// error wrapping backend.ErrNotFound.
func (s *Service) Get(ctx context.Context, key string) ([]byte, error) {
	full, err := s.fullKey(key)
	if err != nil {
		return nil, err
	}
	if p := s.c.peek; p != nil {
		// The hit path a GET takes: no Entry allocated for a body the
		// backend holds.
		st := statePool.Get().(*reqState)
		defer st.release()
		if p.Peek(full, 0, s.c.cfg.now(), &st.hit) {
			return st.hit.Body, nil
		}
	}
	e, err := s.c.backend.Lookup(ctx, full, backend.Tokens{})
	if err != nil {
		return nil, err
	}
	return e.Body, nil
}

// Set stores value under key (relative to the prefix) for ttl, as a 200
// response body. Such entries depend on no token: only their TTL, Delete
// and clears remove them.
func (s *Service) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	full, err := s.fullKey(key)
	if err != nil {
		return err
	}
	if !utf8.ValidString(key) {
		// Keys travel as JSON strings in the admin API: one that is not
		// UTF-8 would be listed mangled and could not be named again.
		return fmt.Errorf("%w: must be valid UTF-8", ErrBadKey)
	}
	if ttl <= 0 {
		return fmt.Errorf("gincache: Set needs a positive ttl, got %v", ttl)
	}
	now := s.c.cfg.now()
	e := &backend.Entry{
		Status: http.StatusOK, Body: append([]byte{}, value...), StoredAt: now, Expires: now.Add(ttl),
	}
	e.SetETag(strongETag(value))
	return s.c.backend.Store(ctx, full, e, ttl, backend.Tokens{})
}

// Delete removes the entry under key (relative to the prefix), reporting
// whether there was one. It first waits for the stores under way after
// their responses (WaitStores), so that an entry whose response was
// already sent cannot land after it.
func (s *Service) Delete(ctx context.Context, key string) (bool, error) {
	full, err := s.fullKey(key)
	if err != nil {
		return false, err
	}
	if err := s.c.WaitStores(ctx); err != nil {
		return false, err
	}
	return s.c.backend.Delete(ctx, full)
}

// Invalidate invalidates an explicit target, as a write route's
// Invalidate policy does: an exact path ("/reports/summary") makes that
// path's own responses stale; a path ending in "/*" ("/spaces/123/*")
// makes its whole subtree stale. The path is the decoded form, as in
// URL.Path.
func (s *Service) Invalidate(ctx context.Context, target string) error {
	if !strings.HasPrefix(target, "/") || len(target) > MaxKeyLen {
		return fmt.Errorf("%w: %q must start with / and be at most %d bytes", ErrBadPath, target, MaxKeyLen)
	}
	path, subtree := policy.SplitTarget(target)
	var ns nameSet
	segs, _ := segments(nil, path)
	ns.targetNames(&s.c.namer, segs, subtree)
	return s.renew(ctx, ns.finish())
}

// InvalidateWrite does what a successful write of method to path does:
// for POST, the own responses of path and of its ancestors; for PUT,
// PATCH and DELETE (and any other method), path's subtree and its
// ancestors' own responses.
func (s *Service) InvalidateWrite(ctx context.Context, method, path string) error {
	if !strings.HasPrefix(path, "/") || len(path) > MaxKeyLen {
		return fmt.Errorf("%w: %q must start with / and be at most %d bytes", ErrBadPath, path, MaxKeyLen)
	}
	return s.renew(ctx, s.c.writeNamesFor(method, path))
}

func (s *Service) renew(ctx context.Context, names []string) error {
	if err := s.c.renew(ctx, names); err != nil {
		s.c.serviceStats.backendErrors.Add(1)
		return err
	}
	s.c.serviceStats.invalidations.Add(1)
	return nil
}

// ClearPattern deletes the entries whose relative key matches the glob
// and reports how many. It first waits for the stores under way after
// their responses (WaitStores): an entry whose response went out before
// the clear does not land after it.
func (s *Service) ClearPattern(ctx context.Context, pattern string) (int, error) {
	full, err := s.fullPattern(pattern)
	if err != nil {
		return 0, err
	}
	if err := s.c.WaitStores(ctx); err != nil {
		return 0, err
	}
	return s.c.backend.ClearPattern(ctx, full)
}

// Clear deletes every entry under the cache's prefix, and nothing else.
func (s *Service) Clear(ctx context.Context) (int, error) {
	return s.ClearPattern(ctx, "*")
}

// KeyPage is one page of Keys.
type KeyPage struct {
	Keys []backend.KeyInfo
	// Cursor resumes the listing; "" when it is complete.
	Cursor string
}

// Keys lists entry keys (relative to the prefix) matching the glob, about
// count at a time (1 to MaxPageSize; 0 means 100). Start with cursor "".
func (s *Service) Keys(ctx context.Context, pattern, cursor string, count int) (KeyPage, error) {
	full, err := s.fullPattern(pattern)
	if err != nil {
		return KeyPage{}, err
	}
	if count == 0 {
		count = 100
	}
	if count < 0 || count > MaxPageSize {
		return KeyPage{}, fmt.Errorf("gincache: count %d out of range 1..%d", count, MaxPageSize)
	}
	keys, next, err := s.c.backend.Scan(ctx, full, cursor, count)
	if err != nil {
		return KeyPage{}, err
	}
	for i := range keys {
		keys[i].Key = s.relative(keys[i].Key)
	}
	return KeyPage{Keys: keys, Cursor: next}, nil
}

// Stats returns a snapshot of the counters.
func (s *Service) Stats() Stats { return s.c.snapshot() }

// ResetStats zeroes the counters.
func (s *Service) ResetStats() {
	if p := s.c.routes.all.Load(); p != nil {
		for _, rs := range *p {
			rs.stats.reset()
		}
	}
	s.c.serviceStats.reset()
}

// Health is the backend's state, as the admin API's /health reports it.
type Health struct {
	OK bool `json:"ok"`
	// Backend is the backend's kind ("memory", "redis", ...).
	Backend string `json:"backend"`
	// Latency is the ping's round trip.
	Latency time.Duration `json:"-"`
	// LatencyMS is Latency in milliseconds, for JSON.
	LatencyMS float64 `json:"latency_ms"`
	// Breaker is the circuit breaker's state, when the backend has one.
	Breaker string `json:"breaker,omitempty"`
	// ServingHits is false while the instance waits to renew its epoch.
	ServingHits bool   `json:"serving_hits"`
	Error       string `json:"error,omitempty"`
}

// Health pings the backend.
func (s *Service) Health(ctx context.Context) Health {
	h := Health{Backend: "custom", ServingHits: s.c.epoch.failures.Load() == s.c.epoch.covered.Load()}
	if k, ok := s.c.backend.(backend.Kinder); ok {
		h.Backend = k.Kind()
	}
	if b, ok := s.c.backend.(backend.BreakerReporter); ok {
		h.Breaker = b.BreakerState()
	}
	start := time.Now()
	err := s.c.backend.Ping(ctx)
	h.Latency = time.Since(start)
	h.LatencyMS = float64(h.Latency) / float64(time.Millisecond)
	if err != nil {
		h.Error = err.Error()
		return h
	}
	h.OK = true
	return h
}
