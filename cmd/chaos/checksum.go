package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/gin-gonic/gin"
)

// headerChecksum carries the SHA-256 of the body the handler wrote.
const headerChecksum = "X-Body-SHA256"

// bodyChecksum runs between the cache and the handlers: it buffers what
// the handler writes and sends it on with its SHA-256 in a header. On a
// miss the cache captures that header with the body, so a hit replays
// both, and the client can tell any body the cache mangled (truncated,
// mixed with another, corrupted in Redis) from the one the handler wrote.
func bodyChecksum(c *gin.Context) {
	w := &checksumWriter{ResponseWriter: c.Writer, status: http.StatusOK}
	c.Writer = w
	defer func() { c.Writer = w.ResponseWriter }()
	c.Next()
	sum := sha256.Sum256(w.body.Bytes())
	out := w.ResponseWriter
	out.Header().Set(headerChecksum, hex.EncodeToString(sum[:]))
	out.WriteHeader(w.status)
	if w.body.Len() > 0 {
		_, _ = out.Write(w.body.Bytes())
	} else {
		out.WriteHeaderNow()
	}
}

// checksumWriter holds back the status and the body until the handler
// is done, so that the checksum header can go before them.
type checksumWriter struct {
	gin.ResponseWriter
	status  int
	body    bytes.Buffer
	written bool
}

func (w *checksumWriter) WriteHeader(code int) {
	if !w.written {
		w.status = code
	}
}

func (w *checksumWriter) WriteHeaderNow() { w.written = true }

func (w *checksumWriter) Write(b []byte) (int, error) {
	w.written = true
	return w.body.Write(b)
}

func (w *checksumWriter) WriteString(s string) (int, error) {
	w.written = true
	return w.body.WriteString(s)
}

func (w *checksumWriter) Status() int { return w.status }

func (w *checksumWriter) Size() int {
	if !w.written {
		return -1
	}
	return w.body.Len()
}

func (w *checksumWriter) Written() bool { return w.written }

// Flush is a no-op: the body goes out whole, after the handler.
func (w *checksumWriter) Flush() {}
