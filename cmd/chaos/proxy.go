package main

import (
	"errors"
	"io"
	"net"
	"sync"
)

// proxy is a TCP proxy on loopback in front of Redis, for one instance:
// the partial fault. stall freezes it in both directions with every
// connection kept open, as a network path that stops delivering would:
// what the instance sends waits in the proxy (and the kernel's buffers),
// nothing comes back, and new connections are accepted but get no answer.
// resume lets everything through again, what was held first, in order:
// requests an instance gave up on still reach Redis then, as they would
// over a real network. sever drops every connection and what it held, for
// an instance that dies while its link is frozen.
type proxy struct {
	l        net.Listener
	upstream string

	mu      sync.Mutex
	flowing chan struct{} // closed while traffic flows; a new open one while stalled
	conns   map[net.Conn]bool
	severed bool
	wg      sync.WaitGroup
}

// newProxy listens on a free loopback port and forwards to upstream.
func newProxy(upstream string) (*proxy, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{l: l, upstream: upstream, flowing: make(chan struct{}), conns: map[net.Conn]bool{}}
	close(p.flowing)
	p.wg.Go(p.accept)
	return p, nil
}

// Addr is where the instance connects.
func (p *proxy) Addr() string { return p.l.Addr().String() }

// gate returns a channel that is closed while traffic may flow.
func (p *proxy) gate() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.flowing
}

// stall freezes every connection, both ways. Idempotent.
func (p *proxy) stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.flowing:
		p.flowing = make(chan struct{})
	default: // already stalled
	}
}

// resume lets traffic flow again. Idempotent.
func (p *proxy) resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.flowing:
	default:
		close(p.flowing)
	}
}

// stalled reports whether the proxy is stalled.
func (p *proxy) stalled() bool {
	select {
	case <-p.gate():
		return false
	default:
		return true
	}
}

// sever closes the listener and every connection, dropping what the
// proxy holds, and waits for its goroutines.
func (p *proxy) sever() {
	p.mu.Lock()
	if p.severed {
		p.mu.Unlock()
		return
	}
	p.severed = true
	_ = p.l.Close()
	for c := range p.conns {
		_ = c.Close()
	}
	select {
	case <-p.flowing:
	default:
		close(p.flowing) // wake the pumps, which find their connections closed
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// track registers a connection, or closes it if the proxy is severed.
func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.severed {
		_ = c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
		_ = c.Close()
	}
}

func (p *proxy) accept() {
	for {
		down, err := p.l.Accept()
		if err != nil {
			return // closed by sever
		}
		if !p.track(down) {
			return
		}
		p.wg.Go(func() { p.serve(down) })
	}
}

// serve connects one accepted connection to Redis and pumps both ways.
// While stalled, the dial waits too: a new connection gets no answer.
func (p *proxy) serve(down net.Conn) {
	<-p.gate()
	up, err := net.Dial("tcp", p.upstream)
	if err != nil || !p.track(up) {
		// Redis is down: the instance sees its connection closed.
		p.untrack(down)
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { p.pump(up, down) })
	wg.Go(func() { p.pump(down, up) })
	wg.Wait()
	p.untrack(down, up)
}

// pump copies src to dst, holding each chunk while the proxy is stalled.
// At src's end it half-closes dst, so that Redis still answers what it
// received before the instance hung up, as it would over TCP.
func (p *proxy) pump(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		<-p.gate()
		n, err := src.Read(buf)
		if n > 0 {
			<-p.gate()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				_ = src.Close()
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				if tc, ok := dst.(*net.TCPConn); ok {
					_ = tc.CloseWrite()
					return
				}
			}
			_ = dst.Close()
			return
		}
	}
}
