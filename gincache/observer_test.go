package gincache

import (
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
)

type recordingObserver struct {
	mu    sync.Mutex
	calls []string
}

func (o *recordingObserver) ObserveBackend(op BackendOp, method, route string, d time.Duration, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e := ""
	if err != nil {
		e = " error"
	}
	o.calls = append(o.calls, string(op)+" "+method+" "+route+e)
}

func TestObserverHearsBackendCallsByRoutePattern(t *testing.T) {
	obs := &recordingObserver{}
	a := newTestApp(t, Table{get("/spaces/:id", time.Minute)}, WithObserver(obs))
	a.engine.Use(a.cache.Middleware())
	a.engine.GET("/spaces/:id", func(c *gin.Context) { c.String(200, "s") })
	a.engine.PUT("/spaces/:id", func(c *gin.Context) { c.String(200, "w") })
	a.do("GET", "/spaces/1")
	a.do("GET", "/spaces/1")
	a.do("PUT", "/spaces/2")
	want := []string{
		"lookup GET /spaces/:id", "store GET /spaces/:id", // the miss
		"lookup GET /spaces/:id", // the hit
		"invalidate PUT /spaces/:id",
	}
	require.Equal(t, want, obs.calls, "observed")
}
