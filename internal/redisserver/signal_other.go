//go:build !unix

package redisserver

import "errors"

var errNoSignals = errors.New("redisserver: SIGSTOP and SIGCONT need a Unix system")

func (p *process) stop() error { return errNoSignals }

func (p *process) cont() error { return errNoSignals }
