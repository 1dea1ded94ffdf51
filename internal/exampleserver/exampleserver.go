// Package exampleserver runs the examples' HTTP servers: serve until the
// context ends, then shut down gracefully. One home for what every
// example's run function did the same way.
package exampleserver

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// shutdownWait bounds a graceful shutdown.
const shutdownWait = 5 * time.Second

// Run serves h on addr until ctx ends or the server fails. Once the
// server is started, it calls banner (if not nil) with the base URL a
// browser on this machine would use. When ctx ends it shuts the server
// down, letting requests in flight finish for up to five seconds.
func Run(ctx context.Context, addr string, h http.Handler, banner func(base string)) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	if banner != nil {
		banner(Base(addr))
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), shutdownWait)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Base is the URL of a server listening on addr as a client on this
// machine reaches it: localhost for an empty or unspecified host (the
// admin routes want a localhost Host header).
func Base(addr string) string {
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			return "http://" + net.JoinHostPort("localhost", port)
		}
	}
	return "http://" + addr
}

// Addr is where an example listens: $ADDR, or ":8080".
func Addr() string {
	if addr := os.Getenv("ADDR"); addr != "" {
		return addr
	}
	return ":8080"
}

// Main serves h on Addr until SIGINT or SIGTERM, then shuts down; a
// server failure ends the process. banner is as for Run.
func Main(h http.Handler, banner func(base string)) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, Addr(), h, banner); err != nil {
		log.Fatal(err)
	}
}
