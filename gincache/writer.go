package gincache

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"sync"
	"unsafe"

	"github.com/gin-gonic/gin"
)

// captureWriter buffers a miss's response so the cache can decide, once
// the handler is done, whether to store it and what X-Cache says, before
// anything reaches the client. It writes through (and stores nothing) as
// soon as the response cannot be stored whole: a Content-Length or a body
// over the size cap, the in-flight cap reached, a Flush (streaming) or a
// Hijack. The handler sets headers on the real header map; nothing is
// sent until finish or the switch to writing through.
type captureWriter struct {
	gin.ResponseWriter // the writer underneath

	c      *Cache
	status int
	// statusSet: the chain chose the status (c.Status, WriteHeader), even
	// if it wrote nothing else.
	statusSet bool
	size      int // -1 until something is written, as in gin
	// errs is how many errors gin.Context.Errors held when the chain
	// started: more after it means the chain reported a failure.
	errs int
	buf  []byte
	// reserved counts the bytes of buf charged to the in-flight cap.
	reserved int64

	through  bool       // writing through: the response is not stored
	reason   skipReason // why, when through
	hijacked bool
}

// written reports whether the chain produced a response: wrote, committed
// its headers, or chose a status. An unwritten response is what Gin sends
// by itself after the chain (an empty 200), or what an error middleware
// outside the cache writes once the chain has returned.
func (w *captureWriter) written() bool { return w.size >= 0 || w.statusSet }

var (
	_ gin.ResponseWriter = (*captureWriter)(nil)
	_ gin.ResponseWriter = (*writeHook)(nil)
)

var capturePool = sync.Pool{New: func() any { return new(captureWriter) }}

func (c *Cache) newCaptureWriter(w gin.ResponseWriter) *captureWriter {
	cw := capturePool.Get().(*captureWriter)
	*cw = captureWriter{ResponseWriter: w, c: c, status: http.StatusOK, size: -1}
	return cw
}

// release gives back the in-flight reservation and returns the writer to
// its pool.
func (w *captureWriter) release() {
	w.dropBuffer()
	*w = captureWriter{}
	capturePool.Put(w)
}

// dropBuffer forgets the buffer and gives back its reservation. The
// buffer is not pooled: a stored response keeps it as its body.
func (w *captureWriter) dropBuffer() {
	if w.reserved != 0 {
		w.c.inflight.Add(-w.reserved)
		w.reserved = 0
	}
	w.buf = nil
}

func (w *captureWriter) body() []byte { return w.buf }

// takeBody hands the captured body over to an entry: the buffer itself
// when it wastes little (a handler that writes once, as c.JSON and c.Data
// do, fills a buffer of exactly its size), a right-sized copy otherwise.
func (w *captureWriter) takeBody() []byte {
	b := w.buf
	w.dropBuffer()
	if cap(b)-len(b) > len(b)/8 {
		return append(make([]byte, 0, len(b)), b...)
	}
	return b[:len(b):len(b)]
}

// WriteHeader records the status; it is sent later.
func (w *captureWriter) WriteHeader(code int) {
	if w.through {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	if code > 0 && w.size == -1 {
		w.status, w.statusSet = code, true
	}
}

// WriteHeaderNow marks the headers as written (Written reports true); they
// are still held until the cache decides.
func (w *captureWriter) WriteHeaderNow() {
	if w.through {
		w.ResponseWriter.WriteHeaderNow()
		return
	}
	if w.size == -1 {
		w.size = 0
		w.checkDeclaredLength()
	}
}

// checkDeclaredLength switches to writing through at once when the
// handler declared a Content-Length over the cap.
func (w *captureWriter) checkDeclaredLength() {
	// Indexed by the canonical name, as Header.Get (and net/http) would
	// look it up, without canonicalising a constant on every miss.
	if cl := w.Header()["Content-Length"]; len(cl) > 0 && cl[0] != "" {
		if n, err := strconv.ParseInt(cl[0], 10, 64); err == nil && n > w.c.cfg.maxResponseSize {
			w.writeThrough(skipTooLarge)
		}
	}
}

func (w *captureWriter) Write(p []byte) (int, error) {
	w.WriteHeaderNow()
	if w.through {
		n, err := w.ResponseWriter.Write(p)
		w.size += n
		return n, err
	}
	if int64(len(w.body())+len(p)) > w.c.cfg.maxResponseSize {
		w.writeThrough(skipTooLarge)
		n, err := w.ResponseWriter.Write(p)
		w.size += n
		return n, err
	}
	if !w.grow(p) {
		w.writeThrough(skipInflight)
		n, err := w.ResponseWriter.Write(p)
		w.size += n
		return n, err
	}
	w.size += len(p)
	return len(p), nil
}

func (w *captureWriter) WriteString(s string) (int, error) {
	w.WriteHeaderNow()
	if w.through {
		n, err := w.ResponseWriter.WriteString(s)
		w.size += n
		return n, err
	}
	// A read-only view of s, not a conversion: Write only reads p (it
	// copies it into the buffer or hands it to the underlying writer,
	// which io.Writer forbids to modify it), and []byte(s) would be a
	// heap copy of s, since p escapes to the underlying writer.
	return w.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// grow appends p to the buffer, reserving from the in-flight cap every
// byte of capacity before it is allocated; false when the reservation
// would pass the cap (nothing is appended then). The buffer is grown here,
// not by append, so that its capacity is exactly what was reserved: a
// first write gets a buffer of its own size (c.JSON and c.Data write
// once), later ones double it, up to the size cap.
func (w *captureWriter) grow(p []byte) bool {
	need := len(w.buf) + len(p)
	if need > cap(w.buf) {
		size := need
		if len(w.buf) > 0 {
			size = int(min(max(int64(need), 2*int64(cap(w.buf))), w.c.cfg.maxResponseSize))
		}
		if !w.c.reserve(int64(size) - w.reserved) {
			return false
		}
		w.reserved = int64(size)
		if len(w.buf) == 0 {
			// make then copy of the whole, into a local: the compiler
			// makes the pair one runtime.makeslicecopy, which zeroes
			// nothing. Made straight into w.buf, the pair is a makeslice
			// that zeroes the whole buffer first, then a copy over it
			// (go build -gcflags=-S shows which).
			buf := make([]byte, len(p))
			copy(buf, p)
			w.buf = buf
			return true
		}
		grown := make([]byte, size)
		copy(grown, w.buf)
		w.buf = grown[:len(w.buf)]
	}
	w.buf = append(w.buf, p...)
	return true
}

// reserve charges n bytes to the in-flight cap, atomically, and reports
// false, charging nothing, when that would pass the cap: concurrent
// reservations never add up to more than the cap.
func (c *Cache) reserve(n int64) bool {
	for {
		cur := c.inflight.Load()
		if cur+n > c.cfg.maxInflight {
			return false
		}
		if c.inflight.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

// writeThrough stops buffering: it sends the headers (marked SKIP with the
// reason), the status and what was buffered, and passes everything after
// that straight on. Nothing will be stored.
func (w *captureWriter) writeThrough(reason skipReason) {
	if w.through {
		return
	}
	w.through, w.reason = true, reason
	h := w.ResponseWriter.Header()
	h[HeaderXCache] = w.c.hdr.skip
	h[HeaderCacheStatus] = w.c.hdr.statusSkip[reason]
	w.ResponseWriter.WriteHeader(w.status)
	if w.size >= 0 {
		w.ResponseWriter.WriteHeaderNow()
	}
	if b := w.body(); len(b) > 0 {
		// An error here is the client's connection failing; the handler
		// sees the next one.
		_, _ = w.ResponseWriter.Write(b)
	}
	w.dropBuffer()
}

func (w *captureWriter) Status() int {
	if w.through {
		return w.ResponseWriter.Status()
	}
	return w.status
}

func (w *captureWriter) Size() int {
	if w.through {
		return w.ResponseWriter.Size()
	}
	return w.size
}

func (w *captureWriter) Written() bool {
	if w.through {
		return w.ResponseWriter.Written()
	}
	return w.size != -1
}

// Flush means the handler streams: a streamed response is never stored.
func (w *captureWriter) Flush() {
	w.writeThrough(skipStreamed)
	w.ResponseWriter.Flush()
}

// Hijack hands the connection to the handler; nothing is stored.
func (w *captureWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.hijacked = true
	w.through, w.reason = true, skipStreamed
	w.dropBuffer()
	return w.ResponseWriter.Hijack()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// writeHook runs a write's invalidation when its status is committed,
// before the first byte of the response can reach the client: at the
// first Write, WriteHeaderNow, Flush or Hijack, or after the handler
// returns when it wrote nothing (Gin sends the headers of such responses
// itself, after every middleware has returned).
type writeHook struct {
	gin.ResponseWriter
	c         *Cache
	gc        *gin.Context
	rs        *routeState
	committed bool
}

func (w *writeHook) commit() {
	if w.committed {
		return
	}
	w.committed = true
	if s := w.ResponseWriter.Status(); s >= 200 && s < 400 {
		w.c.invalidateWrite(w.gc, w.rs)
	}
}

func (w *writeHook) WriteHeaderNow() {
	w.commit()
	w.ResponseWriter.WriteHeaderNow()
}

func (w *writeHook) Write(p []byte) (int, error) {
	w.commit()
	return w.ResponseWriter.Write(p)
}

func (w *writeHook) WriteString(s string) (int, error) {
	w.commit()
	return w.ResponseWriter.WriteString(s)
}

func (w *writeHook) Flush() {
	w.commit()
	w.ResponseWriter.Flush()
}

func (w *writeHook) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.commit()
	return w.ResponseWriter.Hijack()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *writeHook) Unwrap() http.ResponseWriter { return w.ResponseWriter }
