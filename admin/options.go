package admin

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/internal/logopt"
)

// DefaultBase is where Mount puts the routes unless WithBase says
// otherwise, as fastapi-intelligent-cache does.
const DefaultBase = "/api/cache"

// Option configures Mount. Each option checks its value; Mount reports
// every invalid one.
type Option func(*config) error

// config is what the options set; zero fields get the defaults in Mount.
type config struct {
	base    string
	auth    []gin.HandlerFunc
	open    bool
	logger  *slog.Logger
	origins []string
}

// WithBase sets the path the routes are mounted under, relative to the
// router given to Mount. Default: DefaultBase ("/api/cache"). It must
// start with "/" and hold only letters, digits and - _ . ~ / (no route
// parameters); a trailing "/" is dropped.
func WithBase(base string) Option {
	return func(c *config) error {
		clean, err := cleanBase(base)
		if err != nil {
			return fmt.Errorf("WithBase: %w", err)
		}
		c.base = clean
		return nil
	}
}

// cleanBase checks a base path and drops its trailing "/".
func cleanBase(base string) (string, error) {
	if !strings.HasPrefix(base, "/") || len(base) > 256 {
		return "", fmt.Errorf("%q must start with / and be at most 256 bytes", base)
	}
	for i := 0; i < len(base); i++ {
		ch := base[i]
		if !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || strings.IndexByte("-_.~/", ch) >= 0) {
			return "", fmt.Errorf("%q may hold only letters, digits and - _ . ~ / (no route parameters)", base)
		}
	}
	clean := strings.TrimRight(base, "/")
	if clean == "" {
		return "/", nil
	}
	for seg := range strings.SplitSeq(clean[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("%q has an empty, . or .. segment", base)
		}
	}
	return clean, nil
}

// WithAuth puts handlers (Gin middleware: a session check, a bearer
// token, mTLS identity) in front of every admin route, the dashboard
// page included; a handler refuses a request by aborting it (for example
// with c.AbortWithStatusJSON(401, ...)). They replace the default
// loopback-only rule; add LoopbackOnly() among them to keep it as well.
// fastapi-intelligent-cache calls this admin_auth_dependency.
func WithAuth(handlers ...gin.HandlerFunc) Option {
	return func(c *config) error {
		if len(handlers) == 0 {
			return errors.New("WithAuth: no handler given")
		}
		for i, h := range handlers {
			if h == nil {
				return fmt.Errorf("WithAuth: handler %d is nil", i)
			}
		}
		c.auth = append(c.auth, handlers...)
		return nil
	}
}

// UnsafeAllowRemoteWithoutAuth serves the admin routes to every client
// that can reach the server, with no authentication at all: anyone can
// then list the cached keys (which may name users) and clear the cache.
// It is meant for a server that only a trusted network reaches, where a
// proxy in front does the access control. Mount logs a warning when it
// is set. It cannot be combined with WithAuth.
func UnsafeAllowRemoteWithoutAuth() Option {
	return func(c *config) error {
		c.open = true
		return nil
	}
}

// WithLogger sets where Mount logs its warning about
// UnsafeAllowRemoteWithoutAuth. Default: slog.Default().
func WithLogger(l *slog.Logger) Option {
	return logopt.With(l, func(c *config) **slog.Logger { return &c.logger })
}

// WithTrustedOrigin lets browser pages served from origin (scheme, host
// and optional port: "https://ops.example.com") send the admin API's
// POST and DELETE requests. Without it, the admin routes refuse
// state-changing requests that a browser marks as cross-origin (see
// http.CrossOriginProtection), so that a web page the operator visits
// cannot clear the cache through their browser. Tools such as curl send
// no such marks and are not affected.
func WithTrustedOrigin(origin string) Option {
	return func(c *config) error {
		if err := http.NewCrossOriginProtection().AddTrustedOrigin(origin); err != nil {
			return fmt.Errorf("WithTrustedOrigin: %w", err)
		}
		c.origins = append(c.origins, origin)
		return nil
	}
}
