package budget

import (
	"container/heap"
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

type key struct{}

// wait is how long a test waits for a channel that must close; a
// failure, never a figure the test measures.
const wait = 10 * time.Second

func TestDoneClosesAtTheDeadlineNeverBefore(t *testing.T) {
	ctx := Context(context.Background(), 20*time.Millisecond)
	at, ok := ctx.Deadline()
	require.True(t, ok, "a budget context has a deadline")
	require.NoError(t, ctx.Err(), "Err before the deadline")
	select {
	case <-ctx.Done():
		require.False(t, time.Now().Before(at), "Done closed %v before the deadline", time.Until(at))
	case <-time.After(wait):
		t.Fatalf("Done not closed %v after the deadline", wait)
	}
	require.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
}

func TestDeadlineIsTheEarlierOfTheBudgetAndTheParents(t *testing.T) {
	before := time.Now()
	at, _ := Context(context.Background(), time.Hour).Deadline()
	assert.False(t, at.Before(before.Add(time.Hour)), "deadline %v, budget from %v", at, before)
	assert.False(t, at.After(time.Now().Add(time.Hour)), "deadline %v", at)

	parent, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	want, _ := parent.Deadline()
	got, _ := Context(parent, time.Hour).Deadline()
	assert.Equal(t, want, got, "the parent's earlier deadline")
}

func TestAPastDeadlineIsDoneAtOnce(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		ctx := Context(context.Background(), d)
		select {
		case <-ctx.Done():
		default:
			t.Fatalf("budget %v: Done not closed", d)
		}
		assert.ErrorIs(t, ctx.Err(), context.DeadlineExceeded, "budget %v", d)
	}
}

// The parent's values reach the backend call (a tracer's span, the
// breaker bypass); its cancellation does not: the budget bounds the call.
func TestValuesPassCancellationDoesNot(t *testing.T) {
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	ctx := Context(parent, time.Hour)
	cancel()
	assert.Equal(t, "v", ctx.Value(key{}))
	assert.Nil(t, ctx.Value("other"))
	assert.NoError(t, ctx.Err(), "the parent's cancellation reached the budget context")
	assert.NoError(t, context.Cause(ctx), "the parent's cause")
	short := Context(parent, time.Millisecond)
	select {
	case <-short.Done():
	case <-time.After(wait):
		t.Fatalf("Done not closed %v after a 1ms budget", wait)
	}
	assert.ErrorIs(t, context.Cause(short), context.DeadlineExceeded, "the cause of a budget context past its deadline")
	child, stop := context.WithCancel(ctx)
	defer stop()
	for _, c := range []context.Context{ctx, child} {
		select {
		case <-c.Done():
			t.Fatal("Done closed by the parent's cancellation")
		default:
		}
	}
}

// Many contexts over many slots, their Done waited on from several
// goroutines at once: each closes, none before its deadline, and the
// clock forgets every slot it closed.
func TestManyDeadlinesEachClosesInTurn(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan string, 400)
	for i := range 400 {
		wg.Go(func() {
			ctx := Context(context.Background(), time.Duration(i%40)*time.Millisecond/2)
			at, _ := ctx.Deadline()
			select {
			case <-ctx.Done():
				if time.Now().Before(at) {
					errs <- "closed before its deadline"
				}
				if ctx.Err() == nil {
					errs <- "Done closed, Err nil"
				}
			case <-time.After(wait):
				errs <- "not closed"
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	now := begun(time.Now())
	shared.mu.Lock()
	defer shared.mu.Unlock()
	for slot := range shared.slots {
		assert.Greater(t, slot, now, "a slot kept after it began")
	}
}

// A slot asked for while the timer is set for a later one moves the
// timer earlier.
func TestAnEarlierSlotRearmsTheTimer(t *testing.T) {
	late := Context(context.Background(), time.Hour)
	_ = late.Done()
	early := Context(context.Background(), 10*time.Millisecond)
	select {
	case <-early.Done():
	case <-time.After(wait):
		t.Fatal("an earlier deadline waited for the timer of a later one")
	}
	assert.NoError(t, late.Err())
}

// The pending slots come out of the heap earliest first, however they
// went in and whatever was taken out between.
func TestSlotHeapPopsInOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h slotHeap
	var want []int64
	for range 2000 {
		if len(want) > 0 && rng.IntN(3) == 0 {
			slices.Sort(want)
			require.Equal(t, want[0], heap.Pop(&h))
			want = want[1:]
			continue
		}
		slot := rng.Int64N(500)
		heap.Push(&h, slot)
		want = append(want, slot)
	}
	slices.Sort(want)
	for _, w := range want {
		require.Equal(t, w, heap.Pop(&h))
	}
	assert.Empty(t, h)
}

func TestOneAllocation(t *testing.T) {
	parent := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		ctx := Context(parent, time.Second)
		if ctx.Err() != nil {
			t.Fatal("Err before the deadline")
		}
	})
	// The first use of a slot makes its channel: a few per run of 1000,
	// which AllocsPerRun's integer average rounds away.
	assert.Equal(t, 1.0, allocs, "allocations per budget context")
}

// BenchmarkContext: what a backend call's context costs, the budget
// context against context.WithTimeout, alternated in one process; each
// asks Done once, as go-redis's pool does before every command.
func BenchmarkContext(b *testing.B) {
	parent := context.Background()
	for range 3 {
		b.Run("impl=with-timeout", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ctx, cancel := context.WithTimeout(parent, time.Second)
				select {
				case <-ctx.Done():
					b.Fatal("done before its deadline")
				default:
				}
				cancel()
			}
		})
		b.Run("impl=budget", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ctx := Context(parent, time.Second)
				select {
				case <-ctx.Done():
					b.Fatal("done before its deadline")
				default:
				}
			}
		})
	}
}

// BenchmarkPendingSlots: the process's CPU time per backend call
// (cpu-ns/op) while a budget's worth of slots is pending, one per
// millisecond of the budget, as a steady load leaves them; a call about
// every millisecond (a 100µs sleep, which the runtime's timers round up),
// so the figure holds the sleep's wake-up and whatever closing the slots
// costs beside the calls. A clock whose closing cost grew with the slots
// pending reads more under the longer budgets.
func BenchmarkPendingSlots(b *testing.B) {
	parent := context.Background()
	for _, budget := range []time.Duration{50 * time.Millisecond, 3 * time.Second, 30 * time.Second} {
		b.Run("budget="+budget.String(), func(b *testing.B) {
			for d := time.Millisecond; d <= budget; d += time.Millisecond {
				_ = Context(parent, d).Done()
			}
			start := testutil.CPUTime()
			for b.Loop() {
				_ = Context(parent, budget).Done()
				time.Sleep(100 * time.Microsecond)
			}
			b.ReportMetric(float64(testutil.CPUTime()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}
