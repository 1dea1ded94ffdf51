// Package budget gives a networked backend call a context that ends at
// its deadline, for a fraction of what context.WithTimeout costs.
//
// context.WithTimeout makes a timer, a cancel function and a context that
// registers with a cancellable parent: four allocations and about half a
// microsecond, twice per Redis miss (the lookup and the store) and once
// per hit. A budget context makes one allocation and no timer: every
// context whose deadline falls in the same millisecond shares one
// channel, and one timer, armed for the earliest pending millisecond,
// closes them in turn. The Redis client sets its socket deadlines from
// Deadline, so the call is bounded exactly; Done, which the client's
// pool waits on when it has no free connection, closes at the deadline
// or up to a millisecond after it, never before.
//
// A budget context carries its parent's values (a tracer's span, the
// breaker bypass of backend.WithoutBreaker) and its deadline if earlier,
// but not its cancellation: a lookup or store whose client has gone ends
// within its budget, which is what bounds it. The gincache budget is
// tens of milliseconds by default; the store already runs past the
// client, so that waiters on its entry get it.
package budget

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// granularity is the width of the slots that share a channel: the most
// Done may close after the deadline, past the timer's own latency.
const granularity = time.Millisecond

// Context returns a context with parent's values that ends at the
// earlier of now+d and parent's deadline. It needs no cancel: nothing is
// left behind when it is dropped but its slot's channel, which the
// shared timer closes and forgets.
func Context(parent context.Context, d time.Duration) context.Context {
	at := time.Now().Add(d)
	if pd, ok := parent.Deadline(); ok && pd.Before(at) {
		at = pd
	}
	return &ctx{parent: parent, at: at}
}

// ctx is a budget context.
type ctx struct {
	parent context.Context // for its values only
	at     time.Time
}

func (c *ctx) Deadline() (time.Time, bool) { return c.at, true }

// Value is the parent's, through context.WithoutCancel, which hides the
// parent's cancellation from what the context package reads through
// Value: context.Cause, and a context derived from this one, which would
// otherwise join the parent's. It allocates only when asked, and the
// backends' hot paths do not ask.
func (c *ctx) Value(key any) any { return context.WithoutCancel(c.parent).Value(key) }

// Done is a closed channel once the deadline has passed, and before that
// the channel of the deadline's slot, closed once the slot has begun (so
// at or after the deadline).
func (c *ctx) Done() <-chan struct{} {
	now := time.Now()
	if !now.Before(c.at) {
		return closed
	}
	return shared.channel(slotOf(c.at), now)
}

// Err is context.DeadlineExceeded once Done is closed, nil before, as
// the context contract has it.
func (c *ctx) Err() error {
	select {
	case <-c.Done():
		return context.DeadlineExceeded
	default:
		return nil
	}
}

func (c *ctx) String() string {
	return "budget.Context(deadline: " + c.at.String() + ")"
}

// origin is what slots count from: a monotonic reading, so that a step
// of the wall clock moves no deadline.
var origin = time.Now()

// slotOf is the first slot that begins at or after t: a deadline's.
func slotOf(t time.Time) int64 {
	d := t.Sub(origin)
	return int64((d + granularity - 1) / granularity)
}

// begun is the last slot that began at or before t: every slot up to it
// may close at t.
func begun(t time.Time) int64 {
	return int64(t.Sub(origin) / granularity)
}

// closed is the channel of every slot that has begun.
var closed = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

// clock holds the channels of the pending slots, and one timer, armed for
// the earliest, that closes those that have begun. The pending slots are
// kept in a min-heap besides the map, so a firing costs what it closes,
// however many are pending: a scan of every pending slot at each firing
// cost a budget's worth of slots every millisecond (3,000 under a 3 s
// budget), and a timer per slot put as many timers in the runtime's heap,
// which every socket deadline go-redis sets then sifts through.
type clock struct {
	mu      sync.Mutex
	slots   map[int64]chan struct{}
	pending slotHeap
	timer   *time.Timer
	armed   int64 // the slot the timer is set for; 0: not set
}

var shared = &clock{slots: make(map[int64]chan struct{})}

// channel returns slot's channel, made and scheduled on first use, at
// now.
func (k *clock) channel(slot int64, now time.Time) <-chan struct{} {
	if slot <= begun(now) {
		return closed
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	ch, ok := k.slots[slot]
	if !ok {
		ch = make(chan struct{})
		k.slots[slot] = ch
		heap.Push(&k.pending, slot)
		if k.armed == 0 || slot < k.armed {
			k.arm(slot)
		}
	}
	return ch
}

// arm sets the timer for slot's beginning. k.mu is held. A timer never
// fires before its duration has passed on the monotonic clock, which
// slots count on.
func (k *clock) arm(slot int64) {
	k.armed = slot
	wait := time.Until(origin.Add(time.Duration(slot) * granularity))
	if k.timer == nil {
		k.timer = time.AfterFunc(wait, k.fire)
		return
	}
	k.timer.Reset(wait)
}

// fire closes the channels of the slots that have begun and sets the
// timer for the earliest one left, if any.
func (k *clock) fire() {
	now := begun(time.Now())
	k.mu.Lock()
	defer k.mu.Unlock()
	for len(k.pending) > 0 && k.pending[0] <= now {
		slot := heap.Pop(&k.pending).(int64)
		close(k.slots[slot])
		delete(k.slots, slot)
	}
	k.armed = 0
	if len(k.pending) > 0 {
		k.arm(k.pending[0])
	}
}

// slotHeap is a min-heap of slots for container/heap: h[0] is the
// earliest. A push boxes its slot, once per millisecond of deadline.
type slotHeap []int64

func (h slotHeap) Len() int           { return len(h) }
func (h slotHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h slotHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *slotHeap) Push(x any)        { *h = append(*h, x.(int64)) }
func (h *slotHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
