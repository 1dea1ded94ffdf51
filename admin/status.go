package admin

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// healthTimeout bounds the backend ping of GET /health, so that a hung
// backend answers 503 instead of hanging the probe.
const healthTimeout = 2 * time.Second

// stats serves GET /stats: gincache.Stats as JSON.
func (a *api) stats(c *gin.Context) {
	if _, ok := params(c); !ok {
		return
	}
	respond(c, http.StatusOK, a.svc.Stats())
}

// health serves GET /health: gincache.Health as JSON, 200 when the
// backend answers and 503 when it does not (the application itself
// keeps serving, uncached).
func (a *api) health(c *gin.Context) {
	if _, ok := params(c); !ok {
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), healthTimeout)
	defer cancel()
	h := a.svc.Health(ctx)
	status := http.StatusOK
	if !h.OK {
		status = http.StatusServiceUnavailable
	}
	respond(c, status, h)
}
