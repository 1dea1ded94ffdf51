package main

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

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
	if err != nil {
		t.Fatal(err)
	}
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
			if w.Code != c.status || w.Body.String() != c.body {
				t.Errorf("%s %s: %d %q, want %d %q", c.method, c.path, w.Code, w.Body, c.status, c.body)
			}
			if got := w.Header().Get(headerChecksum); got != sha([]byte(c.body)) {
				t.Errorf("%s %s (X-Cache %q): checksum %q, want that of %q", c.method, c.path, w.Header().Get("X-Cache"), got, c.body)
			}
			if xc := w.Header().Get("X-Cache"); xc != want {
				t.Errorf("%s %s: X-Cache %q, want %q", c.method, c.path, xc, want)
			}
		}
	}
}
