package main

import (
	"math"
	"math/bits"
	"time"
)

// histogram counts durations in log-linear buckets, so that a run of any
// length takes the same memory: durations below 128ns each have a bucket,
// and above, every power of two is split in 64, so a percentile read from
// it is within 1/128 (0.8%) of the true value. The maximum is kept
// exactly.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	max    time.Duration
}

const (
	histSub = 64 // buckets per power of two
	// histBuckets covers durations up to 2^40ns (18 minutes); longer ones
	// land in the last bucket.
	histBuckets = (40-6)*histSub + 2*histSub
)

// bucket returns the index of d's bucket.
func bucket(d time.Duration) int {
	v := uint64(max(d, 0))
	if v < 2*histSub {
		return int(v)
	}
	shift := bits.Len64(v) - 7 // keep the top 7 bits: 64..127
	return min(shift*histSub+int(v>>shift), histBuckets-1)
}

// midpoint is the duration a bucket stands for in percentiles.
func midpoint(i int) time.Duration {
	if i < 2*histSub {
		return time.Duration(i)
	}
	shift := i/histSub - 1
	mantissa := uint64(i - shift*histSub)
	return time.Duration(mantissa<<shift + 1<<(shift-1))
}

func (h *histogram) add(d time.Duration) {
	h.counts[bucket(d)]++
	h.n++
	h.max = max(h.max, d)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the duration at rank ceil(q*n) (nearest rank), or 0 on
// an empty histogram.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(max(math.Ceil(q*float64(h.n)), 1))
	if rank >= h.n {
		return h.max
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(midpoint(i), h.max)
		}
	}
	return h.max
}

// latencies summarises a histogram, in milliseconds.
type latencies struct {
	P50  float64 `json:"p50_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p99_9_ms"`
	Max  float64 `json:"max_ms"`
}

func (h *histogram) summary() latencies {
	return latencies{P50: ms(h.quantile(0.50)), P99: ms(h.quantile(0.99)), P999: ms(h.quantile(0.999)), Max: ms(h.max)}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
