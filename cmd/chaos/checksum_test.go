package main

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

func init() { gin.SetMode(gin.TestMode) }

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// The checksum goes out with every kind of response, and the cache
// stores it with the body, so a HIT carries the checksum of what the
// handler wrote.
func TestBodyChecksumTravelsWithTheBody(t *testing.T) {
	cache, err := gincache.New(gincache.Table{
		{Method: http.MethodGet, Path: "/json", Policy: gincache.Policy{TTL: time.Hour}},
		{Method: http.MethodGet, Path: "/chunks", Policy: gincache.Policy{TTL: time.Hour}},
	})
	require.NoError(t, err)
	defer cache.Close()
	r := gin.New()
	g := r.Group("/", cache.Middleware(), bodyChecksum)
	g.GET("/json", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"a": 1}) })
	g.GET("/chunks", func(c *gin.Context) {
		c.Status(http.StatusAccepted) // stored too: any 2xx but 206 is
		_, _ = c.Writer.WriteString("part one, ")
		_, _ = c.Writer.Write([]byte("part two"))
	})
	g.DELETE("/empty", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	g.GET("/denied", func(c *gin.Context) { c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"error": "no"}) })

	for _, c := range []struct {
		method, path string
		status       int
		body         string
		xcache       []string // per request
	}{
		{"GET", "/json", 200, `{"a":1}`, []string{"MISS", "HIT"}},
		{"GET", "/chunks", 202, "part one, part two", []string{"MISS", "HIT"}},
		{"DELETE", "/empty", 204, "", []string{"", ""}},
		{"GET", "/denied", 403, `{"error":"no"}`, []string{"", ""}},
	} {
		for _, want := range c.xcache {
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequest(c.method, c.path, nil))
			assert.Equal(t, c.status, w.Code, "%s %s: %d %q, want %d %q", c.method, c.path, w.Code, w.Body, c.status, c.body)
			assert.Equal(t, c.body, w.Body.String(), "%s %s: %d %q, want %d %q", c.method, c.path, w.Code, w.Body, c.status, c.body)
			got := w.Header().Get(headerChecksum)
			assert.Equal(t, sha([]byte(c.body)), got, "%s %s (X-Cache %q): checksum", c.method, c.path, w.Header().Get("X-Cache"))
			xc := w.Header().Get("X-Cache")
			assert.Equal(t, want, xc, "%s %s: X-Cache", c.method, c.path)
		}
	}
}
