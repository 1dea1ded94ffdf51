package gincache

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/internal/logopt"
	"github.com/intelligentcache/gin-intelligent-cache/policy"
)

// Option configures New. Each option validates its value; New reports
// every invalid one.
type Option func(*config) error

// config is what the options set; zero fields get the defaults in
// New.
type config struct {
	backend         backend.Backend
	defaultTTL      time.Duration
	disabled        bool
	maxResponseSize int64
	maxInflight     int64
	prefix          string
	appVersion      string
	logger          *slog.Logger
	budget          time.Duration
	writeBudget     time.Duration
	invalidWait     time.Duration
	ignoreNoCache   bool
	storeFirst      bool
	now             func() time.Time
	observer        Observer
	keyedHeaders    []string
	keyedSet        bool
	credHeaders     []string
	credHeadersSet  bool
	credQuery       []string
	credQuerySet    bool
}

// Defaults.
const (
	DefaultTTL              = 60 * time.Second
	DefaultMaxResponseSize  = 10 << 20
	DefaultMaxInflight      = 128 << 20
	DefaultKeyPrefix        = "gincache"
	DefaultBudget           = 50 * time.Millisecond
	DefaultWriteBudget      = 500 * time.Millisecond
	DefaultInvalidationWait = 5 * time.Second
	// keyFormatVersion is the stored format; it leads the key version so
	// that a release that changes the entry format never reads old entries.
	keyFormatVersion = "1"
)

// WithBackend sets where responses are kept. Default: a new
// memory.New with its defaults (64 MiB), which Close closes. A
// backend passed here is the caller's to close.
func WithBackend(b backend.Backend) Option {
	return func(c *config) error {
		if b == nil {
			return errors.New("WithBackend: nil backend")
		}
		c.backend = b
		return nil
	}
}

// WithDefaultTTL sets the TTL of routes whose policy leaves TTL at 0.
// Default: 60s. It must be positive.
func WithDefaultTTL(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("WithDefaultTTL: %v is not a positive duration", d)
		}
		c.defaultTTL = d
		return nil
	}
}

// WithEnabled turns caching on or off as a whole. Default: on. A disabled
// cache serves no hits and stores nothing, but its writes still
// invalidate, so that other instances sharing the backend never serve
// what they made stale.
func WithEnabled(on bool) Option {
	return func(c *config) error {
		c.disabled = !on
		return nil
	}
}

// WithMaxResponseSize sets the largest body stored, in bytes. A response
// known to be larger from its Content-Length is streamed through at once;
// one that grows past it stops being buffered and streams on; neither is
// stored. Default: 10 MiB. It must be positive.
func WithMaxResponseSize(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("WithMaxResponseSize: %d is not a positive size", n)
		}
		c.maxResponseSize = n
		return nil
	}
}

// WithMaxInflightBytes caps the bytes buffered by all requests being
// filled at once, so that many large misses together cannot exhaust
// memory: past the cap a response streams through uncached. Default:
// 128 MiB. It must be positive.
func WithMaxInflightBytes(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("WithMaxInflightBytes: %d is not a positive size", n)
		}
		c.maxInflight = n
		return nil
	}
}

// WithKeyPrefix sets the namespace of every key and token this cache
// writes; clearing everything deletes only keys under it. Default:
// "gincache". Letters, digits and _ . - only, at most 64 bytes: no ':',
// the separator that follows it, so that no prefix is the start of
// another's keys ("app" and "app:v2" would be; "app" and "app.v2" are not).
func WithKeyPrefix(p string) Option {
	return func(c *config) error {
		if p == "" || len(p) > 64 {
			return fmt.Errorf("WithKeyPrefix: %q must be 1 to 64 bytes", p)
		}
		for i := 0; i < len(p); i++ {
			ch := p[i]
			if !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '_' || ch == '.' || ch == '-') {
				return fmt.Errorf("WithKeyPrefix: %q may hold only letters, digits, underscores, dots and dashes", p)
			}
		}
		c.prefix = p
		return nil
	}
}

// WithKeyVersion adds an application version (a build id, a schema
// number) to every key, so that a deploy that changes response shapes
// never serves entries stored by the previous one. Default: none. Letters,
// digits and _ . - only, at most 64 bytes.
func WithKeyVersion(v string) Option {
	return func(c *config) error {
		if v == "" || len(v) > 64 || !policy.IsToken(v) {
			return fmt.Errorf("WithKeyVersion: %q must be 1 to 64 letters, digits, _ . -", v)
		}
		c.appVersion = v
		return nil
	}
}

// WithLogger sets where cache errors are logged (rate-limited). Default:
// slog.Default().
func WithLogger(l *slog.Logger) Option {
	return logopt.With(l, func(c *config) **slog.Logger { return &c.logger })
}

// WithBudget bounds the time one request spends in a networked backend,
// the lookup and the store together (the handler's own time is not
// counted). Past it the request goes on uncached. Default: 50ms. It does
// not apply to backends that implement backend.Local.
//
// The budget, not the client, ends a backend call: the call's context
// keeps the request's values but not its cancellation, so a lookup whose
// client has gone runs to its answer or its budget, as the store after
// the response always has. Such a context costs one allocation and no
// timer of its own, where context.WithTimeout costs four and a timer.
func WithBudget(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("WithBudget: %v is not a positive duration", d)
		}
		c.budget = d
		return nil
	}
}

// WithWriteBudget bounds each attempt at a write's invalidation (one
// round trip renewing its tokens) on a networked backend. An attempt that
// fails or times out is retried, past an open circuit breaker, for as long
// as WithInvalidationWait allows. Default: 500ms.
func WithWriteBudget(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("WithWriteBudget: %v is not a positive duration", d)
		}
		c.writeBudget = d
		return nil
	}
}

// WithInvalidationWait bounds how long a write's response waits for its
// invalidation to land in a networked backend. The status is committed
// (the handler is done) but nothing is sent until the write's tokens are
// renewed, so that once a client holds the 2xx no instance sharing the
// backend serves what the write made stale. While the backend cannot be
// reached, writes are answered this late; past the wait the response goes
// out as the handler wrote it (never a 5xx), the renewal keeps being
// retried in the background, and this instance serves no hits until it
// has renewed the global epoch. Other instances may serve the write's
// stale entries until then: docs/CACHING_LIMITS.md. Default: 5s. It must
// be positive; set it to the write budget to wait for one attempt only.
func WithInvalidationWait(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("WithInvalidationWait: %v is not a positive duration", d)
		}
		c.invalidWait = d
		return nil
	}
}

// WithHonorNoCache decides whether a request's "Cache-Control: no-cache"
// (or "Pragma: no-cache") bypasses the cache and runs the handler.
// Default: true, as HTTP caches do. Turn it off when clients must not be
// able to force handler runs (docs/SECURITY.md).
func WithHonorNoCache(on bool) Option {
	return func(c *config) error {
		c.ignoreNoCache = !on
		return nil
	}
}

// WithStoreBeforeResponse decides when a miss on a networked backend
// (Redis, the near cache) is stored. Default: false: the response goes to
// the client first, with Cache-Status "gincache; fwd=miss; detail=storing",
// and the store's round trip runs after it, within the request's budget,
// so a miss costs the client the lookup and the handler only. Turned on,
// the store comes first and Cache-Status says whether it was stored
// ("stored", or "detail=" and why not), at one round trip more on every
// miss. Either way a store that raced a write is refused (its tokens
// changed), concurrent misses of the key share its entry (as it goes
// out, or once stored), and Close waits for stores under way. A backend
// that implements backend.Local (the memory backend) always stores first:
// its store is not a round trip.
func WithStoreBeforeResponse(on bool) Option {
	return func(c *config) error {
		c.storeFirst = on
		return nil
	}
}

// WithClock sets the time source. Default: time.Now. Tests inject a fake
// clock (and give the same one to the memory backend).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("WithClock: nil clock")
		}
		c.now = now
		return nil
	}
}

// DefaultKeyedHeaders are the request headers put in the key whenever a
// request carries them, whatever the route's vary list: forwarding and
// URL-override headers that frameworks and handlers render from (absolute
// links, redirects), and that an attacker can send to poison a shared
// entry. Behind a proxy that always sets them they cost nothing: every
// request carries the same value.
var DefaultKeyedHeaders = []string{
	"X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix", "X-Forwarded-Scheme",
	"X-Host", "X-Original-URL", "X-Rewrite-URL",
}

// WithKeyedHeaders replaces DefaultKeyedHeaders: the request headers put in
// every key when present. No names turns the mechanism off (do that only
// if no handler and no middleware reads them).
func WithKeyedHeaders(names ...string) Option {
	return func(c *config) error {
		for _, n := range names {
			if !policy.IsToken(n) {
				return fmt.Errorf("WithKeyedHeaders: %q is not a header name", n)
			}
		}
		c.keyedHeaders, c.keyedSet = names, true
		return nil
	}
}

// DefaultCredentialHeaders are the request headers that carry
// credentials. A request carrying one is cached only on a route that is
// Public, or whose key holds the caller's identity: a context key named in
// the policy's Identity (set by the authentication middleware), or the
// credential itself (Identity "header:Authorization", or a cookie for the
// Cookie header). Otherwise it is passed through uncached (SKIP, detail
// authorization), so a route that forgot its identity never serves one
// caller's response to another.
var DefaultCredentialHeaders = []string{
	"Authorization", "Cookie", "Proxy-Authorization",
	"X-Api-Key", "X-Auth-Token", "X-Access-Token",
}

// DefaultCredentialQuery are the query parameters that carry credentials.
// They count as DefaultCredentialHeaders do, and are left out of every key
// (so no secret lands in a key the admin API lists): on a route that may
// cache such a request, the response depends on the identity, not on the
// token's text.
var DefaultCredentialQuery = []string{"access_token", "api_key", "apikey", "auth_token"}

// WithCredentialHeaders replaces DefaultCredentialHeaders. Add the headers
// your authentication reads; removing one makes requests carrying it
// cacheable on routes that name no identity, so do that only for a header
// that is no credential.
func WithCredentialHeaders(names ...string) Option {
	return func(c *config) error {
		for _, n := range names {
			if !policy.IsToken(n) {
				return fmt.Errorf("WithCredentialHeaders: %q is not a header name", n)
			}
		}
		c.credHeaders, c.credHeadersSet = names, true
		return nil
	}
}

// WithCredentialQuery replaces DefaultCredentialQuery: the query parameters
// that carry credentials.
func WithCredentialQuery(names ...string) Option {
	return func(c *config) error {
		for _, n := range names {
			if n == "" {
				return errors.New("WithCredentialQuery: empty parameter name")
			}
		}
		c.credQuery, c.credQuerySet = names, true
		return nil
	}
}

// funcName is the name Gin reports for a handler.
func funcName(h gin.HandlerFunc) string {
	return runtime.FuncForPC(reflect.ValueOf(h).Pointer()).Name()
}
