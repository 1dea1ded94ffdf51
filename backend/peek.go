package backend

import "time"

// Peeker is implemented by backends that can answer a hit from the
// process itself, with no name built and no call that can block: the
// memory backend, and a near cache in front of a networked one. The cache
// calls Peek first on every request and falls back to Lookup when it
// reports false.
type Peeker interface {
	// Peek returns the entry under key if it is valid for a lookup of
	// ntok tokens and not yet due for removal at now; false sends the
	// caller to Lookup, which decides.
	Peek(key string, ntok int, now time.Time) (*Entry, bool)
}

var _ Peeker = (*Memory)(nil)
