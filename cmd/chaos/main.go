package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

func main() {
	os.Exit(mainExit(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitPass      = 0
	exitViolation = 1 // a check failed, or the run did not complete
	exitUsage     = 2 // bad flags, or the harness could not run
)

// mainExit runs the command and returns its exit code.
func mainExit(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitPass
	}
	if err != nil {
		fmt.Fprintf(stderr, "chaos: %v\n", err)
		return exitUsage
	}
	gin.SetMode(gin.ReleaseMode)
	if !cfg.verbose {
		// go-redis logs every failed dial through its own logger; the
		// backend already reports failures (-v shows its logs).
		redis.SetLogger(discardLogger{})
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first Ctrl-C the run winds down (and still removes its
	// redis-server); a second one kills the program at once.
	context.AfterFunc(ctx, stop)

	rep, err := run(ctx, cfg, stderr)
	if rep != nil {
		write := rep.writeText
		if cfg.json {
			write = rep.writeJSON
		}
		if werr := write(stdout); werr != nil {
			fmt.Fprintf(stderr, "chaos: writing the report: %v\n", werr)
			return exitUsage
		}
	}
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "chaos: %v\n", err)
		return exitUsage
	case !rep.Passed:
		return exitViolation
	}
	return exitPass
}

// discardLogger silences go-redis's internal logger.
type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}
