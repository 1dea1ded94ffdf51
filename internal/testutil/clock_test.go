package testutil

import (
	"sync"
	"testing"
	"time"
)

func TestClockAdvances(t *testing.T) {
	c := NewClock()
	start := c.Now()
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { c.Advance(time.Second) })
	}
	wg.Wait()
	if got := c.Now().Sub(start); got != 10*time.Second {
		t.Fatalf("ten concurrent one-second advances moved the clock %v", got)
	}
}
