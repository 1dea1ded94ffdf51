package main

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

// MapBackend is a custom backend written against the backend contract the
// way an application would write its own: entries encoded to bytes (as a
// networked store would keep them) in a plain map, tokens in another, one
// mutex around both. It passes the conformance suite (mapbackend_test.go).
// It removes expired entries only when it meets them; a production one
// would also sweep.
type MapBackend struct {
	now func() time.Time

	mu      sync.Mutex
	closed  bool
	entries map[string]stored
	tokens  map[string]token
}

type stored struct {
	data    []byte // backend.Entry.MarshalBinary
	expires time.Time
}

type token struct {
	value   backend.Token
	expires time.Time
}

var _ backend.Backend = (*MapBackend)(nil)

// NewMapBackend returns an empty backend reading time from now (time.Now
// when nil).
func NewMapBackend(now func() time.Time) *MapBackend {
	if now == nil {
		now = time.Now
	}
	return &MapBackend{now: now, entries: map[string]stored{}, tokens: map[string]token{}}
}

// Kind names the backend in health reports.
func (m *MapBackend) Kind() string { return "map" }

// current returns a live token's value, 0 when absent or expired. The
// caller holds mu.
func (m *MapBackend) current(name string, now time.Time) backend.Token {
	if t, ok := m.tokens[name]; ok && now.Before(t.expires) {
		return t.value
	}
	return 0
}

// Lookup returns the entry if it is live and each of its tokens still
// holds the value it was stored under; otherwise it reports the current
// token values, which the cache records when it stores the refill.
func (m *MapBackend) Lookup(_ context.Context, key string, tok backend.Tokens) (*backend.Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, backend.ErrClosed
	}
	now := m.now()
	for i, name := range tok.Names {
		tok.Values[i] = m.current(name, now)
	}
	s, ok := m.entries[key]
	if !ok || !now.Before(s.expires) {
		return nil, backend.ErrNotFound
	}
	var e backend.Entry
	if err := e.UnmarshalBinary(s.data); err != nil {
		return nil, backend.ErrNotFound // a damaged entry is a miss
	}
	if len(e.Tokens) != len(tok.Names) {
		return nil, backend.ErrNotFound
	}
	for i, v := range e.Tokens {
		if v == 0 || tok.Values[i] != v {
			return nil, backend.ErrNotFound
		}
	}
	return &e, nil
}

// Store creates the tokens that were absent at Lookup (giving up if a
// write created one meanwhile), checks the present ones did not change,
// and keeps the entry.
func (m *MapBackend) Store(_ context.Context, key string, e *backend.Entry, ttl time.Duration, tok backend.Tokens) error {
	if ttl <= 0 {
		return errors.New("mapbackend: ttl must be positive")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return backend.ErrClosed
	}
	now := m.now()
	expires := now.Add(ttl)
	for i, name := range tok.Names {
		cur := m.current(name, now)
		switch {
		case tok.Values[i] == 0 && cur != 0:
			return backend.ErrConflict // a write created it during the fill
		case tok.Values[i] == 0:
			tok.Values[i] = backend.NewToken()
		case cur != tok.Values[i]:
			return backend.ErrConflict // renewed or gone during the fill
		}
		t := m.tokens[name]
		m.tokens[strings.Clone(name)] = token{value: tok.Values[i], expires: later(t.expires, expires)}
	}
	e.Tokens = slices.Clone(tok.Values)
	data, err := e.MarshalBinary()
	if err != nil {
		return err
	}
	m.entries[strings.Clone(key)] = stored{data: data, expires: expires}
	return nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Renew gives each token a fresh random value; it never deletes one.
func (m *MapBackend) Renew(_ context.Context, names []string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return backend.ErrClosed
	}
	now := m.now()
	for _, name := range names {
		t := m.tokens[name]
		if !now.Before(t.expires) {
			t.expires = time.Time{}
		}
		m.tokens[strings.Clone(name)] = token{value: backend.NewToken(), expires: later(t.expires, now.Add(ttl))}
	}
	return nil
}

// Delete removes one entry.
func (m *MapBackend) Delete(_ context.Context, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false, backend.ErrClosed
	}
	s, ok := m.entries[key]
	delete(m.entries, key)
	return ok && m.now().Before(s.expires), nil
}

// Scan lists keys in lexical order; the cursor is the last key returned,
// so a full iteration returns every key present throughout exactly once.
func (m *MapBackend) Scan(_ context.Context, pattern, cursor string, count int) ([]backend.KeyInfo, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, "", backend.ErrClosed
	}
	now := m.now()
	var keys []string
	for k, s := range m.entries {
		if (cursor == "" || k > cursor) && now.Before(s.expires) && backend.Match(pattern, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	next := ""
	if count > 0 && len(keys) > count {
		keys = keys[:count]
		next = keys[count-1]
	}
	out := make([]backend.KeyInfo, len(keys))
	for i, k := range keys {
		out[i] = backend.KeyInfo{Key: k, TTL: m.entries[k].expires.Sub(now)}
	}
	return out, next, nil
}

// ClearPattern deletes the live entries matching the pattern.
func (m *MapBackend) ClearPattern(_ context.Context, pattern string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, backend.ErrClosed
	}
	now := m.now()
	n := 0
	for k, s := range m.entries {
		if backend.Match(pattern, k) {
			if now.Before(s.expires) {
				n++
			}
			delete(m.entries, k)
		}
	}
	return n, nil
}

// Ping reports whether the backend is open.
func (m *MapBackend) Ping(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return backend.ErrClosed
	}
	return nil
}

// Close drops everything.
func (m *MapBackend) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.entries, m.tokens = nil, nil
	return nil
}
