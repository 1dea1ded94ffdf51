package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend/near"
)

// config is what the flags set.
type config struct {
	duration    time.Duration
	phases      []phase
	instances   int           // replicas of the application
	stall       time.Duration // length of each stall of a partial phase
	stallGap    time.Duration // flow between two stalls (stallGap; tests shorten it)
	clients     int
	writes      float64 // share of requests that are writes, 0 to 1
	maxRequests int64
	spaces      int // spaces created before the run
	maxItems    int // items per space past which POSTs turn into PATCHes
	users       int // distinct users of the per-user route
	seed        int64
	timeout     time.Duration // per request
	redisServer string        // redis-server binary; "" finds it on PATH
	json        bool
	verbose     bool
	// near puts a near cache (backend/near) in front of Redis in every
	// instance, with lease nearDelta.
	near      bool
	nearDelta time.Duration
	// storeFirst runs every instance with
	// gincache.WithStoreBeforeResponse(true): a miss is stored before its
	// response, as before the store moved after it.
	storeFirst bool

	// sabotage breaks the application on purpose, so that tests can show
	// each check catches what it is meant to. Never set by flags.
	sabotage sabotage
	// patience, when set, is every instance's Redis socket timeout and
	// cache budget, for the tests of a sabotage: they need the cache to
	// serve hits, which the defaults (200ms, 50ms) turn into SKIPs on a
	// loaded machine. Never set by flags: the harness measures the
	// defaults users run.
	patience time.Duration
}

// nearLease is the near cache's Delta, or 0 without -near.
func (c config) nearLease() time.Duration {
	switch {
	case !c.near:
		return 0
	case c.nearDelta > 0:
		return c.nearDelta
	}
	return near.DefaultDelta
}

// phase is one step of the fault schedule.
type phase struct {
	name   string // up, down, back, hung, partial or crash
	length time.Duration
}

// phaseNames are the states a phase can ask for.
var phaseNames = []string{"up", "down", "back", "hung", "partial", "crash"}

// defaultCycle is the schedule -duration is split over with one instance;
// several instances add the partial fault.
var (
	defaultCycle      = []string{"up", "down", "back", "hung", "back", "up"}
	defaultMultiCycle = []string{"up", "down", "back", "hung", "back", "partial", "up"}
)

// victim is the index of the instance that reaches Redis through the
// stallable proxy when there are several: #2.
const victim = 1

// stallGap is how long a partial phase lets the victim's link flow
// between two stalls.
const stallGap = 3 * time.Second

// Defaults of the flags.
const (
	defaultDuration    = 2 * time.Minute
	defaultInstances   = 3
	defaultStall       = 2 * time.Second
	defaultClients     = 32
	defaultWrites      = 0.2
	defaultMaxRequests = 10_000_000
	defaultSpaces      = 8
	defaultMaxItems    = 40
	defaultUsers       = 20
	defaultTimeout     = 10 * time.Second
)

// parseFlags reads the command line. It returns flag.ErrHelp for -h.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	cfg := config{stallGap: stallGap}
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: go run ./cmd/chaos [flags]\n\n%s\nFlags:\n", usageIntro)
		fs.PrintDefaults()
	}
	fs.DurationVar(&cfg.duration, "duration", defaultDuration, "length of the run, split evenly over the phases up, down, back, hung, back, partial, up (without partial for one instance; ignored with -phases)")
	schedule := fs.String("phases", "", "the fault schedule as name=duration,... with names up (Redis running), down (killed), back (restarted empty, or resumed after hung), hung (SIGSTOP), partial (Redis running, instance #2's link to it stalled for -stall, again and again) and crash (instance #2 killed while its link is frozen, then restarted; not in the default schedule); e.g. up=20s,down=10s,back=20s,hung=10s,back=20s,partial=20s,up=20s")
	fs.IntVar(&cfg.instances, "instances", defaultInstances, "replicas of the application, each with its own cache, Redis client and HTTP server, sharing the store and the cache's Redis; with 2 or more, #2 reaches Redis through a proxy that partial phases stall")
	fs.DurationVar(&cfg.stall, "stall", defaultStall, "how long each stall of instance #2's link lasts in a partial phase ("+stallGap.String()+" of flow between stalls)")
	fs.IntVar(&cfg.clients, "clients", defaultClients, "concurrent clients")
	fs.Float64Var(&cfg.writes, "writes", defaultWrites, "share of requests that are writes (PATCH space, PATCH item, POST item), from 0 to 1")
	fs.Int64Var(&cfg.maxRequests, "max-requests", defaultMaxRequests, "stop after this many requests, even if the schedule is not over")
	fs.IntVar(&cfg.spaces, "spaces", defaultSpaces, "spaces created before the run, besides the two the Quick Start store starts with")
	fs.IntVar(&cfg.maxItems, "max-items", defaultMaxItems, "items per space; once a space holds this many, creations in it become updates")
	fs.IntVar(&cfg.users, "users", defaultUsers, "distinct users of the per-user route")
	fs.Int64Var(&cfg.seed, "seed", 0, "random seed of the clients' choices (0: from the clock)")
	fs.DurationVar(&cfg.timeout, "timeout", defaultTimeout, "client timeout of one request; a request that times out is a transport error")
	fs.StringVar(&cfg.redisServer, "redis-server", "", "the redis-server binary (default: redis-server on PATH)")
	fs.BoolVar(&cfg.near, "near", false, "put a near cache (backend/near) in front of Redis in every instance; the report gives each phase's share of reads served from it")
	fs.DurationVar(&cfg.nearDelta, "near-delta", 0, "the near cache's lease and commit-wait (default: backend/near's, 5ms)")
	fs.BoolVar(&cfg.storeFirst, "store-first", false, "store each miss before its response (gincache.WithStoreBeforeResponse(true)) instead of after it")
	fs.BoolVar(&cfg.json, "json", false, "print the report as JSON")
	fs.BoolVar(&cfg.verbose, "v", false, "print the cache's and the Redis backend's logs to stderr")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	durationSet := false
	fs.Visit(func(f *flag.Flag) { durationSet = durationSet || f.Name == "duration" })
	if *schedule != "" {
		if durationSet {
			return cfg, errors.New("-duration and -phases both set: -phases gives every phase's length")
		}
		p, err := parsePhases(*schedule)
		if err != nil {
			return cfg, fmt.Errorf("-phases: %w", err)
		}
		cfg.phases = p
	} else {
		cfg.phases = evenPhases(cfg.duration, cfg.instances)
	}
	return cfg, cfg.validate()
}

const usageIntro = `Runs replicas of the Quick Start API behind gincache on a redis-server it
starts on loopback, drives them with concurrent clients that write through
one replica and read through another, kills, pauses and restarts Redis and
stalls one replica's link to it on a schedule, and checks that no client
ever saw a 5xx, a transport error, a stale read, another user's response or
a corrupted body. Exits 1 on any violation. See docs/CHAOS.md.`

// evenPhases splits d over the default cycle for that many instances.
func evenPhases(d time.Duration, instances int) []phase {
	cycle := defaultCycle
	if instances > 1 {
		cycle = defaultMultiCycle
	}
	out := make([]phase, len(cycle))
	each := (d / time.Duration(len(cycle))).Truncate(time.Millisecond)
	for i, name := range cycle {
		out[i] = phase{name: name, length: each}
	}
	return out
}

// parsePhases reads "up=20s,down=10s,...".
func parsePhases(s string) ([]phase, error) {
	var out []phase
	for part := range strings.SplitSeq(s, ",") {
		name, length, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("%q: want name=duration", part)
		}
		known := false
		for _, n := range phaseNames {
			known = known || n == name
		}
		if !known {
			return nil, fmt.Errorf("%q: unknown phase %q (want %s)", part, name, strings.Join(phaseNames, ", "))
		}
		d, err := time.ParseDuration(length)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", part, err)
		}
		out = append(out, phase{name: name, length: d})
	}
	return out, nil
}

// validate reports every bad value at once.
func (c config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	total := time.Duration(0)
	for i, p := range c.phases {
		if p.length < 100*time.Millisecond {
			bad("phase %d (%s) lasts %v: want at least 100ms", i+1, p.name, p.length)
		}
		total += p.length
	}
	if len(c.phases) == 0 {
		bad("no phases")
	}
	if c.instances < 1 || c.instances > 16 {
		bad("-instances %d: want 1 to 16", c.instances)
	}
	if c.stall < 100*time.Millisecond {
		bad("-stall %v: want at least 100ms", c.stall)
	}
	for i, p := range c.phases {
		switch {
		case p.name == "partial" && c.instances < 2:
			bad("phase %d (partial) stalls instance #2's link: it needs -instances 2 or more", i+1)
		case p.name == "crash" && c.instances < 2:
			bad("phase %d (crash) kills instance #2: it needs -instances 2 or more", i+1)
		case p.name == "crash" && p.length < 2*crashHold:
			bad("phase %d (crash) lasts %v: want at least %v", i+1, p.length, 2*crashHold)
		}
	}
	if total > 24*time.Hour {
		bad("the schedule lasts %v: want at most 24h", total)
	}
	if c.clients < 1 || c.clients > 4096 {
		bad("-clients %d: want 1 to 4096", c.clients)
	}
	if !(c.writes >= 0 && c.writes <= 1) {
		bad("-writes %v: want a share from 0 to 1", c.writes)
	}
	if c.maxRequests < 1 {
		bad("-max-requests %d: want at least 1", c.maxRequests)
	}
	if c.spaces < 0 || c.spaces > 1000 {
		bad("-spaces %d: want 0 to 1000", c.spaces)
	}
	if c.maxItems < 1 || c.maxItems > 1000 {
		bad("-max-items %d: want 1 to 1000", c.maxItems)
	}
	if c.users < 2 || c.users > 100000 {
		bad("-users %d: want 2 to 100000 (a cross-user read needs two users)", c.users)
	}
	if c.timeout <= 0 {
		bad("-timeout %v: want a positive duration", c.timeout)
	}
	return errors.Join(errs...)
}

// total is the schedule's length.
func (c config) total() time.Duration {
	var d time.Duration
	for _, p := range c.phases {
		d += p.length
	}
	return d
}
