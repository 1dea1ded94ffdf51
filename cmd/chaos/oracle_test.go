package main

import (
	"sync"
	"testing"
)

func TestStaleIsDecidedByOrderOfEvents(t *testing.T) {
	o := newOracle()
	o.ackSpace("4", 1, "#1")
	before := o.now() // a read sent before the write's 2xx arrived
	o.ackSpace("4", 2, "#1")
	after := o.now() // a read sent after it

	if st := o.checkSpace("4", 1, before); st != nil {
		t.Errorf("a read concurrent with the write was blamed: %+v", st)
	}
	st := o.checkSpace("4", 1, after)
	if st == nil || st.want != 2 || st.got != 1 || st.startsAt != after || st.ackedAt >= after {
		t.Fatalf("a read after the ack returned the old version: %+v, want a staleness wanting 2", st)
	}
	if st := o.checkSpace("4", 2, after); st != nil {
		t.Errorf("the acknowledged version was blamed: %+v", st)
	}
	if st := o.checkSpace("4", 3, after); st != nil {
		t.Errorf("a newer version (a write not yet acknowledged) was blamed: %+v", st)
	}
	if st := o.checkSpace("99", 0, after); st != nil {
		t.Errorf("an unknown space was blamed: %+v", st)
	}
}

func TestAcksOutOfOrderKeepTheHighestVersion(t *testing.T) {
	o := newOracle()
	ref := itemRef{"4", "5"}
	o.ackItem(ref, 1, true, "#1")
	o.ackItem(ref, 3, false, "#1") // two PATCHes: the one that made 3 answered first
	o.ackItem(ref, 2, false, "#1")
	s := o.now()
	if st := o.checkItem(ref, 2, s); st == nil || st.want != 3 {
		t.Fatalf("version 2 after version 3 was acknowledged: %+v, want stale", st)
	}
	if got := len(o.items[ref].steps); got != 2 {
		t.Errorf("staircase has %d steps, want 2 (the late ack of 2 adds nothing)", got)
	}
}

func TestMissingMembersOnlyCountsCreationsAckedBeforeTheRead(t *testing.T) {
	o := newOracle()
	o.ackSpace("4", 1, "#1")
	o.ackItem(itemRef{"4", "5"}, 1, true, "#1")
	s := o.now()
	o.ackItem(itemRef{"4", "9"}, 1, true, "#1") // created while the list was on its way
	if got := o.missingMembers("4", map[string]bool{"5": true}, s); len(got) != 0 {
		t.Errorf("a list was blamed for an item created after it started: %+v", got)
	}
	got := o.missingMembers("4", map[string]bool{}, s)
	if len(got) != 1 || got[0].what != "item 5 of space 4 (created)" {
		t.Errorf("missing = %+v, want item 5", got)
	}
	later := o.now()
	if got := o.missingMembers("4", map[string]bool{"5": true}, later); len(got) != 1 || got[0].what != "item 9 of space 4 (created)" {
		t.Errorf("missing = %+v, want item 9", got)
	}
	if got := o.missingSpaces(map[string]bool{}, later); len(got) != 1 {
		t.Errorf("missing spaces = %+v, want space 4", got)
	}
}

func TestReserveCreateStopsAtMax(t *testing.T) {
	o := newOracle()
	for i := range 3 {
		if !o.reserveCreate("4", 3) {
			t.Fatalf("creation %d refused below the maximum", i)
		}
	}
	if o.reserveCreate("4", 3) {
		t.Fatal("a creation past the maximum was allowed")
	}
	if !o.reserveCreate("6", 3) {
		t.Fatal("another space's creation was refused")
	}
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
		if r.want != expect {
			t.Errorf("read at tick %d required version %d, but the highest acked before it is %d", r.at, r.want, expect)
		}
	}
}
