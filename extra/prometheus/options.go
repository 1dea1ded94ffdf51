package gincacheprom

import "github.com/prometheus/client_golang/prometheus"

// DefaultNamespace prefixes every metric name.
const DefaultNamespace = "gincache"

// DefaultBuckets are the Observer's histogram buckets, in seconds: from
// 10µs (a memory lookup takes a few hundred nanoseconds, a Redis one tens
// of microseconds on loopback) to 1s.
var DefaultBuckets = []float64{
	.00001, .000025, .00005, .0001, .00025, .0005,
	.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1,
}

// Option configures NewCollector and NewObserver.
type Option func(*options)

type options struct {
	namespace   string
	constLabels prometheus.Labels
	buckets     []float64
}

func newOptions(opts []Option) options {
	o := options{namespace: DefaultNamespace, buckets: DefaultBuckets}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithNamespace replaces the "gincache" prefix of the metric names, for
// an application with several caches (or use WithConstLabels, which keeps
// the names and so the dashboards).
func WithNamespace(ns string) Option {
	return func(o *options) { o.namespace = ns }
}

// WithConstLabels adds labels with fixed values to every series, such as
// cache="sessions" when an application runs several caches.
func WithConstLabels(l prometheus.Labels) Option {
	return func(o *options) { o.constLabels = l }
}

// WithBuckets sets the Observer's histogram buckets, in seconds. Default:
// DefaultBuckets. The Collector ignores it.
func WithBuckets(b []float64) Option {
	return func(o *options) { o.buckets = b }
}
