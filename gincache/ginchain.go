package gincache

import (
	"reflect"
	"unsafe"

	"github.com/gin-gonic/gin"
)

// The stale refresh and the middleware-order check need two things Gin
// keeps unexported: a request's handler chain and the position of the
// handler running. gin.Context.Copy drops the chain (a copy cannot call
// Next), and HandlerNames gives names only, which inlining makes
// unreliable. ginLayout finds the two fields (handlers HandlersChain,
// index int8) by name and type once, at start-up; if a Gin release
// changes them, ginLayout.ok is false and the cache degrades instead of
// guessing: stale entries are served without a background refresh (a
// miss refills them once their stale window ends), and the order check
// falls back to handler names. TestGinLayout fails on such a release.
var ginLayout = func() (l struct {
	ok              bool
	handlers, index uintptr
}) {
	t := reflect.TypeFor[gin.Context]()
	h, okH := t.FieldByName("handlers")
	i, okI := t.FieldByName("index")
	if okH && okI && h.Type == reflect.TypeFor[gin.HandlersChain]() && i.Type == reflect.TypeFor[int8]() {
		l.ok, l.handlers, l.index = true, h.Offset, i.Offset
	}
	return l
}()

// chainOf returns the handler chain of gc's route and the position of the
// handler running now; ok is false when Gin's layout is unknown.
func chainOf(gc *gin.Context) (chain gin.HandlersChain, at int8, ok bool) {
	if !ginLayout.ok {
		return nil, 0, false
	}
	p := unsafe.Pointer(gc)
	return *(*gin.HandlersChain)(unsafe.Add(p, ginLayout.handlers)), *(*int8)(unsafe.Add(p, ginLayout.index)), true
}

// resume runs the handlers of chain after position at on cp, a copy of
// a request's context, exactly as gc.Next() would have run them on the
// original: they see Next, Abort and IsAborted as usual, and the
// handlers before at (the middleware outside the cache) do not run again.
func resume(cp *gin.Context, chain gin.HandlersChain, at int8) {
	p := unsafe.Pointer(cp)
	*(*gin.HandlersChain)(unsafe.Add(p, ginLayout.handlers)) = chain
	*(*int8)(unsafe.Add(p, ginLayout.index)) = at
	cp.Next()
}
