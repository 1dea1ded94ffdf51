package memory

import (
	"context"
	"testing"
	"time"

	"github.com/intelligentcache/gin-intelligent-cache/backend"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// tokenCount reports how many token cells are held.
func (m *Memory) tokenCount() int {
	n := 0
	for i := range m.tokens {
		s := &m.tokens[i]
		s.mu.Lock()
		n += len(s.cells)
		s.mu.Unlock()
	}
	return n
}

func storeFor(t *testing.T, m *Memory, key, token string, ttl time.Duration) {
	t.Helper()
	tok := backend.Tokens{Names: []string{token}, Values: make([]backend.Token, 1)}
	if err := m.Store(context.Background(), key, &backend.Entry{Status: 200, Body: []byte(key)}, ttl, tok); err != nil {
		t.Fatalf("Store(%q) = %v", key, err)
	}
}

// Expired entries and tokens go without any read touching them, and the
// live ones stay.
func TestMemorySweepRemovesExpired(t *testing.T) {
	clock := testutil.NewClock()
	// The loop's own ticker never fires during the test: sweep is called
	// by hand.
	m, err := New(Options{Now: clock.Now, SweepInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	storeFor(t, m, "short", "t:short", time.Second)
	storeFor(t, m, "long", "t:long", time.Hour)
	if err := m.Renew(context.Background(), []string{"t:renewed"}, time.Second); err != nil {
		t.Fatal(err)
	}
	shard, h := m.token("t:short")
	shortCell := shard.cells[h]
	clock.Advance(2 * time.Second)
	if m.Len() != 2 || m.tokenCount() != 3 {
		t.Fatalf("before the sweep: %d entries, %d tokens; want 2, 3 (nothing read them)", m.Len(), m.tokenCount())
	}
	m.sweep()
	if m.Len() != 1 || m.tokenCount() != 1 {
		t.Fatalf("after the sweep: %d entries, %d tokens; want 1, 1", m.Len(), m.tokenCount())
	}
	if v := shortCell.v.Load(); v != 0 {
		t.Fatalf("a swept token's cell still holds %d; an entry pointing at it would validate", v)
	}
	e, err := m.Lookup(context.Background(), "long", backend.Tokens{Names: []string{"t:long"}, Values: make([]backend.Token, 1)})
	if err != nil || string(e.Body) != "long" {
		t.Fatalf("Lookup of the live entry after the sweep = %v, %v", e, err)
	}
}

// The background loop sweeps on its own, every SweepInterval.
func TestMemorySweepLoop(t *testing.T) {
	clock := testutil.NewClock()
	swept := make(chan struct{})
	m, err := newMemory(Options{Now: clock.Now, SweepInterval: time.Millisecond}, swept)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	storeFor(t, m, "short", "t:short", time.Second)
	clock.Advance(2 * time.Second)
	// The first sweep heard of may have read the clock before Advance; the
	// second began after the first was heard of, so after Advance.
	<-swept
	<-swept
	if m.Len() != 0 || m.tokenCount() != 0 {
		t.Fatalf("after the loop swept: %d entries, %d tokens; want 0, 0", m.Len(), m.tokenCount())
	}
}
