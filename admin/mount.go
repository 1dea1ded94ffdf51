package admin

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
	"github.com/intelligentcache/gin-intelligent-cache/internal/logopt"
)

// api holds what the handlers need.
type api struct {
	svc *gincache.Service
}

// Mount registers the admin routes of cache on r under the base path
// (DefaultBase unless WithBase) and returns their group, so that an
// application can add its own admin routes behind the same protection:
//
//	GET    {base}/              the dashboard page
//	GET    {base}/keys          ?pattern=&cursor=&count=
//	DELETE {base}/keys/*key
//	POST   {base}/clear         [?pattern=]
//	POST   {base}/invalidate    ?path=[&method=] or ?target=
//	GET    {base}/stats
//	GET    {base}/health
//
// Every route, the page included, runs the WithAuth handlers first or,
// without them, LoopbackOnly; UnsafeAllowRemoteWithoutAuth drops both
// and logs a warning. Mount registers nothing else and starts nothing.
//
// Mount the routes outside the cache middleware (before r.Use of it, or
// on a router it does not cover): behind it, the admin POST and DELETE
// requests would count as writes and renew tokens of their own paths.
//
// Mount returns every invalid option at once, and registers nothing then.
func Mount(r gin.IRouter, cache *gincache.Cache, opts ...Option) (*gin.RouterGroup, error) {
	cfg := config{base: DefaultBase}
	var errs []error
	if r == nil {
		errs = append(errs, errors.New("nil router"))
	}
	if cache == nil {
		errs = append(errs, errors.New("nil cache"))
	}
	for _, o := range opts {
		if o == nil {
			errs = append(errs, errors.New("nil Option"))
			continue
		}
		if err := o(&cfg); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.open && len(cfg.auth) > 0 {
		errs = append(errs, errors.New("UnsafeAllowRemoteWithoutAuth and WithAuth contradict each other; keep WithAuth"))
	}
	origins, err := crossOrigin(cfg.origins)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("admin: %w", errors.Join(errs...))
	}
	cfg.logger = logopt.OrDefault(cfg.logger)

	chain := []gin.HandlerFunc{commonHeaders, origins}
	switch {
	case len(cfg.auth) > 0:
		chain = append(chain, cfg.auth...)
	case !cfg.open:
		chain = append(chain, LoopbackOnly())
	}
	g := r.Group(cfg.base, chain...)
	if cfg.open {
		cfg.logger.Warn("admin: cache admin routes are served to every client WITHOUT authentication (UnsafeAllowRemoteWithoutAuth): anyone who reaches them can list keys and clear the cache",
			"base", g.BasePath())
	}
	a := &api{svc: cache.Service()}
	g.GET("/", dashboard)
	g.GET("/keys", a.listKeys)
	g.DELETE("/keys/*key", a.deleteKey)
	g.POST("/clear", a.clear)
	g.POST("/invalidate", a.invalidate)
	g.GET("/stats", a.stats)
	g.GET("/health", a.health)
	return g, nil
}

// serviceError answers an error of the Service: 400 naming param for bad
// input, 503 for a backend that failed.
func serviceError(c *gin.Context, param string, err error) {
	switch {
	case errors.Is(err, gincache.ErrBadKey), errors.Is(err, gincache.ErrBadPattern), errors.Is(err, gincache.ErrBadPath):
		fail(c, http.StatusBadRequest, param, "%s: %v", param, err)
	default:
		fail(c, http.StatusServiceUnavailable, "", "cache backend: %v", err)
	}
}
