package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// report is the outcome of a run; its JSON form is what -json prints.
type report struct {
	Passed       bool          `json:"passed"`
	Stopped      string        `json:"stopped"`
	HarnessError string        `json:"harness_error,omitempty"`
	Redis        string        `json:"redis"`
	Instances    []string      `json:"instances"`
	Config       reportConfig  `json:"config"`
	Seconds      float64       `json:"seconds"`
	Requests     int64         `json:"requests"`
	Phases       []phaseReport `json:"phases"`
	All          phaseReport   `json:"all_phases"`
	Sweep        *phaseReport  `json:"final_sweep,omitempty"`
	Crash        *crashReport  `json:"crash,omitempty"`
	Checks       []checkReport `json:"checks"`
	Violations   []violation   `json:"violations"`
	Cache        cacheReport   `json:"cache"`
}

type reportConfig struct {
	Instances   int     `json:"instances"`
	Stall       string  `json:"stall,omitempty"`
	Clients     int     `json:"clients"`
	Writes      float64 `json:"writes"`
	Phases      string  `json:"phases"`
	MaxRequests int64   `json:"max_requests"`
	Spaces      int     `json:"spaces"`
	MaxItems    int     `json:"max_items"`
	Users       int     `json:"users"`
	Seed        uint64  `json:"seed"`
	Timeout     string  `json:"timeout"`
	// Near is the near cache's lease with -near, else empty.
	Near string `json:"near,omitempty"`
}

// phaseReport is what the clients measured in one phase.
type phaseReport struct {
	Name     string  `json:"name"`
	Redis    string  `json:"redis"`
	Seconds  float64 `json:"seconds"`
	Requests int64   `json:"requests"`
	Reads    int64   `json:"reads"`
	Writes   int64   `json:"writes"`
	RPS      float64 `json:"requests_per_second"`
	// Latency covers every request; ReadLatency and WriteLatency split it.
	Latency      latencies `json:"latency"`
	ReadLatency  latencies `json:"read_latency"`
	WriteLatency latencies `json:"write_latency"`
	// XCache counts reads by X-Cache (HIT, MISS, STALE, SKIP, none).
	XCache map[string]int64 `json:"x_cache"`
	// Detail counts reads by X-Cache and Cache-Status detail
	// ("SKIP backend-error", "MISS store-error").
	Detail map[string]int64 `json:"cache_status_detail"`
	// HitRatio is the share of reads the cache served (HIT, STALE).
	HitRatio float64 `json:"hit_ratio"`
	// NearHits counts reads served from the instances' near caches
	// (-near), as their counters say; NearShare is their share of reads.
	NearHits  uint64  `json:"near_hits"`
	NearShare float64 `json:"near_share"`
	// FollowUps counts reads sent through another instance right after a
	// write's 2xx.
	FollowUps int64 `json:"follow_up_reads"`
	// Stale counts stale reads by route kind (item, list, ancestor);
	// StaleWindowMs is the longest time between an acknowledgement and a
	// read that started after it and missed it.
	Stale         map[string]int64 `json:"stale_reads"`
	StaleReads    int64            `json:"stale_reads_total"`
	StaleWindowMs float64          `json:"stale_window_ms"`
	ServerErrors  int64            `json:"server_errors"`
	Transport     int64            `json:"transport_errors"`
	// Lost counts requests a crash fault left unanswered; BehindLost the
	// reads that showed a resource older than what the store held once a
	// write to it was lost so (not violations: no client holds a 2xx for
	// such a write), and LostWindowMs the longest time from the loss to
	// such a read.
	Lost         int64   `json:"lost_with_crash,omitempty"`
	BehindLost   int64   `json:"reads_behind_lost_writes,omitempty"`
	LostWindowMs float64 `json:"lost_window_ms,omitempty"`
}

// crashReport is what a crash fault left behind at the final sweep: paths
// still served older than the store because of writes lost with the
// crashed instance, and how long after the first loss the sweep read
// them.
type crashReport struct {
	PathsBehind    int     `json:"paths_behind_at_sweep"`
	SecondsAfter   float64 `json:"seconds_after_loss"`
	Example        string  `json:"example,omitempty"`
	SecondsOfCrash float64 `json:"seconds_from_crash_to_sweep"`
}

// checkReport is one check: what it counts, how many violations, and
// how many things it looked at.
type checkReport struct {
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Violations int64  `json:"violations"`
	Checked    string `json:"checked,omitempty"`
}

// cacheReport is the cache's own counters at the end (gincache.Stats).
type cacheReport struct {
	Hits          uint64            `json:"hits"`
	Misses        uint64            `json:"misses"`
	Stores        uint64            `json:"stores"`
	Invalidations uint64            `json:"invalidations"`
	BackendErrors uint64            `json:"backend_errors"`
	Skips         map[string]uint64 `json:"skips"`
	NotStored     map[string]uint64 `json:"not_stored"`
}

// report assembles the clients' tallies and the checks.
func (r *runner) report(clients []*client, sweep *client, redisVersion string, seed uint64) *report {
	rep := &report{
		Stopped: r.stopWhy,
		Redis:   fmt.Sprintf("redis-server %s on %s", redisVersion, r.redis.Addr()),
		Config: reportConfig{
			Instances: r.cfg.instances, Clients: r.cfg.clients, Writes: r.cfg.writes, Phases: phasesString(r.cfg.phases), MaxRequests: r.cfg.maxRequests,
			Spaces: r.cfg.spaces, MaxItems: r.cfg.maxItems, Users: r.cfg.users, Seed: seed, Timeout: r.cfg.timeout.String(),
		},
	}
	if r.cfg.instances > 1 {
		rep.Config.Stall = r.cfg.stall.String()
	}
	if d := r.cfg.nearLease(); d > 0 {
		rep.Config.Near = d.String()
	}
	for _, in := range r.all() {
		how := "connects to Redis directly"
		if in.proxy != nil {
			how = "reaches Redis through a proxy that partial phases stall"
		}
		rep.Instances = append(rep.Instances, fmt.Sprintf("%s on %s %s", in.name(), in.base, how))
	}
	all := newTally()
	var total time.Duration
	var nearAll uint64
	for i, rec := range r.records {
		t := newTally()
		for _, c := range clients {
			t.merge(c.tallies[i])
		}
		d := rec.end.Sub(rec.start)
		total += d
		p := summarizePhase(fmt.Sprintf("%d %s", i+1, rec.name), rec.action, d, t)
		p.setNear(rec.nearHits)
		rep.Phases = append(rep.Phases, p)
		all.merge(t)
		nearAll += rec.nearHits
	}
	rep.Seconds = total.Seconds()
	rep.All = summarizePhase("all", "", total, all)
	rep.All.setNear(nearAll)
	rep.Requests = rep.All.Requests
	if sweep != nil {
		s := summarizePhase("final sweep", r.sweepAction, 0, sweep.tallies[len(r.cfg.phases)])
		rep.Sweep = &s
	}

	c := &r.checked
	counts := map[string]string{
		vServerError: fmt.Sprintf("%d responses", c.responses.Load()),
		vTransport:   fmt.Sprintf("%d requests", rep.Requests+sweepRequests(rep.Sweep)),
		vStatus:      fmt.Sprintf("%d responses", c.responses.Load()),
		vStale:       fmt.Sprintf("%d versions read and compared, %d writes acknowledged, %d reads through another instance right after a 2xx", c.versionReads.Load(), c.acks.Load(), c.followUps.Load()),
		vMissing:     fmt.Sprintf("%d lists", c.listsComplete.Load()),
		vCrossUser:   fmt.Sprintf("%d per-user reads by %d users", c.profileReads.Load(), r.cfg.users),
		vChecksum:    fmt.Sprintf("%d bodies, %d of them served by the cache", c.responses.Load(), c.hitResponses.Load()),
		vMalformed:   fmt.Sprintf("%d responses", c.responses.Load()),
		vSweep:       fmt.Sprintf("%d reads", sweepRequests(rep.Sweep)),
	}
	r.viol.mu.Lock()
	for _, k := range violationKinds {
		rep.Checks = append(rep.Checks, checkReport{Kind: k.kind, Name: k.meaning, Violations: r.viol.counts[k.kind], Checked: counts[k.kind]})
	}
	rep.Violations = append([]violation{}, r.viol.examples...)
	r.viol.mu.Unlock()

	if !r.crashedAt.IsZero() && sweep != nil {
		cr := &crashReport{PathsBehind: len(r.sweepLost), SecondsOfCrash: r.sweepAt.Sub(r.crashedAt).Seconds()}
		var first time.Time
		for path, when := range r.sweepLost {
			if first.IsZero() || when.Before(first) {
				first, cr.Example = when, path
			}
		}
		if !first.IsZero() {
			cr.SecondsAfter = r.sweepAt.Sub(first).Seconds()
		}
		rep.Crash = cr
	}
	rep.Cache = cacheReport{Skips: map[string]uint64{}, NotStored: map[string]uint64{}}
	for _, in := range append(r.all(), r.crashed...) {
		st := in.cache.Service().Stats()
		c := &rep.Cache
		c.Hits += st.Hits
		c.Misses += st.Misses
		c.Stores += st.Stores
		c.Invalidations += st.Invalidations
		c.BackendErrors += st.BackendErrors
		for k, n := range st.Skips {
			c.Skips[k] += n
		}
		for k, n := range st.NotStored {
			c.NotStored[k] += n
		}
	}

	rep.Passed = rep.Stopped != stopInterrupted && rep.Stopped != stopError && sweep != nil
	for _, ch := range rep.Checks {
		rep.Passed = rep.Passed && ch.Violations == 0
	}
	return rep
}

// setNear records the phase's near hits and their share of its reads.
func (p *phaseReport) setNear(hits uint64) {
	p.NearHits = hits
	if p.Reads > 0 {
		p.NearShare = float64(hits) / float64(p.Reads)
	}
}

func sweepRequests(p *phaseReport) int64 {
	if p == nil {
		return 0
	}
	return p.Requests
}

func summarizePhase(name, redis string, d time.Duration, t *tally) phaseReport {
	p := phaseReport{
		Name: name, Redis: redis, Seconds: d.Seconds(),
		Requests: t.reads + t.writes, Reads: t.reads, Writes: t.writes,
		XCache: t.xcache, Detail: t.skipDetail,
		FollowUps: t.followUps, Stale: map[string]int64{}, StaleWindowMs: ms(t.window),
		ServerErrors: t.serverErrors, Transport: t.transport,
		Lost: t.lost, BehindLost: t.behindLost, LostWindowMs: ms(t.lostWindow),
	}
	for _, k := range routeKinds {
		p.Stale[k] = t.stale[k]
		p.StaleReads += t.stale[k]
	}
	if d > 0 {
		p.RPS = float64(p.Requests) / d.Seconds()
	}
	if t.reads > 0 {
		p.HitRatio = float64(t.xcache["HIT"]+t.xcache["STALE"]) / float64(t.reads)
	}
	var all histogram
	all.merge(&t.readLat)
	all.merge(&t.writeLat)
	p.Latency = all.summary()
	p.ReadLatency = t.readLat.summary()
	p.WriteLatency = t.writeLat.summary()
	return p
}

func phasesString(ps []phase) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.name + "=" + p.length.String()
	}
	return strings.Join(parts, ",")
}

// writeJSON prints the report as indented JSON.
func (rep *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// writeText prints the report for people.
func (rep *report) writeText(w io.Writer) error {
	var b strings.Builder
	cfg := rep.Config
	fmt.Fprintf(&b, "gin-intelligent-cache chaos run: Quick Start API behind gincache on %s\n", rep.Redis)
	stall := ""
	if cfg.Stall != "" {
		stall = ", stalls of " + cfg.Stall
	}
	if cfg.Near != "" {
		stall += ", near cache on (lease " + cfg.Near + ")"
	}
	fmt.Fprintf(&b, "%d instances, %d clients, %.0f%% writes, phases %s%s, seed %d\n", cfg.Instances, cfg.Clients, 100*cfg.Writes, cfg.Phases, stall, cfg.Seed)
	for _, in := range rep.Instances {
		fmt.Fprintf(&b, "  instance %s\n", in)
	}
	fmt.Fprintf(&b, "stopped: %s after %.1fs, %d requests\n", rep.Stopped, rep.Seconds, rep.Requests)
	if rep.HarnessError != "" {
		fmt.Fprintf(&b, "HARNESS ERROR: %s\n", rep.HarnessError)
	}

	b.WriteString("\nthroughput and latency (ms) by phase, every request counted in the phase it started in:\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tredis\tsecs\trequests\treq/s\tp50\tp99\tp99.9\tmax\tHIT\tMISS\tSKIP\t")
	rows := append([]phaseReport{}, rep.Phases...)
	rows = append(rows, rep.All)
	if rep.Sweep != nil {
		rows = append(rows, *rep.Sweep)
	}
	for _, p := range rows {
		secs, rps := fmt.Sprintf("%.1f", p.Seconds), fmt.Sprintf("%.0f", p.RPS)
		if p.Seconds == 0 {
			secs, rps = "-", "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t%d\t%d\t\n",
			p.Name, p.Redis, secs, p.Requests, rps, p.Latency.P50, p.Latency.P99, p.Latency.P999, p.Latency.Max,
			p.XCache["HIT"]+p.XCache["STALE"], p.XCache["MISS"], p.XCache["SKIP"])
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	b.WriteString("\nread-your-writes and errors by phase (stale reads by route kind; window: longest time from a 2xx to a read that missed it):\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\treads\twrites\tfollow-ups\thit ratio\tnear\treq/s\tstale item\tstale list\tstale ancestor\twindow ms\t5xx\ttransport\t")
	for _, p := range rows {
		rps := fmt.Sprintf("%.0f", p.RPS)
		if p.Seconds == 0 {
			rps = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f%%\t%.1f%%\t%s\t%d\t%d\t%d\t%.1f\t%d\t%d\t\n",
			p.Name, p.Reads, p.Writes, p.FollowUps, 100*p.HitRatio, 100*p.NearShare, rps,
			p.Stale[kindItem], p.Stale[kindList], p.Stale[kindAncestor], p.StaleWindowMs, p.ServerErrors, p.Transport)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if cr := rep.Crash; cr != nil {
		b.WriteString("\nwrites lost with the crashed instance (committed perhaps, never acknowledged: measured, not violations):\n")
		for _, p := range rep.Phases {
			if p.Lost > 0 || p.BehindLost > 0 {
				fmt.Fprintf(&b, "  %s: %d requests unanswered; %d reads older than the store after such a write, up to %.0f ms after it\n",
					p.Name, p.Lost, p.BehindLost, p.LostWindowMs)
			}
		}
		fmt.Fprintf(&b, "  final sweep, %.1fs after the crash: %d paths still older than the store", cr.SecondsOfCrash, cr.PathsBehind)
		if cr.PathsBehind > 0 {
			fmt.Fprintf(&b, " (e.g. %s, %.1fs after its write was lost)", cr.Example, cr.SecondsAfter)
		}
		b.WriteString("\n")
	}

	b.WriteString("\nreads by X-Cache and Cache-Status detail:\n")
	for _, p := range rows {
		fmt.Fprintf(&b, "  %-12s %s\n", p.Name, formatCounts(p.Detail))
	}

	b.WriteString("\nchecks (each must find 0):\n")
	for _, c := range rep.Checks {
		mark := "ok  "
		if c.Violations > 0 {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "  %s %6d  %-50s (%s)\n", mark, c.Violations, c.Name, c.Checked)
	}
	if len(rep.Violations) > 0 {
		fmt.Fprintf(&b, "\nfirst %d violations:\n", len(rep.Violations))
		for _, v := range rep.Violations {
			fmt.Fprintf(&b, "  [%s] %s: %s %s via %s (X-Cache %q): %s\n", v.Kind, v.Phase, v.Method, v.Path, v.Instance, v.XCache, v.Detail)
		}
	}
	c := rep.Cache
	fmt.Fprintf(&b, "\ncache counters: hits %d, misses %d, stores %d, invalidations %d, backend errors %d\n",
		c.Hits, c.Misses, c.Stores, c.Invalidations, c.BackendErrors)
	fmt.Fprintf(&b, "  skips: %s\n  not stored: %s\n", formatCounts(toInt64(c.Skips)), formatCounts(toInt64(c.NotStored)))
	switch {
	case rep.Passed:
		b.WriteString("\nPASS\n")
	case rep.Stopped == stopInterrupted:
		b.WriteString("\nFAIL: interrupted before the end of the schedule (no final sweep)\n")
	case rep.Stopped == stopError:
		b.WriteString("\nFAIL: the harness could not complete the run\n")
	default:
		b.WriteString("\nFAIL\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func toInt64(m map[string]uint64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = int64(v)
	}
	return out
}
