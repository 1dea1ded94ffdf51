// Package gincache caches Gin GET responses and invalidates them when
// writes succeed.
package gincache
