package main

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStaleIsDecidedByOrderOfEvents(t *testing.T) {
	o := newOracle()
	o.ackSpace("4", 1, "#1")
	before := o.now() // a read sent before the write's 2xx arrived
	o.ackSpace("4", 2, "#1")
	after := o.now() // a read sent after it

	assert.Nil(t, o.checkSpace("4", 1, before), "a read concurrent with the write was blamed")
	st := o.checkSpace("4", 1, after)
	require.NotNil(t, st, "a read after the ack returned the old version: %+v, want a staleness wanting 2", st)
	require.Equal(t, 2, st.want, "a read after the ack returned the old version: %+v, want a staleness wanting 2", st)
	require.Equal(t, 1, st.got, "a read after the ack returned the old version: %+v, want a staleness wanting 2", st)
	require.Equal(t, after, st.startsAt, "a read after the ack returned the old version: %+v, want a staleness wanting 2", st)
	require.Less(t, st.ackedAt, after, "a read after the ack returned the old version: %+v, want a staleness wanting 2", st)
	st = o.checkSpace("4", 2, after)
	assert.Nil(t, st, "the acknowledged version was blamed: %+v", st)
	st = o.checkSpace("4", 3, after)
	assert.Nil(t, st, "a newer version (a write not yet acknowledged) was blamed: %+v", st)
	st = o.checkSpace("99", 0, after)
	assert.Nil(t, st, "an unknown space was blamed: %+v", st)
}

func TestAcksOutOfOrderKeepTheHighestVersion(t *testing.T) {
	o := newOracle()
	ref := itemRef{"4", "5"}
	o.ackItem(ref, 1, true, "#1")
	o.ackItem(ref, 3, false, "#1") // two PATCHes: the one that made 3 answered first
	o.ackItem(ref, 2, false, "#1")
	s := o.now()
	st := o.checkItem(ref, 2, s)
	require.NotNil(t, st, "version 2 after version 3 was acknowledged: %+v, want stale", st)
	require.Equal(t, 3, st.want, "version 2 after version 3 was acknowledged: %+v, want stale", st)
	got := len(o.items[ref].steps)
	assert.Equal(t, 2, got, "staircase has %d steps", got)
}

func TestMissingMembersOnlyCountsCreationsAckedBeforeTheRead(t *testing.T) {
	o := newOracle()
	o.ackSpace("4", 1, "#1")
	o.ackItem(itemRef{"4", "5"}, 1, true, "#1")
	s := o.now()
	o.ackItem(itemRef{"4", "9"}, 1, true, "#1") // created while the list was on its way
	assert.Empty(t, o.missingMembers("4", map[string]bool{"5": true}, s), "a list was blamed for an item created after it started")
	got := o.missingMembers("4", map[string]bool{}, s)
	require.Len(t, got, 1, "missing = %+v, want item 5", got)
	assert.Equal(t, "item 5 of space 4 (created)", got[0].what, "missing = %+v, want item 5", got)
	later := o.now()
	got = o.missingMembers("4", map[string]bool{"5": true}, later)
	require.Len(t, got, 1, "missing = %+v, want item 9", got)
	assert.Equal(t, "item 9 of space 4 (created)", got[0].what, "missing = %+v, want item 9", got)
	got = o.missingSpaces(map[string]bool{}, later)
	assert.Len(t, got, 1, "missing spaces")
}

func TestReserveCreateStopsAtMax(t *testing.T) {
	o := newOracle()
	for i := range 3 {
		require.True(t, o.reserveCreate("4", 3), "creation %d refused below the maximum", i)
	}
	require.False(t, o.reserveCreate("4", 3), "a creation past the maximum was allowed")
	require.True(t, o.reserveCreate("6", 3), "another space's creation was refused")
}

// Acks and reads racing: whatever the interleaving, a read requires
// exactly the highest version among the acks whose tick is below its own,
// which holds only because an ack's tick is taken under the lock its
// record is written under (-race checks the rest).
func TestReadsSeeEveryAckWithASmallerTick(t *testing.T) {
	o := newOracle()
	const n = 300
	ackedAt := make([]tick, n+1) // by version
	ackedAt[1] = o.ackSpace("4", 1, "#1")
	type read struct {
		at   tick
		want int
	}
	reads := make([]read, n)
	var wg sync.WaitGroup
	for v := 2; v <= n; v++ {
		wg.Go(func() { ackedAt[v] = o.ackSpace("4", v, "#1") })
		wg.Go(func() {
			s := o.now()
			o.mu.Lock()
			want, _ := o.spaces["4"].required(s)
			o.mu.Unlock()
			reads[v-1] = read{s, want}
		})
	}
	wg.Wait()
	for _, r := range reads[1:] {
		expect := 0
		for v := 1; v <= n; v++ {
			if ackedAt[v] < r.at {
				expect = max(expect, v)
			}
		}
		assert.Equal(t, expect, r.want, "read at tick %d required version %d, but the highest acked before it", r.at, r.want)
	}
}
