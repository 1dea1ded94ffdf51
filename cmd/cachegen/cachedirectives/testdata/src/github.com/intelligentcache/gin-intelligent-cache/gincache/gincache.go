// Package gincache is a stub of the table types, enough for the
// analyzer's tests.
package gincache

import "time"

type Policy struct {
	TTL          time.Duration
	Stale        time.Duration
	Vary         []string
	Public       bool
	Query        []string
	Invalidate   []string
	NoInvalidate bool
}

type Route struct {
	Method, Path, Handler string
	Policy                Policy
}

type Table []Route
