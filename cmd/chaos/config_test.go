package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/backend/near"
)

func TestFlagDefaults(t *testing.T) {
	cfg, err := parseFlags(nil, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, defaultClients, cfg.clients, "defaults: %+v", cfg)
	assert.Equal(t, defaultWrites, cfg.writes, "defaults: %+v", cfg)
	assert.Equal(t, int64(defaultMaxRequests), cfg.maxRequests, "defaults: %+v", cfg)
	assert.Equal(t, 3, cfg.instances, "defaults: %d instances, stalls of %v", cfg.instances, cfg.stall)
	assert.Equal(t, 2*time.Second, cfg.stall, "defaults: %d instances, stalls of %v", cfg.instances, cfg.stall)
	got := phasesString(cfg.phases)
	assert.Equal(t, "up=17.142s,down=17.142s,back=17.142s,hung=17.142s,back=17.142s,partial=17.142s,up=17.142s", got, "default schedule")
	one, err := parseFlags([]string{"-instances", "1"}, &bytes.Buffer{})
	require.NoError(t, err)
	got = phasesString(one.phases)
	assert.Equal(t, "up=20s,down=20s,back=20s,hung=20s,back=20s,up=20s", got, "default schedule of one instance")
}

func TestFlagDurationSplitsOverTheCycle(t *testing.T) {
	cfg, err := parseFlags([]string{"-duration", "12s", "-clients", "3", "-instances", "1"}, &bytes.Buffer{})
	require.NoError(t, err)
	got := phasesString(cfg.phases)
	assert.Equal(t, "up=2s,down=2s,back=2s,hung=2s,back=2s,up=2s", got, "schedule %s (%v)", got, cfg.total())
	assert.Equal(t, 12*time.Second, cfg.total(), "schedule %s (%v)", got, cfg.total())
}

func TestFlagPhases(t *testing.T) {
	cfg, err := parseFlags([]string{"-phases", "up=1s, hung=500ms,down=2s,back=1m"}, &bytes.Buffer{})
	require.NoError(t, err)
	got := phasesString(cfg.phases)
	assert.Equal(t, "up=1s,hung=500ms,down=2s,back=1m0s", got, "schedule")
}

func TestFlagErrorsAreAllReported(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"-duration", "10s", "-phases", "up=1s"}, []string{"-duration and -phases"}},
		{[]string{"-phases", "up=1s,sideways=2s"}, []string{`unknown phase "sideways"`}},
		{[]string{"-phases", "up"}, []string{"want name=duration"}},
		{[]string{"-phases", "up=soon"}, []string{`"up=soon"`}},
		{[]string{"-phases", "up=10ms"}, []string{"at least 100ms"}},
		{[]string{"-clients", "0", "-writes", "1.5", "-users", "1", "-max-requests", "0", "-timeout", "0s"},
			[]string{"-clients 0", "-writes 1.5", "-users 1", "-max-requests 0", "-timeout 0s"}},
		{[]string{"-writes", "NaN"}, []string{"-writes NaN"}},
		{[]string{"extra"}, []string{"unexpected arguments"}},
		{[]string{"-instances", "0", "-stall", "1ms"}, []string{"-instances 0", "-stall 1ms"}},
		{[]string{"-instances", "1", "-phases", "up=1s,partial=5s"}, []string{"phase 2 (partial)", "-instances 2 or more"}},
		{[]string{"-instances", "1", "-phases", "crash=5s"}, []string{"phase 1 (crash) kills instance #2", "-instances 2 or more"}},
		{[]string{"-phases", "crash=1s"}, []string{"phase 1 (crash) lasts 1s: want at least 2s"}},
	} {
		_, err := parseFlags(c.args, &bytes.Buffer{})
		if !assert.Error(t, err, "%q: accepted", c.args) {
			continue
		}
		for _, w := range c.want {
			assert.Contains(t, err.Error(), w, "%q: error %q does not say %q", c.args, err, w)
		}
	}
}

func TestMainExitCodes(t *testing.T) {
	var out, errs bytes.Buffer
	code := mainExit([]string{"-h"}, &out, &errs)
	assert.Equal(t, exitPass, code, "-h: exit %d, usage %q", code, errs.String())
	assert.Contains(t, errs.String(), "-phases", "-h: exit %d, usage %q", code, errs.String())
	errs.Reset()
	code = mainExit([]string{"-clients", "-1"}, &out, &errs)
	assert.Equal(t, exitUsage, code, "bad flag: exit %d, %q", code, errs.String())
	assert.Contains(t, errs.String(), "-clients -1", "bad flag: exit %d, %q", code, errs.String())
	assert.Equal(t, 0, out.Len(), "a usage error printed a report: %q", out.String())
}

func TestFlagNear(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want time.Duration
	}{
		{nil, 0},
		{[]string{"-near"}, near.DefaultDelta},
		{[]string{"-near", "-near-delta", "20ms"}, 20 * time.Millisecond},
		{[]string{"-near-delta", "20ms"}, 0},
	} {
		cfg, err := parseFlags(tc.args, &bytes.Buffer{})
		require.NoError(t, err, "%q", tc.args)
		assert.Equal(t, tc.want, cfg.nearLease(), "%q", tc.args)
	}
}
