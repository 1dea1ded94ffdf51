package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Percentiles read from the histogram are within 1/128 of the exact ones
// (nearest rank), over latencies spread from nanoseconds to seconds.
func TestHistogramQuantilesWithinBucketPrecision(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h, other histogram
	var all []time.Duration
	for i := range 100_000 {
		d := time.Duration(math.Exp(rng.Float64() * math.Log(float64(5*time.Second))))
		all = append(all, d)
		if i%3 == 0 {
			other.add(d)
		} else {
			h.add(d)
		}
	}
	h.merge(&other)
	slices.Sort(all)
	for _, q := range []float64{0, 0.001, 0.5, 0.9, 0.99, 0.999, 1} {
		rank := max(int(math.Ceil(q*float64(len(all)))), 1)
		exact, got := all[rank-1], h.quantile(q)
		diff := math.Abs(float64(got - exact))
		assert.LessOrEqual(t, diff, float64(exact)/128+1, "q%v: %v, exact %v", q, got, exact)
	}
	assert.Equal(t, all[len(all)-1], h.max, "max %v, quantile(1) %v, want %v", h.max, h.quantile(1), all[len(all)-1])
	assert.Equal(t, h.max, h.quantile(1), "max %v, quantile(1) %v, want %v", h.max, h.quantile(1), all[len(all)-1])
}

func TestHistogramEdges(t *testing.T) {
	var h histogram
	require.Equal(t, time.Duration(0), h.quantile(0.5), "an empty histogram reports something")
	require.Equal(t, (latencies{}), h.summary(), "an empty histogram reports something")
	for _, d := range []time.Duration{3, 127, 128, 129} {
		h.add(d)
	}
	got := h.quantile(0.25)
	assert.Equal(t, time.Duration(3), got, "small durations are exact")
	got = h.quantile(0.5)
	assert.Equal(t, time.Duration(127), got, "q0.5")
	h.add(-time.Second)           // a clock step back counts as 0
	h.add(time.Duration(1) << 50) // past the last bucket
	assert.Equal(t, time.Duration(1)<<50, h.quantile(1), "q1 %v, q0.01 %v", h.quantile(1), h.quantile(0.01))
	assert.Equal(t, time.Duration(0), h.quantile(0.01), "q1 %v, q0.01 %v", h.quantile(1), h.quantile(0.01))
	for i := range histBuckets {
		require.Equal(t, i, bucket(midpoint(i)), "bucket %d's midpoint %v falls in bucket", i, midpoint(i))
	}
}
