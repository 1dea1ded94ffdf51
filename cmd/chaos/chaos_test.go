package main

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// shortConfig is a brief run on the test's own redis-server binary; the
// test is skipped without one, or fails under GINCACHE_REQUIRE_REDIS.
func shortConfig(t *testing.T, phases string, instances, clients int) config {
	t.Helper()
	bin := testutil.RealServerBinary(t, "the chaos harness test")
	cfg, err := parseFlags([]string{"-phases", phases, "-instances", strconv.Itoa(instances), "-clients", strconv.Itoa(clients),
		"-spaces", "4", "-max-items", "10", "-users", "5", "-seed", "1"}, io.Discard)
	require.NoError(t, err)
	cfg.redisServer = bin
	return cfg
}

// runReport runs cfg and fails the test if the harness itself fails.
func runReport(t *testing.T, cfg config) *report {
	t.Helper()
	rep, err := run(t.Context(), cfg, io.Discard)
	require.NoError(t, err, "harness error")
	var text bytes.Buffer
	require.NoError(t, rep.writeText(&text))
	t.Log("\n" + text.String())
	return rep
}

func violationsOf(rep *report, kind string) int64 {
	for _, c := range rep.Checks {
		if c.Kind == kind {
			return c.Violations
		}
	}
	return -1
}

// A short version of the full run with one instance, as the harness ran
// before it had several: every fault of the schedule, and every check at
// zero, having checked something.
func TestShortRunPasses(t *testing.T) {
	cfg := shortConfig(t, "up=1s,down=1s,back=1500ms,hung=1s,back=1500ms,up=1s", 1, 8)
	rep := runReport(t, cfg)
	for _, c := range rep.Checks {
		assert.Equal(t, int64(0), c.Violations, "%s: %d (%s)", c.Name, c.Violations, c.Checked)
	}
	require.True(t, rep.Passed, "passed %v, stopped %q, sweep %v; violations %+v", rep.Passed, rep.Stopped, rep.Sweep != nil, rep.Violations)
	require.Equal(t, stopSchedule, rep.Stopped, "passed %v, stopped %q, sweep %v; violations %+v", rep.Passed, rep.Stopped, rep.Sweep != nil, rep.Violations)
	require.NotNil(t, rep.Sweep, "passed %v, stopped %q, sweep %v; violations %+v", rep.Passed, rep.Stopped, rep.Sweep != nil, rep.Violations)
	wantActions := []string{"running", "killed (SIGKILL)", "restarted empty", "paused (SIGSTOP)", "resumed (SIGCONT)", "running"}
	require.Len(t, rep.Phases, len(wantActions), "%d phases reported", len(rep.Phases))
	for i, p := range rep.Phases {
		assert.Equal(t, wantActions[i], p.Redis, "phase %s: Red", p.Name)
	}
	// With Redis killed or frozen nothing can be read from it: every read
	// of those phases ran the handler.
	for _, i := range []int{1, 3} {
		p := rep.Phases[i]
		assert.NotZero(t, p.Reads, "phase %s: no read at all", p.Name)
		n := p.XCache["HIT"] + p.XCache["STALE"]
		assert.Equal(t, int64(0), n, "phase %s: %d hits with Redis %s", p.Name, n, p.Redis)
	}
	// The sweep compared entries the cache served, not only handler runs.
	assert.NotZero(t, rep.Sweep.XCache["HIT"], "the final sweep got no hit: %v", rep.Sweep.XCache)
	// The checks looked at something.
	c := &rep.Cache
	assert.NotZero(t, c.Hits, "cache counters %+v: the run exercised no hit, store or invalidation", c)
	assert.NotZero(t, c.Stores, "cache counters %+v: the run exercised no hit, store or invalidation", c)
	assert.NotZero(t, c.Invalidations, "cache counters %+v: the run exercised no hit, store or invalidation", c)
	for _, ch := range rep.Checks {
		assert.False(t, strings.HasPrefix(ch.Checked, "0 "), "%s: checked %s", ch.Name, ch.Checked)
	}
}

// The negative controls: an application broken on purpose fails the
// check that is meant to catch the breakage.

func TestWritesThatDoNotInvalidateAreCaught(t *testing.T) {
	cfg := shortConfig(t, "up=1500ms", 1, 4)
	cfg.patience = testutil.SocketTimeout // the sabotage shows only in hits
	cfg.sabotage.noInvalidate = true
	rep := runReport(t, cfg)
	require.False(t, rep.Passed, "passed with writes that invalidate nothing")
	// The final sweep reads every resource twice after the last write:
	// any written after it was cached shows its old version.
	require.NotZero(t, violationsOf(rep, vStale)+violationsOf(rep, vSweep), "no stale read found; checks %+v", rep.Checks)
}

func TestSharedPerUserEntriesAreCaught(t *testing.T) {
	cfg := shortConfig(t, "up=1500ms", 1, 4)
	cfg.patience = testutil.SocketTimeout // the sabotage shows only in hits
	cfg.sabotage.noVary = true
	rep := runReport(t, cfg)
	require.False(t, rep.Passed, "passed %v with users sharing one entry; checks %+v", rep.Passed, rep.Checks)
	require.NotZero(t, violationsOf(rep, vCrossUser), "passed %v with users sharing one entry; checks %+v", rep.Passed, rep.Checks)
}

func TestCorruptedHitsAreCaught(t *testing.T) {
	cfg := shortConfig(t, "up=1500ms", 1, 4)
	cfg.patience = testutil.SocketTimeout // the sabotage shows only in hits
	cfg.sabotage.corrupt = func(c *gin.Context) {
		c.Writer = &flipHitWriter{c.Writer}
		c.Next()
	}
	rep := runReport(t, cfg)
	require.False(t, rep.Passed, "passed %v with corrupted hits; checks %+v", rep.Passed, rep.Checks)
	require.NotZero(t, violationsOf(rep, vChecksum), "passed %v with corrupted hits; checks %+v", rep.Passed, rep.Checks)
}

// flipHitWriter damages one byte of every body the cache replays, as a
// corrupted entry would.
type flipHitWriter struct{ gin.ResponseWriter }

func (w *flipHitWriter) Write(b []byte) (int, error) {
	if w.Header().Get("X-Cache") == "HIT" && len(b) > 0 {
		b = bytes.Clone(b)
		b[len(b)/2] ^= 0x20
	}
	return w.ResponseWriter.Write(b)
}

func TestRunWithoutRedisServerSaysWhatToDo(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	cfg, err := parseFlags([]string{"-phases", "up=1s"}, io.Discard)
	require.NoError(t, err)
	rep, err := run(t.Context(), cfg, io.Discard)
	require.Nil(t, rep, "report %v, error %v; want an error saying how to get redis-server", rep, err)
	require.ErrorContains(t, err, "redis-server not found", "report %v, error %v; want an error saying how to get redis-server", rep, err)
	require.Contains(t, err.Error(), "-redis-server", "report %v, error %v; want an error saying how to get redis-server", rep, err)
}

// requireClean fails the test unless every check found nothing and the
// run passed.
func requireClean(t *testing.T, rep *report) {
	t.Helper()
	for _, c := range rep.Checks {
		assert.Zero(t, c.Violations, "%s (%s)", c.Name, c.Checked)
	}
	require.True(t, rep.Passed, "stopped %q; violations %+v", rep.Stopped, rep.Violations)
}

// Several instances: writes through one, reads through another right
// after the 2xx, through Redis frozen and resumed and through instance
// #2's own link stalled while the others keep theirs. No read may miss an
// acknowledged write, in any phase, and nothing may fail.
func TestShortMultiInstanceRunPasses(t *testing.T) {
	cfg := shortConfig(t, "up=1500ms,hung=1s,back=1500ms,partial=3s,up=1500ms", 3, 8)
	cfg.stall, cfg.stallGap = 700*time.Millisecond, 500*time.Millisecond
	rep := runReport(t, cfg)
	requireClean(t, rep)
	require.Len(t, rep.Phases, 5)
	assert.Contains(t, rep.Phases[3].Redis, "#2's link stalled")
	assert.NotContains(t, rep.Phases[3].Redis, "stalled 0 x", "the partial phase stalled nothing")
	for _, p := range rep.Phases {
		assert.Zero(t, p.StaleReads, "phase %s", p.Name)
		assert.Positive(t, p.FollowUps, "phase %s: no read through another instance after a write", p.Name)
	}
	assert.Len(t, rep.Instances, 3)
	assert.Positive(t, rep.Cache.Hits)
	assert.Positive(t, rep.Cache.Invalidations)
}

// The crash fault kills instance #2 while writes through it wait on their
// invalidation: their clients get no answer (counted as lost, not as
// violations), every other check stays at zero, and the report measures
// what the lost writes left behind.
func TestCrashFaultIsMeasuredNotBlamed(t *testing.T) {
	cfg := shortConfig(t, "up=1s,crash=3s,up=1500ms", 3, 8)
	rep := runReport(t, cfg)
	requireClean(t, rep)
	require.Len(t, rep.Phases, 3)
	assert.Contains(t, rep.Phases[1].Redis, "#2 crashed")
	var lost int64
	for _, p := range rep.Phases {
		lost += p.Lost
	}
	assert.Positive(t, lost, "no request was in flight on the crashed instance")
	require.NotNil(t, rep.Crash)
	assert.Positive(t, rep.Crash.SecondsOfCrash)
}
