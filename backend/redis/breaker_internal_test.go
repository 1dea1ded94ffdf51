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
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
		require.NoError(t, b.Allow(), "a closed breaker refused a call")
		b.ReportResult(err)
	}
	require.Equal(t, stateClosed, b.current(), "state %v after 2 consecutive failures, threshold 3", b.current())
	b.ReportResult(errRefused)
	require.Equal(t, stateOpen, b.current(), "state %v after 3 consecutive failures", b.current())
	err := b.Allow()
	require.ErrorIs(t, err, ErrBreakerOpen, "Allow on an open breaker")
	clock.Advance(999 * time.Millisecond)
	require.Error(t, b.Allow(), "Allow before the cooldown ended let a call through")
	clock.Advance(time.Millisecond)
	require.NoError(t, b.Allow(), "the probe after the cooldown was refused")
	require.Equal(t, stateHalfOpen, b.current(), "state %v while probing", b.current())
	for range maxProbes - 1 { // the handshake of the probe's connection, a spare
		require.NoError(t, b.Allow(), "a nested call of the probe was refused")
	}
	require.Error(t, b.Allow(), "more than %d calls went through while half-open", maxProbes)
	b.ReportResult(nil)
	require.Equal(t, stateClosed, b.current(), "state %v after a successful probe", b.current())
	want := []transition{{stateClosed, stateOpen}, {stateOpen, stateHalfOpen}, {stateHalfOpen, stateClosed}}
	require.Equal(t, fmt.Sprint(want), fmt.Sprint(*seen), "transitions %v", *seen)
}

func TestBreakerFailedProbeReopens(t *testing.T) {
	clock := testutil.NewClock()
	b, _ := newTestBreaker(clock)
	for range 3 {
		b.ReportResult(context.DeadlineExceeded)
	}
	clock.Advance(time.Second)
	require.NoError(t, b.Allow(), "probe refused")
	b.ReportResult(context.DeadlineExceeded)
	require.Equal(t, stateOpen, b.current(), "state %v after a failed probe", b.current())
	require.Error(t, b.Allow(), "a failed probe did not start a new cooldown")
	clock.Advance(time.Second)
	require.NoError(t, b.Allow(), "no probe after the second cooldown")
}

func TestBreakerAbandonedProbeLetsAnotherProbe(t *testing.T) {
	clock := testutil.NewClock()
	b, _ := newTestBreaker(clock)
	for range 3 {
		b.ReportResult(errRefused)
	}
	clock.Advance(time.Second)
	for range maxProbes {
		require.NoError(t, b.Allow(), "probe refused")
	}
	require.Error(t, b.Allow(), "too many probes")
	b.ReportResult(context.Canceled) // the caller hung up: says nothing of Redis
	require.Equal(t, stateHalfOpen, b.current(), "state %v after a canceled probe", b.current())
	require.NoError(t, b.Allow(), "no new probe after the first was abandoned")
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
		got := classify(tc.err)
		assert.Equal(t, tc.want, got, "classify(%v)", tc.err)
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
	require.Equal(t, backend.BreakerClosed, s.state(), "no nodes")
	a, b := s.get("a"), s.get("b")
	require.Same(t, a, s.get("a"), "a second get made a second breaker for one node")
	for range 3 {
		b.ReportResult(errRefused)
	}
	require.Equal(t, backend.BreakerOpen, s.state(), "one node open")
	clock.Advance(time.Second)
	_ = b.Allow()
	require.Equal(t, backend.BreakerHalfOpen, s.state(), "one node probing")
	b.ReportResult(nil)
	_ = a
	require.Equal(t, backend.BreakerClosed, s.state(), "all closed")
}
