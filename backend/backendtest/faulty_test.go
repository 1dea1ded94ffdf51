package backendtest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/backend/backendtest"
	"github.com/intelligentcache/gin-intelligent-cache/backend/memory"
)

// A conformance suite that passes everything checks nothing. Each fault
// below breaks one rule of the contract in a wrapper around the memory
// backend; TestSuiteCatchesFaults runs the suite on it in a child process
// and expects the named check to fail.
var faults = []fault{
	{"lookup-leaves-values", "LookupMissReportsTokens", func(f *faulty) {
		f.lookup = func(ctx context.Context, key string, tok backend.Tokens) (*backend.Entry, error) {
			scratch := backend.Tokens{Names: tok.Names, Values: make([]backend.Token, len(tok.Values))}
			return f.Backend.Lookup(ctx, key, scratch)
		}
	}},
	{"lookup-ignores-renewals", "RenewOfAnyTokenInvalidates", func(f *faulty) {
		served := map[string]*backend.Entry{}
		f.lookup = func(ctx context.Context, key string, tok backend.Tokens) (*backend.Entry, error) {
			if e, ok := served[key]; ok {
				return e, nil
			}
			e, err := f.Backend.Lookup(ctx, key, tok)
			if err == nil {
				served[key] = e
			}
			return e, err
		}
	}},
	{"store-hides-created-values", "StoreCreatesAbsentTokens", func(f *faulty) {
		f.store = func(ctx context.Context, key string, e *backend.Entry, ttl time.Duration, tok backend.Tokens) error {
			seen := slices.Clone(tok.Values)
			err := f.Backend.Store(ctx, key, e, ttl, tok)
			copy(tok.Values, seen)
			return err
		}
	}},
	// A backend that "fixes" a conflict by storing under the tokens as
	// they are now serves fills that overlapped a write.
	{"store-overrides-conflicts", "StoreConflictAbsentTokenCreated", storeOverridesConflicts},
	{"store-overrides-conflicts", "ConcurrentUse", storeOverridesConflicts},
	// A backend that recreates a vanished token with the value the fill
	// saw (SET NX of the old value) resurrects what a write replaced: the
	// fill is stored as valid.
	{"store-recreates-tokens", "StoreAfterTokenExpired", func(f *faulty) {
		resurrected := map[string]*backend.Entry{}
		f.store = func(ctx context.Context, key string, e *backend.Entry, ttl time.Duration, tok backend.Tokens) error {
			err := f.Backend.Store(ctx, key, e, ttl, tok)
			now := make([]backend.Token, len(tok.Names))
			_, _ = f.Backend.Lookup(ctx, "\x00fault-probe", backend.Tokens{Names: tok.Names, Values: now})
			if errors.Is(err, backend.ErrConflict) && slices.Contains(now, 0) {
				resurrected[key] = e
				return nil
			}
			return err
		}
		f.lookup = func(ctx context.Context, key string, tok backend.Tokens) (*backend.Entry, error) {
			if e, ok := resurrected[key]; ok {
				return e, nil
			}
			return f.Backend.Lookup(ctx, key, tok)
		}
	}},
	{"store-accepts-zero-ttl", "StoreRejectsNonPositiveTTL", func(f *faulty) {
		f.store = func(ctx context.Context, key string, e *backend.Entry, ttl time.Duration, tok backend.Tokens) error {
			return f.Backend.Store(ctx, key, e, max(ttl, time.Hour), tok)
		}
	}},
	{"store-stretches-ttl", "EntryExpires", stretchTTL},
	{"store-stretches-ttl", "ScanReportsTTL", stretchTTL},
	{"renew-only-absent", "RenewGivesFreshValues", renewOnlyAbsent},
	{"renew-only-absent", "RenewOfAnyTokenInvalidates", renewOnlyAbsent},
	{"renew-short-ttl", "RenewedTokensLiveTheirTTL", func(f *faulty) {
		f.renew = func(ctx context.Context, names []string, ttl time.Duration) error {
			return f.Backend.Renew(ctx, names, ttl/100)
		}
	}},
	{"delete-always-true", "Delete", func(f *faulty) {
		f.delete = func(ctx context.Context, key string) (bool, error) {
			_, err := f.Backend.Delete(ctx, key)
			return true, err
		}
	}},
	// Tokens and entries in one namespace: deleting an entry renews the
	// token of the same name.
	{"delete-reaches-tokens", "TokensAreNotEntries", func(f *faulty) {
		f.delete = func(ctx context.Context, key string) (bool, error) {
			ok, err := f.Backend.Delete(ctx, key)
			if err == nil {
				err = f.Backend.Renew(ctx, []string{key}, time.Hour)
			}
			return ok, err
		}
	}},
	{"scan-drops-page-ends", "ScanComplete", func(f *faulty) {
		f.scan = func(ctx context.Context, pattern, cursor string, count int) ([]backend.KeyInfo, string, error) {
			keys, next, err := f.Backend.Scan(ctx, pattern, cursor, count)
			if next != "" && len(keys) > 1 {
				keys = keys[:len(keys)-1]
			}
			return keys, next, err
		}
	}},
	{"scan-ignores-count", "ScanComplete", func(f *faulty) {
		f.scan = func(ctx context.Context, pattern, cursor string, count int) ([]backend.KeyInfo, string, error) {
			return f.Backend.Scan(ctx, pattern, cursor, 1000*count)
		}
	}},
	{"scan-repeats-cursor-key", "ScanComplete", func(f *faulty) {
		f.scan = func(ctx context.Context, pattern, cursor string, count int) ([]backend.KeyInfo, string, error) {
			keys, next, err := f.Backend.Scan(ctx, pattern, cursor, count)
			if cursor != "" {
				keys = append([]backend.KeyInfo{{Key: cursor, TTL: time.Hour}}, keys...)
			}
			return keys, next, err
		}
	}},
	{"scan-ignores-pattern", "ScanPatterns", func(f *faulty) {
		f.scan = func(ctx context.Context, pattern, cursor string, count int) ([]backend.KeyInfo, string, error) {
			return f.Backend.Scan(ctx, "", cursor, count)
		}
	}},
	{"scan-constant-ttl", "ScanReportsTTL", func(f *faulty) {
		f.scan = func(ctx context.Context, pattern, cursor string, count int) ([]backend.KeyInfo, string, error) {
			keys, next, err := f.Backend.Scan(ctx, pattern, cursor, count)
			for i := range keys {
				keys[i].TTL = time.Hour
			}
			return keys, next, err
		}
	}},
	// Paginating by offset skips keys when keys before the cursor go.
	{"scan-offset-cursor", "ScanWhileKeysComeAndGo", func(f *faulty) {
		f.scan = func(ctx context.Context, pattern, cursor string, count int) ([]backend.KeyInfo, string, error) {
			all, _, err := f.Backend.Scan(ctx, pattern, "", 1<<30)
			if err != nil {
				return nil, "", err
			}
			from, _ := strconv.Atoi(cursor)
			from = min(from, len(all))
			to := min(from+count, len(all))
			next := ""
			if to < len(all) {
				next = strconv.Itoa(to)
			}
			return all[from:to], next, nil
		}
	}},
	{"clear-miscounts", "ClearPatternExact", func(f *faulty) {
		f.clear = func(ctx context.Context, pattern string) (int, error) {
			n, err := f.Backend.ClearPattern(ctx, pattern)
			return n + 1, err
		}
	}},
	{"clear-ignores-prefix", "ClearPatternPrefixIsolation", func(f *faulty) {
		f.clear = func(ctx context.Context, pattern string) (int, error) {
			return f.Backend.ClearPattern(ctx, strings.TrimPrefix(pattern, "a:"))
		}
	}},
	{"lookup-loses-nanoseconds", "EntryRoundTrip", func(f *faulty) {
		f.lookup = func(ctx context.Context, key string, tok backend.Tokens) (*backend.Entry, error) {
			e, err := f.Backend.Lookup(ctx, key, tok)
			if e != nil {
				c := *e
				c.StoredAt = c.StoredAt.Truncate(time.Millisecond)
				e = &c
			}
			return e, err
		}
	}},
	{"lookup-reorders-values", "EntryRoundTrip", func(f *faulty) {
		f.lookup = func(ctx context.Context, key string, tok backend.Tokens) (*backend.Entry, error) {
			e, err := f.Backend.Lookup(ctx, key, tok)
			if e != nil {
				c := *e
				c.Header = slices.Clone(c.Header)
				for i := range c.Header {
					c.Header[i].Values = slices.Sorted(slices.Values(c.Header[i].Values))
				}
				e = &c
			}
			return e, err
		}
	}},
	{"closed-plain-error", "MethodsAfterClose", func(f *faulty) {
		f.mapErr = func(err error) error {
			if errors.Is(err, backend.ErrClosed) {
				return errors.New("closed")
			}
			return err
		}
	}},
}

func storeOverridesConflicts(f *faulty) {
	f.store = func(ctx context.Context, key string, e *backend.Entry, ttl time.Duration, tok backend.Tokens) error {
		err := f.Backend.Store(ctx, key, e, ttl, tok)
		if errors.Is(err, backend.ErrConflict) {
			// Read the tokens as they are now, then store under them.
			_, _ = f.Backend.Lookup(ctx, "\x00fault-probe", tok)
			return f.Backend.Store(ctx, key, e, ttl, tok)
		}
		return err
	}
}

func stretchTTL(f *faulty) {
	f.store = func(ctx context.Context, key string, e *backend.Entry, ttl time.Duration, tok backend.Tokens) error {
		return f.Backend.Store(ctx, key, e, 100*ttl, tok)
	}
}

func renewOnlyAbsent(f *faulty) {
	f.renew = func(ctx context.Context, names []string, ttl time.Duration) error {
		values := make([]backend.Token, len(names))
		_, _ = f.Backend.Lookup(ctx, "\x00fault-probe", backend.Tokens{Names: names, Values: values})
		var absent []string
		for i, v := range values {
			if v == 0 {
				absent = append(absent, names[i])
			}
		}
		return f.Backend.Renew(ctx, absent, ttl)
	}
}

type fault struct {
	name  string
	check string // the subtest of Run that must fail
	wrap  func(f *faulty)
}

// faulty wraps a backend, replacing the methods a fault sets.
type faulty struct {
	backend.Backend
	lookup func(ctx context.Context, key string, tok backend.Tokens) (*backend.Entry, error)
	store  func(ctx context.Context, key string, e *backend.Entry, ttl time.Duration, tok backend.Tokens) error
	renew  func(ctx context.Context, names []string, ttl time.Duration) error
	delete func(ctx context.Context, key string) (bool, error)
	scan   func(ctx context.Context, pattern, cursor string, count int) ([]backend.KeyInfo, string, error)
	clear  func(ctx context.Context, pattern string) (int, error)
	mapErr func(error) error
}

func (f *faulty) err(err error) error {
	if f.mapErr != nil {
		return f.mapErr(err)
	}
	return err
}

func (f *faulty) Lookup(ctx context.Context, key string, tok backend.Tokens) (*backend.Entry, error) {
	if f.lookup != nil {
		return f.lookup(ctx, key, tok)
	}
	e, err := f.Backend.Lookup(ctx, key, tok)
	return e, f.err(err)
}

func (f *faulty) Store(ctx context.Context, key string, e *backend.Entry, ttl time.Duration, tok backend.Tokens) error {
	if f.store != nil {
		return f.store(ctx, key, e, ttl, tok)
	}
	return f.err(f.Backend.Store(ctx, key, e, ttl, tok))
}

func (f *faulty) Renew(ctx context.Context, names []string, ttl time.Duration) error {
	if f.renew != nil {
		return f.renew(ctx, names, ttl)
	}
	return f.err(f.Backend.Renew(ctx, names, ttl))
}

func (f *faulty) Delete(ctx context.Context, key string) (bool, error) {
	if f.delete != nil {
		return f.delete(ctx, key)
	}
	ok, err := f.Backend.Delete(ctx, key)
	return ok, f.err(err)
}

func (f *faulty) Scan(ctx context.Context, pattern, cursor string, count int) ([]backend.KeyInfo, string, error) {
	if f.scan != nil {
		return f.scan(ctx, pattern, cursor, count)
	}
	keys, next, err := f.Backend.Scan(ctx, pattern, cursor, count)
	return keys, next, f.err(err)
}

func (f *faulty) ClearPattern(ctx context.Context, pattern string) (int, error) {
	if f.clear != nil {
		return f.clear(ctx, pattern)
	}
	n, err := f.Backend.ClearPattern(ctx, pattern)
	return n, f.err(err)
}

func (f *faulty) Ping(ctx context.Context) error { return f.err(f.Backend.Ping(ctx)) }

// faultEnv names the fault a child process of TestSuiteCatchesFaults
// runs the suite with.
const faultEnv = "BACKENDTEST_FAULT"

// TestFaultyBackend is the child process's entry point: it does nothing
// unless faultEnv names a fault.
func TestFaultyBackend(t *testing.T) {
	name := os.Getenv(faultEnv)
	if name == "" {
		return
	}
	i := slices.IndexFunc(faults, func(f fault) bool { return f.name == name })
	require.GreaterOrEqual(t, i, 0, "unknown fault %q", name)
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	backendtest.Run(t, backendtest.Harness{
		New: func(t *testing.T) backend.Backend {
			m, err := memory.New(memory.Options{Now: func() time.Time { return time.Unix(0, clock.Load()) }})
			require.NoError(t, err)
			f := &faulty{Backend: m}
			faults[i].wrap(f)
			return f
		},
		Advance: func(d time.Duration) { clock.Add(int64(d)) },
	})
}

func TestSuiteCatchesFaults(t *testing.T) {
	if os.Getenv(faultEnv) != "" {
		return // a child process
	}
	for _, f := range faults {
		t.Run(f.name+"/"+f.check, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestFaultyBackend$/^"+f.check+"$", "-test.count=1")
			cmd.Env = append(os.Environ(), faultEnv+"="+f.name)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "the suite passed (or did not run: %v) on a backend with fault %s:\n%s", err, f.name, out)
			want := "--- FAIL: TestFaultyBackend/" + f.check
			require.Contains(t, string(out), want, "with fault %s, check %s did not fail:\n%s", f.name, f.check, out)
		})
	}
}
