package testutil

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recordingTB stands in for the test to observe Fatal and Skip: it records
// the message and ends the goroutine, as the real ones do.
type recordingTB struct {
	testing.TB
	fatal, skip string
}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recordingTB) Fatal(args ...any) {
	r.fatal = fmt.Sprint(args...)
	runtime.Goexit()
}

func (r *recordingTB) Skipf(format string, args ...any) {
	r.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// runRecorded runs fn on a goroutine of its own, which Fatal and Skip end.
func runRecorded(t *testing.T, fn func(tb testing.TB)) *recordingTB {
	r := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r
}

// withoutBinary makes the binary lookup fail for the rest of the test.
func withoutBinary(t *testing.T) {
	saved := lookPath
	lookPath = func() (string, error) {
		return "", errors.New(`exec: "redis-server": executable file not found in $PATH`)
	}
	t.Cleanup(func() { lookPath = saved })
}

func TestNoBinaryFallsBackToMiniredis(t *testing.T) {
	withoutBinary(t)
	t.Setenv(RequireEnv, "")
	var r *Redis
	rec := runRecorded(t, func(tb testing.TB) { r = StartRedis(tb) })
	require.Empty(t, rec.fatal, "StartRedis without a binary: fatal %q, skip %q; want a miniredis fallback", rec.fatal, rec.skip)
	require.Empty(t, rec.skip, "StartRedis without a binary: fatal %q, skip %q; want a miniredis fallback", rec.fatal, rec.skip)
	require.False(t, r.Real(), "Real() = true on the fallback")
	ctx := context.Background()
	require.NoError(t, r.Client().Set(ctx, "k", "v", 0).Err(), "SET on the fallback")
	got := r.Client().Get(ctx, "k").Val()
	require.Equal(t, "v", got, "GET on the fallback")
}

func TestNoBinarySkipsRealOnlyTests(t *testing.T) {
	withoutBinary(t)
	t.Setenv(RequireEnv, "")
	for name, start := range map[string]func(testing.TB){
		"StartRealRedis":   func(tb testing.TB) { StartRealRedis(tb) },
		"StartCluster":     func(tb testing.TB) { StartCluster(tb, 3) },
		"RealServerBinary": func(tb testing.TB) { RealServerBinary(tb, "harness test") },
	} {
		rec := runRecorded(t, start)
		assert.Empty(t, rec.fatal, "%s: failed (%q), want a skip", name, rec.fatal)
		assert.Contains(t, rec.skip, "redis-server not found", "%s: skip message %q should say the binary is missing and name %s", name, rec.skip, RequireEnv)
		assert.Contains(t, rec.skip, RequireEnv, "%s: skip message %q should say the binary is missing and name %s", name, rec.skip, RequireEnv)
	}
}

func TestNoBinaryFailsWhenRequired(t *testing.T) {
	withoutBinary(t)
	t.Setenv(RequireEnv, "1")
	for name, start := range map[string]func(testing.TB){
		"StartRedis":       func(tb testing.TB) { StartRedis(tb) },
		"StartRealRedis":   func(tb testing.TB) { StartRealRedis(tb) },
		"StartCluster":     func(tb testing.TB) { StartCluster(tb, 3) },
		"RealServerBinary": func(tb testing.TB) { RealServerBinary(tb, "harness test") },
	} {
		rec := runRecorded(t, start)
		assert.Empty(t, rec.skip, "%s: skipped (%q) although %s=1", name, rec.skip, RequireEnv)
		assert.Contains(t, rec.fatal, RequireEnv, "%s: fatal message %q, want a failure naming %s", name, rec.fatal, RequireEnv)
	}
}

func TestRequiredValues(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "false": false, "1": true, "true": true, "yes": true} {
		t.Setenv(RequireEnv, v)
		got := Required()
		assert.Equal(t, want, got, "%s=%q: Required()", RequireEnv, v)
	}
}
