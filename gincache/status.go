package gincache

// The vocabulary of X-Cache and Cache-Status (RFC 9211): every reason a
// request skips the cache and every reason a response is not stored, with
// the names they go by in Cache-Status details and in Stats. A new reason
// is a constant and a name here, and a row in the README's Cache-Status
// table (and docs/CACHING_LIMITS.md for a not-stored reason).

// Response headers the cache sets.
const (
	// HeaderXCache is HIT, MISS, STALE or SKIP.
	HeaderXCache = "X-Cache"
	// HeaderCacheStatus is the RFC 9211 Cache-Status header, sent on
	// every response of a cached route that the cache did not serve fresh
	// itself (MISS, STALE, SKIP); its detail parameter names why a request
	// was not served from, or not stored in, the cache.
	HeaderCacheStatus = "Cache-Status"
	// cacheName identifies this cache in Cache-Status.
	cacheName = "gincache"
)

// headerValues are the header value slices the cache assigns, built once:
// a hit assigns shared slices instead of allocating. Nobody appends to
// them in place: each has len == cap, so Header.Add copies.
type headerValues struct {
	hit, miss, stale, skip []string

	statusStored    []string
	statusStoring   []string
	statusCollapsed []string
	statusStale     []string
	statusSkip      [numSkipReasons][]string
	statusNotStored [numNotStored][]string
}

func one(s string) []string { return []string{s}[:1:1] }

func newHeaderValues() headerValues {
	h := headerValues{
		hit:             one("HIT"),
		miss:            one("MISS"),
		stale:           one("STALE"),
		skip:            one("SKIP"),
		statusStored:    one(cacheName + "; fwd=miss; stored"),
		statusStoring:   one(cacheName + "; fwd=miss; detail=storing"),
		statusCollapsed: one(cacheName + "; fwd=miss; collapsed"),
		statusStale:     one(cacheName + "; hit; fwd=stale"),
	}
	for r := skipNone + 1; r < numSkipReasons; r++ {
		fwd := "bypass"
		if r == skipNoCache {
			fwd = "request" // the request's own directives forced the forward
		}
		h.statusSkip[r] = one(cacheName + "; fwd=" + fwd + "; detail=" + r.String())
	}
	for r := range numNotStored {
		h.statusNotStored[r] = one(cacheName + "; fwd=miss; detail=" + r.String())
	}
	return h
}

// skipReason says why a request bypasses the cache; skipNone when it
// does not.
type skipReason uint8

const (
	skipNone skipReason = iota
	skipNoCache
	skipTooLarge
	skipVary
	skipAuth
	skipQuery
	skipDepth
	skipInflight
	skipStreamed
	skipEpoch
	skipBackendErr
	skipDisabled
	skipOrder
	numSkipReasons
)

// skipNames are the reasons as Cache-Status details and stats labels.
var skipNames = [numSkipReasons]string{
	skipNoCache:    "no-cache",
	skipTooLarge:   "too-large",
	skipVary:       "vary-missing",
	skipAuth:       "authorization",
	skipQuery:      "malformed-query",
	skipDepth:      "path-too-deep",
	skipInflight:   "inflight-cap",
	skipStreamed:   "streamed",
	skipEpoch:      "epoch-pending",
	skipBackendErr: "backend-error",
	skipDisabled:   "disabled",
	skipOrder:      "middleware-order",
}

func (r skipReason) String() string { return skipNames[r] }

// notStoredReason says why a response that ran the handler was not kept.
type notStoredReason uint8

const (
	notStoredStatus notStoredReason = iota
	notStoredCookie
	notStoredNoStore
	notStoredNoCache
	notStoredPrivate
	notStoredVary
	notStoredEncoding
	notStoredConflict
	notStoredError
	notStoredHijacked
	notStoredAborted
	notStoredUnwritten
	notStoredErrors
	notStoredPanic
	numNotStored
)

var notStoredNames = [numNotStored]string{
	notStoredStatus:    "status",
	notStoredCookie:    "set-cookie",
	notStoredNoStore:   "no-store",
	notStoredNoCache:   "no-cache",
	notStoredPrivate:   "private",
	notStoredVary:      "vary",
	notStoredEncoding:  "content-encoding",
	notStoredConflict:  "conflict",
	notStoredError:     "store-error",
	notStoredHijacked:  "hijacked",
	notStoredAborted:   "aborted",
	notStoredUnwritten: "unwritten",
	notStoredErrors:    "handler-error",
	notStoredPanic:     "panic",
}

func (r notStoredReason) String() string { return notStoredNames[r] }
