// Package logopt is the one implementation of the WithLogger options of
// gincache and admin.
package logopt

import (
	"errors"
	"log/slog"
)

// With returns an option that sets the logger field of a config, which
// field returns, to l; the option fails on a nil logger.
func With[C any](l *slog.Logger, field func(*C) **slog.Logger) func(*C) error {
	return func(c *C) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		*field(c) = l
		return nil
	}
}

// OrDefault is l, or slog.Default() when l is nil (no WithLogger).
func OrDefault(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
