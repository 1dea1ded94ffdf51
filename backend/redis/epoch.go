package redis

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// checkTimeout bounds one run_id check, in the background.
const checkTimeout = time.Second

// watcher renews the backend's epoch when Redis may have lost or rolled
// back tokens: a node's breaker closes after it was open (writes could
// not invalidate meanwhile), or a master's run_id changes (a restart, or a
// failover to a replica that may have missed renewals). It reads run_ids
// every interval and soon after every new connection, which is when a
// restarted or failed-over node is first reached.
type watcher struct {
	r        *Redis
	interval time.Duration
	nudges   chan struct{}
	ctx      context.Context // canceled by Close, ending a check under way
	cancel   context.CancelFunc
	done     chan struct{}

	mu sync.Mutex
	// runIDs maps each master's address ("" for the one master of a
	// standalone or Sentinel client) to its run_id.
	runIDs map[string]string
	// complete: one check has read every master.
	complete bool
}

func newWatcher(r *Redis, interval time.Duration) *watcher {
	ctx, cancel := context.WithCancel(context.Background())
	return &watcher{
		r:        r,
		interval: interval,
		nudges:   make(chan struct{}, 1),
		ctx:      ctx,
		cancel:   cancel,
		done:     make(chan struct{}),
		runIDs:   make(map[string]string),
	}
}

// nudge asks for a check soon; nudges coalesce.
func (w *watcher) nudge() {
	select {
	case w.nudges <- struct{}{}:
	default:
	}
}

func (w *watcher) run() {
	defer close(w.done)
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-w.ctx.Done():
			return
		case <-t.C:
		case <-w.nudges:
		}
		ctx, cancel := context.WithTimeout(w.ctx, checkTimeout)
		w.check(ctx)
		cancel()
	}
}

// close stops the goroutine and waits for it.
func (w *watcher) close() {
	w.cancel()
	<-w.done
}

// check reads every master's run_id and renews the epoch on a change. A
// node that does not answer is skipped: its breaker handles it.
func (w *watcher) check(ctx context.Context) {
	nodes, err := w.r.masters(ctx)
	if err != nil {
		return
	}
	seen := make(map[string]string, len(nodes))
	for _, n := range nodes {
		info, err := n.client.Info(ctx, "server").Result()
		if err != nil {
			continue
		}
		if id := infoField(info, "run_id"); id != "" {
			seen[n.addr] = id
		}
	}
	w.mu.Lock()
	var changed []string
	for addr, id := range seen {
		old, known := w.runIDs[addr]
		switch {
		case known && old != id:
			changed = append(changed, "run_id changed on "+nodeName(addr))
		case !known && w.complete:
			// A master we did not know: a replica promoted by a failover
			// (or a node added), which may lack recent renewals.
			changed = append(changed, "new master "+nodeName(addr))
		}
		w.runIDs[addr] = id
	}
	if len(seen) == len(nodes) && len(nodes) > 0 {
		// Forget masters that are gone, so that one coming back (as a
		// restarted master) is compared afresh.
		for addr := range w.runIDs {
			if _, ok := seen[addr]; !ok {
				delete(w.runIDs, addr)
			}
		}
		w.complete = true
	}
	w.mu.Unlock()
	for _, why := range changed {
		w.r.renewEpoch(why)
	}
}

func nodeName(addr string) string {
	if addr == "" {
		return "the master"
	}
	return addr
}

// infoField returns a field of an INFO reply, "" when absent.
func infoField(info, name string) string {
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// masterNode is one master: its address ("" when the client has a single
// master) and a client that reaches it alone.
type masterNode struct {
	addr   string
	client *redis.Client
}

// renewEpoch changes the number Epoch reports, so that the cache renews
// its epoch token.
func (r *Redis) renewEpoch(why string) {
	r.lives.forget()
	e := r.epoch.Add(1)
	r.log.Log(slog.LevelWarn, "epoch:"+why, "backend: redis epoch renewed, cached entries will be dropped", "reason", why, "epoch", e)
}
