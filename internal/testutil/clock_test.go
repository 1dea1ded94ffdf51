package testutil

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestClockAdvances(t *testing.T) {
	c := NewClock()
	start := c.Now()
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { c.Advance(time.Second) })
	}
	wg.Wait()
	got := c.Now().Sub(start)
	require.Equal(t, 10*time.Second, got, "ten concurrent one-second advances moved the clock")
}
