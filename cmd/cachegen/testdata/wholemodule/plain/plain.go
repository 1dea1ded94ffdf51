// Package plain has no directives: it gets no table.
package plain

// Addr is where the application listens.
func Addr() string { return "127.0.0.1:0" }
