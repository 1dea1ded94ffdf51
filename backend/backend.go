package backend

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Errors a backend returns. Callers compare with errors.Is.
var (
	// ErrNotFound: no valid entry under the key (absent, expired, or
	// invalidated because a token it was stored under has changed or is gone).
	ErrNotFound = errors.New("backend: not found")

	// ErrConflict: Store was abandoned because a token that was absent at
	// Lookup was created by someone else meanwhile (a write raced the fill),
	// or a token that was present has since disappeared. Nothing was stored.
	ErrConflict = errors.New("backend: token conflict, entry not stored")

	// ErrCorrupt: a stored entry could not be decoded. Lookup reports it
	// as it reports ErrNotFound, with the token values filled in, and
	// callers treat it as a miss whose Store replaces the entry; it is
	// never served.
	ErrCorrupt = errors.New("backend: corrupt entry")

	// ErrClosed: the backend has been closed.
	ErrClosed = errors.New("backend: closed")

	// ErrBadCursor: Scan was given a cursor the backend did not return
	// (bad input from whoever relayed it, not a backend failure).
	ErrBadCursor = errors.New("backend: invalid scan cursor")
)

// Token is the value of a generation token. Zero means "absent"; every
// token a backend creates or renews gets a fresh random non-zero value
// from NewToken, never a counter, so a token that is lost and recreated
// never matches an old entry again.
type Token uint64

// NewToken returns a random non-zero token value.
func NewToken() Token {
	for {
		// math/rand/v2's global source is ChaCha8, seeded randomly per process.
		if v := rand.Uint64(); v != 0 {
			return Token(v)
		}
	}
}

// Tokens is the list of generation tokens one entry depends on: their
// names, and a value for each name. The caller owns both slices.
//
// Names are opaque strings built by the cache; a backend must not parse
// them, except that a clustered backend may place keys by the Redis hash
// tag ({...}) they carry. They live in a namespace of their own: a token
// name is never listed by Scan nor removed by ClearPattern or Delete.
type Tokens struct {
	Names  []string
	Values []Token
}

// KeyInfo describes one entry key, as listed by Scan.
type KeyInfo struct {
	Key string
	// TTL is the time left before the entry expires; -1 when it has no
	// expiry.
	TTL time.Duration
}

// Backend stores cached responses (entries) and generation tokens.
//
// The cache drives it so that a hit costs one Lookup (one round trip on a
// networked backend: the entry and the tokens fetched together) and an
// invalidation costs one Renew of a handful of tokens, whatever the number
// of entries it makes stale. The rules, which the conformance suite in
// package backendtest checks:
//
//   - Lookup returns an entry only if it was stored under key, has not
//     expired, was stored under as many tokens as tok names (an entry
//     stored without tokens is no hit for a lookup that names some: no
//     write could ever invalidate it), and every token it was stored under
//     still exists with the value recorded at Store. Anything else (absent, expired, a token
//     renewed, missing or unreadable) is ErrNotFound, or another error.
//     When it does not return an entry it fills tok.Values with the current
//     value of each name (0 where absent); with an entry it may leave them.
//   - Store saves e under key for ttl, recording the token values in
//     tok.Values, which are those Lookup reported. A zero value means the
//     token was absent: Store creates it with a NewToken value, atomically
//     and only if it is still absent (SET NX semantics), and writes the
//     value it created back into tok.Values. If any such token was created
//     by someone else meanwhile, Store stores nothing and returns
//     ErrConflict. (A token that was present and has since disappeared may
//     also abandon the store; storing an entry that can never validate is
//     allowed too.) The entry records the final values in e.Tokens. Every
//     token it records must live at least as long as the entry (ttl).
//   - Renew gives every named token a fresh NewToken value, creating the
//     absent ones, each living at least ttl. It never deletes a token:
//     deleting would let a fill that began before the renewal store an
//     entry that looks valid.
//   - Reads never create tokens.
//
// Keys, names and slices passed in are valid only for the duration of the
// call: a backend that keeps a key or name (as a map key, say) must copy it,
// as io.Writer must not retain p. An *Entry returned by Lookup may be
// shared with other callers and must be treated as read-only; an *Entry
// passed to Store belongs to the backend afterwards.
//
// Every method is safe for concurrent use. Methods take a context and
// should give up when it is done; the cache bounds the time it spends in
// a networked backend with a deadline (its budget). A lookup's or store's
// context carries the request's values and the budget's deadline, but not
// the client's cancellation; its Done closes at the deadline or within a
// millisecond after it, so a backend that must end on time sets its I/O
// deadlines from Deadline, as go-redis does.
type Backend interface {
	// Lookup returns the valid entry stored under key, see above.
	Lookup(ctx context.Context, key string, tok Tokens) (*Entry, error)

	// Store saves e under key for ttl (ttl > 0), see above.
	Store(ctx context.Context, key string, e *Entry, ttl time.Duration, tok Tokens) error

	// Renew gives each named token a new random value that lives at least
	// ttl, see above.
	Renew(ctx context.Context, names []string, ttl time.Duration) error

	// Delete removes the entry under key, reporting whether there was one.
	Delete(ctx context.Context, key string) (bool, error)

	// Scan lists entry keys matching the glob pattern (Match's syntax; an
	// empty pattern matches every key), about count at a time. Start with
	// cursor ""; a returned cursor of "" means the iteration is complete.
	// A cursor the backend cannot have returned is an error wrapping
	// ErrBadCursor (a backend whose cursors are plain keys may accept any
	// string). Every key present for the whole iteration is returned at least once.
	// A page never holds the same key twice; a backend documents whether a
	// key may come back on a later page (Redis SCAN may).
	Scan(ctx context.Context, pattern, cursor string, count int) (keys []KeyInfo, next string, err error)

	// ClearPattern deletes every entry whose key matches the glob pattern
	// and reports how many it deleted. Tokens are not entries: they stay.
	ClearPattern(ctx context.Context, pattern string) (int, error)

	// Ping checks that the backend is reachable.
	Ping(ctx context.Context) error

	// Close releases the backend's resources and stops its goroutines.
	Close() error
}

// Kinder is implemented by backends that report what they are ("memory",
// "redis", "redis-cluster", ...) in health reports. Others report "custom".
type Kinder interface {
	Kind() string
}

// Local is implemented by backends that live in the process and never
// block on the network. The cache then skips its per-request deadline
// (which costs allocations) for them, and stores a miss before sending
// its response: the store is no round trip to take off the response's
// path (gincache.WithStoreBeforeResponse).
type Local interface {
	Local() bool
}

// Peeker is implemented by backends with an in-process hit path cheaper
// than Lookup: the memory backend, and a near cache in front of a
// networked one (backend/near). Peek fills dst with the entry under key
// and reports true if it is valid for a lookup of ntok token names (it
// recorded that many, all unchanged) and not yet due for removal at now;
// otherwise it reports false, and the caller falls back to Lookup, which
// fills in the token values a miss needs. The cache calls it first so that
// a hit builds no token names and reads the clock once. An entry past its
// Expires but not its stale window is valid too: the cache serves it stale
// from what Peek filled, token values included.
//
// dst is the caller's, reused after the response: what dst refers to
// (body, header fields, the ETag's values through ShareETag or
// ShareInto) must be the backend's and read-only, as an entry from Lookup
// is, except for the token values: a backend may write them into the
// array of dst.Tokens when its capacity holds ntok (the memory backend,
// which keeps a digest of them, does), or point dst.Tokens at its own.
// Filling a caller's Entry, rather than returning one, lets a backend
// hold its entries in a layout smaller than Entry.
type Peeker interface {
	Peek(key string, ntok int, now time.Time, dst *Entry) bool
}

// BreakerReporter is implemented by backends with a circuit breaker, for
// health reports: "closed" (calls flow), "open" (calls are skipped) or
// "half-open" (a probe is under way).
type BreakerReporter interface {
	BreakerState() string
}

// Breaker states, as BreakerReporter reports them.
const (
	BreakerClosed   = "closed"
	BreakerOpen     = "open"
	BreakerHalfOpen = "half-open"
)

// Epocher is implemented by backends that can lose or roll back tokens: a
// restart, a failover to a replica that missed renewals, an outage during
// which writes could not invalidate. Epoch returns a number that changes
// whenever that may have happened; the cache then renews its global epoch
// token, which invalidates every entry, before it serves another hit.
// Reading it must be cheap (an atomic load): the cache reads it on every
// request.
type Epocher interface {
	Epoch() uint64
}
