package redis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

type transition struct{ from, to breakerState }

func newTestBreaker(clock *testutil.Clock) (*breaker, *[]transition) {
	var seen []transition
	b := &breaker{
		node:      "n",
		threshold: 3,
		cooldown:  time.Second,
		now:       clock.Now,
		onChange:  func(_ *breaker, from, to breakerState) { seen = append(seen, transition{from, to}) },
	}
	return b, &seen
}

var errRefused = &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}

func TestBreakerOpensAfterConsecutiveFailures(t *testing.T) {
	clock := testutil.NewClock()
	b, seen := newTestBreaker(clock)
	// A success in between starts the count again.
	for _, err := range []error{errRefused, errRefused, nil, errRefused, errRefused} {
		if b.Allow() != nil {
			t.Fatal("a closed breaker refused a call")
		}
		b.ReportResult(err)
	}
	if b.current() != stateClosed {
		t.Fatalf("state %v after 2 consecutive failures, threshold 3", b.current())
	}
	b.ReportResult(errRefused)
	if b.current() != stateOpen {
		t.Fatalf("state %v after 3 consecutive failures, want open", b.current())
	}
	if err := b.Allow(); !errors.Is(err, ErrBreakerOpen) {
		t.Fatalf("Allow on an open breaker = %v, want ErrBreakerOpen", err)
	}
	clock.Advance(999 * time.Millisecond)
	if b.Allow() == nil {
		t.Fatal("Allow before the cooldown ended let a call through")
	}
	clock.Advance(time.Millisecond)
	if b.Allow() != nil {
		t.Fatal("the probe after the cooldown was refused")
	}
	if b.current() != stateHalfOpen {
		t.Fatalf("state %v while probing, want half-open", b.current())
	}
	for range maxProbes - 1 { // the handshake of the probe's connection, a spare
		if b.Allow() != nil {
			t.Fatal("a nested call of the probe was refused")
		}
	}
	if b.Allow() == nil {
		t.Fatalf("more than %d calls went through while half-open", maxProbes)
	}
	b.ReportResult(nil)
	if b.current() != stateClosed {
		t.Fatalf("state %v after a successful probe, want closed", b.current())
	}
	want := []transition{{stateClosed, stateOpen}, {stateOpen, stateHalfOpen}, {stateHalfOpen, stateClosed}}
	if fmt.Sprint(*seen) != fmt.Sprint(want) {
		t.Fatalf("transitions %v, want %v", *seen, want)
	}
}

func TestBreakerFailedProbeReopens(t *testing.T) {
	clock := testutil.NewClock()
	b, _ := newTestBreaker(clock)
	for range 3 {
		b.ReportResult(context.DeadlineExceeded)
	}
	clock.Advance(time.Second)
	if b.Allow() != nil {
		t.Fatal("probe refused")
	}
	b.ReportResult(context.DeadlineExceeded)
	if b.current() != stateOpen {
		t.Fatalf("state %v after a failed probe, want open", b.current())
	}
	if b.Allow() == nil {
		t.Fatal("a failed probe did not start a new cooldown")
	}
	clock.Advance(time.Second)
	if b.Allow() != nil {
		t.Fatal("no probe after the second cooldown")
	}
}

func TestBreakerAbandonedProbeLetsAnotherProbe(t *testing.T) {
	clock := testutil.NewClock()
	b, _ := newTestBreaker(clock)
	for range 3 {
		b.ReportResult(errRefused)
	}
	clock.Advance(time.Second)
	for range maxProbes {
		if b.Allow() != nil {
			t.Fatal("probe refused")
		}
	}
	if b.Allow() == nil {
		t.Fatal("too many probes")
	}
	b.ReportResult(context.Canceled) // the caller hung up: says nothing of Redis
	if b.current() != stateHalfOpen {
		t.Fatalf("state %v after a canceled probe, want half-open", b.current())
	}
	if b.Allow() != nil {
		t.Fatal("no new probe after the first was abandoned")
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want outcome
	}{
		{nil, outcomeSuccess},
		{redis.Nil, outcomeSuccess},
		{fmt.Errorf("wrapped: %w", redis.Nil), outcomeSuccess},
		{redis.ErrClosed, outcomeFailure},
		{errRefused, outcomeFailure},
		{context.DeadlineExceeded, outcomeFailure},
		{io.EOF, outcomeFailure},
		{context.Canceled, outcomeNeutral},
		{ErrBreakerOpen, outcomeNeutral},
		{redisError("WRONGTYPE Operation against a key holding the wrong kind of value"), outcomeSuccess},
		{redisError("ERR syntax error"), outcomeSuccess},
		{redisError("LOADING Redis is loading the dataset in memory"), outcomeFailure},
		{redisError("MASTERDOWN Link with MASTER is down"), outcomeFailure},
		{redisError("CLUSTERDOWN The cluster is down"), outcomeFailure},
		{redisError("READONLY You can't write against a read only replica."), outcomeFailure},
		{redisError("NOAUTH Authentication required."), outcomeFailure},
		{redisError("ERR max number of clients reached"), outcomeFailure},
	} {
		if got := classify(tc.err); got != tc.want {
			t.Errorf("classify(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// redisError is an error reply, as go-redis reports one.
type redisError string

func (e redisError) Error() string { return string(e) }
func (redisError) RedisError()     {}

func TestBreakersReportTheWorstNode(t *testing.T) {
	clock := testutil.NewClock()
	s := &breakers{nodes: map[string]*breaker{}, make: func(node string) *breaker {
		b, _ := newTestBreaker(clock)
		b.node = node
		return b
	}}
	if s.state() != backend.BreakerClosed {
		t.Fatalf("no nodes: %s", s.state())
	}
	a, b := s.get("a"), s.get("b")
	if s.get("a") != a {
		t.Fatal("a second get made a second breaker for one node")
	}
	for range 3 {
		b.ReportResult(errRefused)
	}
	if s.state() != backend.BreakerOpen {
		t.Fatalf("one node open: %s, want open", s.state())
	}
	clock.Advance(time.Second)
	_ = b.Allow()
	if s.state() != backend.BreakerHalfOpen {
		t.Fatalf("one node probing: %s, want half-open", s.state())
	}
	b.ReportResult(nil)
	_ = a
	if s.state() != backend.BreakerClosed {
		t.Fatalf("all closed: %s", s.state())
	}
}
