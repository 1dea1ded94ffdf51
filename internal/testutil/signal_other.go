//go:build !unix

package testutil

import "errors"

var errNoSignals = errors.New("testutil: SIGSTOP and SIGCONT need a Unix system")

func (p *process) stop() error { return errNoSignals }

func (p *process) cont() error { return errNoSignals }
