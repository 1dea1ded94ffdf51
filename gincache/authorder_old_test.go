package gincache

import (
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
)

// usersAuth is the RealWorld example's auth middleware factory: small
// enough to be inlined, so each call site names its closure differently.
func usersAuth(required bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if u := c.GetHeader("Authorization"); u != "" {
			c.Set("user_id", u)
		} else if required {
			c.AbortWithStatus(401)
			return
		}
		c.Next()
	}
}

func TestOldAuthOrderFreshInlinedInstance(t *testing.T) {
	a := newTestApp(t, Table{{Method: "GET", Path: "/api/user", Policy: Policy{TTL: time.Hour, Vary: []string{"user_id"}}}}, WithAuthMiddleware(usersAuth(true)))
	realEngine(a)
	a.engine.GET("/api/user", usersAuth(false), a.cache.Middleware(), usersAuth(true), func(c *gin.Context) { c.String(200, "user %s", c.GetString("user_id")) })
	a.do("GET", "/api/user", "Authorization", "alice")
	r := a.do("GET", "/api/user", "Authorization", "alice")
	t.Log(a.cache.cfg.authNames, r.xcache(), r.header.Get("Cache-Status"))
	assert.Equal(t, "SKIP", r.xcache(), "a route with auth after the cache was cached")
}

