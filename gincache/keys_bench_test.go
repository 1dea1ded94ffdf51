package gincache

import (
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

// BenchmarkAppendKey isolates key building, the largest part of a hit's
// own work.
func BenchmarkAppendKey(b *testing.B) {
	c := newKeyCache(b)
	gc, _ := gin.CreateTestContext(httptest.NewRecorder())
	gc.Request = httptest.NewRequest("GET", benchTarget, nil)
	rs := c.newRouteState("GET", "/items/:id", &Policy{})
	var s scratch
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = c.appendKey(buf[:0], rs, gc, &s)
	}
}
