package gincacheprom

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/intelligentcache/gin-intelligent-cache/gincache"
)

// Observer is a gincache.Observer that feeds a histogram of backend call
// latency, and the prometheus.Collector of that histogram. Pass it to
// gincache.New with gincache.WithObserver and register it.
type Observer struct {
	hist *prometheus.HistogramVec
}

var (
	_ gincache.Observer    = (*Observer)(nil)
	_ prometheus.Collector = (*Observer)(nil)
)

// NewObserver returns an Observer; WithNamespace, WithConstLabels and
// WithBuckets apply.
func NewObserver(opts ...Option) *Observer {
	o := newOptions(opts)
	return &Observer{
		hist: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace:   o.namespace,
			Name:        "backend_call_duration_seconds",
			Help:        "Time spent in backend calls made for requests, by operation (lookup, store, invalidate, epoch) and route.",
			ConstLabels: o.constLabels,
			Buckets:     o.buckets,
		}, []string{"op", "method", "route"}),
	}
}

// ObserveBackend implements gincache.Observer. It runs on the request
// path: a label lookup and an atomic add, no allocation
// (BenchmarkObserveBackend). Failed calls are timed too; they are
// counted by gincache_backend_errors_total.
func (o *Observer) ObserveBackend(op gincache.BackendOp, method, route string, d time.Duration, _ error) {
	o.hist.WithLabelValues(string(op), method, route).Observe(d.Seconds())
}

// Describe implements prometheus.Collector.
func (o *Observer) Describe(ch chan<- *prometheus.Desc) { o.hist.Describe(ch) }

// Collect implements prometheus.Collector.
func (o *Observer) Collect(ch chan<- prometheus.Metric) { o.hist.Collect(ch) }
