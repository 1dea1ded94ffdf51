package backendtest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
)

// Harness tells Run how to make and drive the backend under test.
type Harness struct {
	// New returns a fresh, empty backend for one subtest. Run closes it
	// when the subtest ends. Required.
	New func(t *testing.T) backend.Backend

	// Advance moves the clock of every backend New returned forward by d.
	// nil when the clock cannot be controlled (a real Redis server): the
	// suite then checks expiry through the TTLs Scan reports, never by
	// sleeping.
	Advance func(d time.Duration)

	// DuplicatesAcrossPages says the backend may return a key on more
	// than one page of one Scan iteration (Redis SCAN does). A key is
	// never allowed twice within one page.
	DuplicatesAcrossPages bool
}

// Run checks the backend h makes against every rule of the
// backend.Backend contract, each in a subtest of t.
func Run(t *testing.T, h Harness) {
	t.Helper()
	require.NotNil(t, h.New, "backendtest: Harness.New is nil")
	s := &suite{h: h}
	var left []string
	for _, c := range s.cases() {
		if c.needsClock && h.Advance == nil {
			left = append(left, c.name)
			continue
		}
		t.Run(c.name, func(t *testing.T) { c.run(t, s) })
	}
	if len(left) > 0 {
		t.Logf("Harness.Advance is nil, so these checks, which need time to pass, were left out: %v", left)
	}
}

type testCase struct {
	name string
	run  func(t *testing.T, s *suite)
	// needsClock: the check moves the clock, so it runs only with
	// Harness.Advance.
	needsClock bool
}

type suite struct {
	h Harness
}

// cases lists every check, grouped by file.
func (s *suite) cases() []testCase {
	var all []testCase
	all = append(all, tokenCases...)
	all = append(all, expiryCases...)
	all = append(all, deleteCases...)
	all = append(all, scanCases...)
	all = append(all, clearCases...)
	all = append(all, roundTripCases...)
	all = append(all, concurrencyCases...)
	all = append(all, closeCases...)
	return all
}

// open returns a fresh backend that is closed when t ends.
func (s *suite) open(t *testing.T) backend.Backend {
	t.Helper()
	b := s.h.New(t)
	require.NotNil(t, b, "backendtest: Harness.New returned nil")
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// defaultTTL is long enough that nothing the suite stores expires unless
// a check moves the clock on purpose.
const defaultTTL = time.Hour

// probeKey is never stored: a Lookup on it reports the tokens' values.
const probeKey = "bt:probe:never-stored"

// tokens reports the current values of the named tokens (0 for absent).
func tokens(t *testing.T, b backend.Backend, names ...string) []backend.Token {
	t.Helper()
	return mustMiss(t, b, probeKey, names...)
}

// mustMiss checks that key has no valid entry under the named tokens and
// returns the token values Lookup filled in. The values slice starts out
// full of junk so that a backend which leaves it alone is caught.
func mustMiss(t *testing.T, b backend.Backend, key string, names ...string) []backend.Token {
	t.Helper()
	values := junk(len(names))
	e, err := b.Lookup(context.Background(), key, backend.Tokens{Names: names, Values: values})
	require.ErrorIs(t, err, backend.ErrNotFound, "Lookup(%q) = %v", key, describe(e))
	require.Nil(t, e, "Lookup(%q) returned an entry with ErrNotFound", key)
	return values
}

// mustHit checks that key has a valid entry under the named tokens.
func mustHit(t *testing.T, b backend.Backend, key string, names ...string) *backend.Entry {
	t.Helper()
	e, err := b.Lookup(context.Background(), key, backend.Tokens{Names: names, Values: junk(len(names))})
	require.NoError(t, err, "Lookup(%q) = %v, %v; want a hit", key, describe(e), err)
	require.NotNil(t, e, "Lookup(%q) = %v, %v; want a hit", key, describe(e), err)
	return e
}

// junk returns n token values a backend is unlikely to produce, for a
// Lookup to overwrite.
func junk(n int) []backend.Token {
	v := make([]backend.Token, n)
	for i := range v {
		v[i] = backend.Token(0xdead0000 + i)
	}
	return v
}

// store runs Store with the given token values (nil: all absent) and
// returns the values it reported back.
func store(b backend.Backend, key string, e *backend.Entry, ttl time.Duration, names []string, values []backend.Token) ([]backend.Token, error) {
	if values == nil {
		values = make([]backend.Token, len(names))
	} else {
		values = slices.Clone(values)
	}
	err := b.Store(context.Background(), key, e, ttl, backend.Tokens{Names: names, Values: values})
	return values, err
}

// fill does what the cache does on a miss: Lookup, then Store under the
// token values Lookup reported. It returns the values the entry records.
func fill(t *testing.T, b backend.Backend, key string, ttl time.Duration, names ...string) []backend.Token {
	t.Helper()
	seen := mustMiss(t, b, key, names...)
	got, err := store(b, key, newEntry(key), ttl, names, seen)
	require.NoError(t, err, "Store(%q)", key)
	return got
}

// newEntry returns a small entry whose body names key, so that a hit on
// the wrong key shows.
func newEntry(key string) *backend.Entry {
	return &backend.Entry{
		Status: 200,
		Header: []backend.HeaderField{{Name: "Content-Type", Values: []string{"text/plain"}}},
		Body:   []byte("body of " + key),
		ETag:   `"` + key + `"`,
	}
}

// checkBody fails unless e is the entry newEntry(key) made.
func checkBody(t *testing.T, key string, e *backend.Entry) {
	t.Helper()
	want := "body of " + key
	require.Equal(t, want, string(e.Body), "Lookup(%q) body = %q", key, e.Body)
}

func describe(e *backend.Entry) string {
	if e == nil {
		return "<nil>"
	}
	return "entry(" + string(e.Body) + ")"
}
