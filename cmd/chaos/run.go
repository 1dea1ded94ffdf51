package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/internal/quickstart"
	"github.com/intelligentcache/gin-intelligent-cache/internal/redisserver"
)

// Why a run stopped.
const (
	stopSchedule    = "schedule complete"
	stopMaxRequests = "max requests reached"
	stopInterrupted = "interrupted"
	stopError       = "harness error"
)

// runner is one run: the Redis server, the instances of the application
// and the store they share, the clients' shared state and what they
// found.
type runner struct {
	cfg   config
	redis *redisserver.Server
	store *quickstart.Store
	// slots holds the instances; a crash fault replaces one.
	slots []atomic.Pointer[instance]
	// start builds instance i (0-based), for the start and after a crash.
	start func(i int) (*instance, error)
	// crashed lists the instances a crash fault killed (for their counters).
	crashed []*instance
	http    *http.Client
	oracle  *oracle
	viol    *violations
	checked checked

	phase  atomic.Int32 // index into cfg.phases; len(cfg.phases) during the final sweep
	issued atomic.Int64 // requests the clients have sent
	// readIn[i] is closed once a read has started in phase i, followIn[i]
	// once a follow-up read has: a phase lasts its length and until then
	// (see schedule).
	readIn, followIn         []chan struct{}
	readInOnce, followInOnce []sync.Once
	records                  []phaseRecord
	// sweepAction is what the final sweep did to Redis first.
	sweepAction string
	// crashedAt is when a crash fault killed the victim (zero: never);
	// sweepLost maps the paths the final sweep found behind the store
	// because of writes lost with it to when the first was lost.
	crashedAt time.Time
	sweepLost map[string]time.Time
	sweepAt   time.Time // when the final sweep began

	stopOnce sync.Once
	stopWhy  string
	cancel   context.CancelFunc
}

// readStarted notes that a read started in phase i.
func (r *runner) readStarted(i int32) {
	r.readInOnce[i].Do(func() { close(r.readIn[i]) })
}

// followUpStarted notes that a follow-up read started in phase i.
func (r *runner) followUpStarted(i int32) {
	r.followInOnce[i].Do(func() { close(r.followIn[i]) })
}

// phaseRecord is what happened to Redis in a phase, and when.
type phaseRecord struct {
	name, action string
	start, end   time.Time
	// nearHits counts the hits the instances served from their near
	// caches during the phase (-near).
	nearHits uint64
}

// nearHits sums the near-cache hits every instance has served, crashed
// ones included.
func (r *runner) nearHits() uint64 {
	var n uint64
	for _, in := range append(r.all(), r.crashed...) {
		if in != nil {
			n += in.cache.Service().Stats().NearHits
		}
	}
	return n
}

// phaseLabel names phase i for violations ("3 back").
func (r *runner) phaseLabel(i int32) string {
	if int(i) >= len(r.cfg.phases) {
		return "final sweep"
	}
	return fmt.Sprintf("%d %s", i+1, r.cfg.phases[i].name)
}

// stop ends the run, keeping the first reason given.
func (r *runner) stop(why string) {
	r.stopOnce.Do(func() {
		r.stopWhy = why
		r.cancel()
	})
}

// run performs a whole run and returns its report. The error says the
// harness itself failed (no redis-server, a fault it could not inject);
// the report, when not nil, then holds what was measured until then.
// With cfg.verbose the cache's logs go to logs.
func run(ctx context.Context, cfg config, logs io.Writer) (*report, error) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if cfg.verbose {
		logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	dir, err := os.MkdirTemp("", "gincache-chaos-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	srv, err := redisserver.Start(redisserver.Options{Binary: cfg.redisServer, Dir: dir})
	if err != nil {
		if errors.Is(err, redisserver.ErrNoBinary) {
			return nil, fmt.Errorf("%w (install redis-server, or give its path with -redis-server)", err)
		}
		return nil, err
	}
	defer srv.Close()
	// One store for every instance, in process, behind its mutex: the
	// database replicas of an API share. Every version is assigned under
	// that lock, so the store is the exact truth the oracle and the final
	// sweep compare with, and it never fails: any staleness is the cache's.
	store := quickstart.NewStore()
	r := &runner{
		cfg:          cfg,
		redis:        srv,
		store:        store,
		slots:        make([]atomic.Pointer[instance], cfg.instances),
		oracle:       newOracle(),
		viol:         newViolations(),
		sweepLost:    map[string]time.Time{},
		readIn:       make([]chan struct{}, len(cfg.phases)+1),
		readInOnce:   make([]sync.Once, len(cfg.phases)+1),
		followIn:     make([]chan struct{}, len(cfg.phases)+1),
		followInOnce: make([]sync.Once, len(cfg.phases)+1),
		http: &http.Client{
			Timeout: cfg.timeout,
			Transport: &http.Transport{
				Proxy:               nil, // loopback only, whatever the environment says
				MaxIdleConnsPerHost: cfg.clients,
				MaxIdleConns:        cfg.clients * cfg.instances,
				DisableCompression:  true,
			},
		},
	}
	for i := range r.readIn {
		r.readIn[i], r.followIn[i] = make(chan struct{}), make(chan struct{})
	}
	r.start = func(i int) (*instance, error) {
		return newInstance(i+1, srv.Addr(), cfg.instances > 1 && i == victim, store, logger, cfg.sabotage, cfg.patience, cfg.nearLease(), cfg.storeFirst)
	}
	defer func() {
		for _, in := range append(r.all(), r.crashed...) {
			if in != nil && !in.crashed.Load() {
				in.Close()
			}
		}
	}()
	for i := range cfg.instances {
		in, err := r.start(i)
		if err != nil {
			return nil, err
		}
		r.slots[i].Store(in)
	}
	defer r.http.CloseIdleConnections()
	version, err := r.setup(ctx)
	if err != nil {
		return nil, fmt.Errorf("setting up: %w", err)
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.cancel = cancel
	seed := uint64(cfg.seed)
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	clients := make([]*client, cfg.clients)
	var wg sync.WaitGroup
	for i := range clients {
		c := r.newClient(i, seed)
		clients[i] = c
		wg.Go(func() { r.drive(runCtx, c) })
	}
	schedErr := r.schedule(runCtx)
	switch {
	case ctx.Err() != nil:
		r.stop(stopInterrupted)
	case schedErr != nil:
		r.stop(stopError)
	default:
		r.stop(stopSchedule) // unless max requests came first
	}
	wg.Wait()

	var sweep *client
	if schedErr == nil && ctx.Err() == nil {
		sweep = r.newClient(len(clients), seed)
		if r.sweepAction, err = r.sweep(ctx, sweep); err != nil {
			schedErr = fmt.Errorf("final sweep: %w", err)
		}
	}
	rep := r.report(clients, sweep, version, seed)
	if schedErr != nil {
		rep.HarnessError = schedErr.Error()
		rep.Passed = false
	}
	return rep, schedErr
}

// instance returns instance i (0-based).
func (r *runner) instance(i int) *instance { return r.slots[i].Load() }

// all lists the instances running now.
func (r *runner) all() []*instance {
	out := make([]*instance, len(r.slots))
	for i := range r.slots {
		out[i] = r.slots[i].Load()
	}
	return out
}

// newClient makes client i with its own random stream.
func (r *runner) newClient(i int, seed uint64) *client {
	c := &client{r: r, id: i, rng: rand.New(rand.NewPCG(seed, uint64(i)))}
	for range len(r.cfg.phases) + 1 {
		c.tallies = append(c.tallies, newTally())
	}
	return c
}

// drive sends requests until the run stops.
func (r *runner) drive(ctx context.Context, c *client) {
	for ctx.Err() == nil {
		if r.issued.Load() >= r.cfg.maxRequests {
			r.stop(stopMaxRequests)
			return
		}
		if c.rng.Float64() < r.cfg.writes {
			pick(c.rng, writeOps).run(c)
		} else {
			pick(c.rng, readOps).run(c)
		}
	}
}

// setup checks that Redis answers, creates the spaces and teaches the
// oracle what the store holds before any client starts. It returns
// Redis's version.
func (r *runner) setup(ctx context.Context) (string, error) {
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, in := range r.all() {
		if err := in.backend.Ping(pingCtx); err != nil {
			return "", fmt.Errorf("redis-server at %s does not answer instance %s: %w", r.redis.Addr(), in.name(), err)
		}
	}
	version := "unknown"
	if info, err := r.instance(0).backend.Client().Info(pingCtx, "server").Result(); err == nil {
		version = infoField(info, "redis_version")
	}
	setupClient := r.newClient(-1, 1)
	for i := range r.cfg.spaces {
		body := fmt.Appendf(nil, `{"name":"space %d"}`, i+1)
		res, ok := setupClient.send(r.instance(0), http.MethodPost, "/spaces", body, http.StatusCreated)
		if !ok {
			return "", fmt.Errorf("POST /spaces: status %d: %s", res.status, res.body)
		}
	}
	if n := r.viol.total(); n > 0 {
		return "", fmt.Errorf("%d violations while creating the spaces: %+v", n, r.viol.examples)
	}
	// The store is the truth; nothing else runs yet, so every version in
	// it counts as acknowledged before any read.
	for _, sp := range r.store.Spaces() {
		r.oracle.ackSpace(sp.ID, sp.Version, "")
		items, _ := r.store.SpaceItems(sp.ID)
		for _, it := range items {
			r.oracle.ackItem(itemRef{sp.ID, it.ID}, it.Version, true, "")
		}
	}
	return version, nil
}

// infoField reads one field of an INFO reply.
func infoField(info, name string) string {
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return "unknown"
}

// schedule walks through the phases, putting Redis in each one's state,
// until the last ends or the run is stopped.
func (r *runner) schedule(ctx context.Context) error {
	for i, p := range r.cfg.phases {
		if ctx.Err() != nil {
			return nil
		}
		action, err := r.enter(p.name)
		rec := phaseRecord{name: p.name, action: action, start: time.Now()}
		nearBefore := r.nearHits()
		if err != nil {
			rec.end = rec.start
			r.records = append(r.records, rec)
			return fmt.Errorf("phase %d (%s): %s: %w", i+1, p.name, action, err)
		}
		r.phase.Store(int32(i))
		phaseCtx, cancel := context.WithTimeout(ctx, p.length)
		switch p.name {
		case "partial":
			stalls := r.stallVictim(phaseCtx, min(r.cfg.stallGap, p.length/4))
			rec.action = fmt.Sprintf("%s, %s's link stalled %d x %v", action, r.instance(victim).name(), stalls, r.cfg.stall)
		case "crash":
			what, err := r.crashVictim(phaseCtx)
			rec.action = action + ", " + what
			if err != nil {
				cancel()
				rec.end = time.Now()
				r.records = append(r.records, rec)
				return fmt.Errorf("phase %d (%s): %s: %w", i+1, p.name, rec.action, err)
			}
		}
		<-phaseCtx.Done()
		cancel()
		// A phase without a read checks nothing, and with several
		// instances one without a follow-up read does not check read your
		// writes across them. On a starved machine the clients can spend a
		// short phase's whole length in requests of the phase before (writes
		// waiting for their invalidation): the phase goes on until it has
		// had both.
		need := []chan struct{}{r.readIn[i]}
		if r.cfg.instances > 1 {
			need = append(need, r.followIn[i])
		}
		for _, ch := range need {
			select {
			case <-ch:
			case <-ctx.Done():
			}
		}
		rec.end = time.Now()
		rec.nearHits = r.nearHits() - nearBefore
		r.records = append(r.records, rec)
	}
	return nil
}

// stallVictim lets the victim's link to Redis flow for first, stalls it
// for -stall, lets it flow for the gap between stalls, and so on until ctx
// ends, with the link flowing at the end. It returns how many stalls it
// made.
func (r *runner) stallVictim(ctx context.Context, first time.Duration) int {
	p := r.instance(victim).proxy
	defer p.resume()
	n := 0
	for gapLen := first; ; gapLen = r.cfg.stallGap {
		gap := time.NewTimer(gapLen)
		select {
		case <-ctx.Done():
			gap.Stop()
			return n
		case <-gap.C:
		}
		p.stall()
		n++
		stall := time.NewTimer(r.cfg.stall)
		select {
		case <-ctx.Done():
			stall.Stop()
			return n
		case <-stall.C:
		}
		p.resume()
	}
}

// crashVictim freezes the victim's link to Redis, waits until writes
// through it are held (committed, their invalidation not landed), then
// kills the instance as a crash would: its connections dropped, with the
// renewals its link held, and its cache gone. A new instance takes its
// place at once, empty, on another port. It says what it did.
func (r *runner) crashVictim(ctx context.Context) (string, error) {
	old := r.instance(victim)
	old.proxy.stall()
	hold := time.NewTimer(crashHold)
	select {
	case <-ctx.Done():
		hold.Stop()
		old.proxy.resume()
		return "not crashed (the phase ended first)", nil
	case <-hold.C:
	}
	r.crashedAt = time.Now()
	held := old.crash()
	r.crashed = append(r.crashed, old)
	in, err := r.start(victim)
	if err != nil {
		return "crashed, not restarted", err
	}
	r.slots[victim].Store(in)
	return fmt.Sprintf("%s crashed %v into a freeze of its link, %d requests in flight; restarted empty", old.name(), crashHold, held), nil
}

// crashHold is how long a crash phase freezes the victim's link before
// killing it: long enough for writes to be waiting on their invalidation.
const crashHold = time.Second

// enter puts Redis in the state a phase names and says what it did.
func (r *runner) enter(name string) (string, error) {
	s := r.redis
	switch name {
	case "partial", "crash":
		switch {
		case !s.Running():
			return "restarted empty", s.Restart()
		case s.Paused():
			return "resumed (SIGCONT)", s.Resume()
		}
		return "running", nil
	case "down":
		s.Kill()
		return "killed (SIGKILL)", nil
	case "hung":
		action := "paused (SIGSTOP)"
		if !s.Running() {
			if err := s.Restart(); err != nil {
				return "restart", err
			}
			action = "restarted empty, paused (SIGSTOP)"
		}
		return action, s.Pause()
	}
	// up or back
	switch {
	case !s.Running():
		return "restarted empty", s.Restart()
	case s.Paused():
		return "resumed (SIGCONT)", s.Resume()
	case name == "back":
		return "restarted empty (crash and restart)", s.Restart()
	}
	return "running", nil
}
