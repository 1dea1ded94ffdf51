package redis

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/redis/go-redis/v9"
)

// ErrBreakerOpen is returned, without a network call, while the circuit
// breaker of the Redis node a call needs is open.
var ErrBreakerOpen = errors.New("backend: redis circuit breaker open, call skipped")

type breakerState int32

const (
	stateClosed breakerState = iota
	stateOpen
	stateHalfOpen
)

func (s breakerState) String() string {
	switch s {
	case stateOpen:
		return backend.BreakerOpen
	case stateHalfOpen:
		return backend.BreakerHalfOpen
	}
	return backend.BreakerClosed
}

// breaker is the circuit breaker of one Redis node. Closed, it lets calls
// through and counts consecutive failures; at the threshold it opens and
// refuses calls for the cooldown; then it lets a few probes through
// (half-open): the first success closes it, the first failure opens it
// again. A few, not one: go-redis runs a new connection's handshake
// (HELLO, CLIENT SETINFO) through the hooks too, nested inside the call
// that dials, so a single probe would refuse its own handshake.
//
// It has the shape of a redis.Limiter (Allow, ReportResult) and runs
// inside a redis.Hook on each node client, where the call's context shows
// whether it must bypass an open breaker (WithoutBreaker). The closed path
// is two atomic loads: it runs on every command.
type breaker struct {
	node      string
	threshold int32
	cooldown  time.Duration
	now       func() time.Time
	// onChange is told of every transition, outside the lock.
	onChange func(b *breaker, from, to breakerState)
	// onFailure is told of every failed call, for rate-limited logs.
	onFailure func(b *breaker, err error)

	state    atomic.Int32
	failures atomic.Int32

	mu       sync.Mutex
	openedAt time.Time
	probes   int // calls let through while half-open, not yet reported
}

// maxProbes bounds the calls in flight while half-open: the probe, the
// handshake of the connection it dials, and one spare.
const maxProbes = 3

func (b *breaker) current() breakerState { return breakerState(b.state.Load()) }

// Allow decides whether a call may go: nil lets it through, and the
// caller then reports its result.
func (b *breaker) Allow() error {
	if b.current() == stateClosed {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.current() {
	case stateOpen:
		if b.now().Sub(b.openedAt) < b.cooldown {
			return ErrBreakerOpen
		}
		b.setLocked(stateHalfOpen)
		b.probes = 1
		return nil
	case stateHalfOpen:
		if b.probes >= maxProbes {
			return ErrBreakerOpen
		}
		b.probes++
		return nil
	}
	return nil
}

// ReportResult counts the outcome of a call Allow let through.
func (b *breaker) ReportResult(err error) {
	switch classify(err) {
	case outcomeSuccess:
		if b.current() == stateClosed {
			if b.failures.Load() != 0 {
				b.failures.Store(0)
			}
			return
		}
		b.mu.Lock()
		if b.current() == stateHalfOpen {
			b.failures.Store(0)
			b.setLocked(stateClosed)
		}
		b.mu.Unlock()
	case outcomeFailure:
		if b.onFailure != nil {
			b.onFailure(b, err)
		}
		if b.current() == stateClosed && b.failures.Add(1) < b.threshold {
			return
		}
		b.mu.Lock()
		if s := b.current(); s == stateClosed || s == stateHalfOpen {
			b.failures.Store(0)
			b.openedAt = b.now()
			b.setLocked(stateOpen)
		}
		b.mu.Unlock()
	case outcomeNeutral:
		if b.current() == stateHalfOpen {
			// A probe given up by its caller: let another call probe.
			b.mu.Lock()
			if b.current() == stateHalfOpen && b.probes > 0 {
				b.probes--
			}
			b.mu.Unlock()
		}
	}
}

// setLocked changes the state, with b.mu held, and tells onChange, which
// must not call back into the breaker.
func (b *breaker) setLocked(to breakerState) {
	from := b.current()
	if from == to {
		return
	}
	b.state.Store(int32(to))
	if b.onChange != nil {
		b.onChange(b, from, to)
	}
}

type outcome int

// nodeCannotServe are the error replies by which a node says it cannot
// serve anything now (loading, no master, no quorum, busy script, full,
// refusing our credentials): they count as failures.
var nodeCannotServe = []string{
	"LOADING", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "BUSY ", "READONLY",
	"NOAUTH", "WRONGPASS", "ERR max number of clients",
}

const (
	outcomeSuccess outcome = iota
	outcomeFailure
	outcomeNeutral
)

// classify tells a failure of the node (it did not answer, or answered
// that it cannot serve) from a success (any answer, redis.Nil and error
// replies included) and from a call its caller gave up on (neutral).
func classify(err error) outcome {
	if err == nil || errors.Is(err, redis.Nil) {
		return outcomeSuccess
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, ErrBreakerOpen) {
		return outcomeNeutral
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		var ne net.Error
		if errors.As(err, &ne) {
			return outcomeFailure
		}
		msg := rerr.Error()
		for _, cannot := range nodeCannotServe {
			if strings.HasPrefix(msg, cannot) {
				return outcomeFailure
			}
		}
		return outcomeSuccess
	}
	return outcomeFailure
}

// breakerHook is the breaker as a redis.Hook, installed on every client and
// node client the backend uses. It also tells the run_id watcher of every
// new connection. Once the backend is closed it lets everything through:
// it stays installed on a client that outlives the backend. A call marked
// WithoutBreaker goes through whatever the state; while the breaker is
// closed it counts as any call (the context is looked at only when the
// breaker is not closed: the closed path stays two atomic loads), and
// while it is open or half-open its outcome is not reported, so that it
// neither extends the cooldown nor takes a probe's place.
type breakerHook struct {
	b      *breaker
	r      *Redis
	dialed func()
}

var _ redis.Hook = breakerHook{}

func (h breakerHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err == nil && h.dialed != nil {
			h.dialed()
		}
		return c, err
	}
}

func (h breakerHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.b == nil || h.r.closed.Load() {
			return next(ctx, cmd)
		}
		if h.b.current() != stateClosed && backend.BreakerBypassed(ctx) {
			return next(ctx, cmd) // past the breaker, which it leaves alone
		}
		if err := h.b.Allow(); err != nil {
			cmd.SetErr(err)
			return err
		}
		err := next(ctx, cmd)
		h.b.ReportResult(err)
		return err
	}
}

func (h breakerHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if h.b == nil || h.r.closed.Load() {
			return next(ctx, cmds)
		}
		if h.b.current() != stateClosed && backend.BreakerBypassed(ctx) {
			return next(ctx, cmds) // past the breaker, which it leaves alone
		}
		if err := h.b.Allow(); err != nil {
			for _, cmd := range cmds {
				cmd.SetErr(err)
			}
			return err
		}
		err := next(ctx, cmds)
		h.b.ReportResult(err)
		return err
	}
}

// breakers holds one breaker per node address, kept across the node
// clients a cluster client makes and remakes for an address.
type breakers struct {
	mu    sync.Mutex
	nodes map[string]*breaker
	make  func(node string) *breaker
}

func (s *breakers) get(node string) *breaker {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.nodes[node]
	if b == nil {
		b = s.make(node)
		s.nodes[node] = b
	}
	return b
}

// state is the worst state among the nodes: one open node means some
// calls are being skipped.
func (s *breakers) state() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	worst := stateClosed
	for _, b := range s.nodes {
		switch st := b.current(); {
		case st == stateOpen:
			return backend.BreakerOpen
		case st == stateHalfOpen:
			worst = st
		}
	}
	return worst.String()
}
