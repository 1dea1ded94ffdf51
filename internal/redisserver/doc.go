// Package redisserver runs throwaway redis-server processes on loopback
// and faults them: kill, pause (SIGSTOP), resume (SIGCONT) and restart on
// the same port. The tests' helpers (internal/testutil) and the chaos
// harness (cmd/chaos) both use it.
//
// # Servers
//
// Start runs redis-server in a directory the caller owns, bound to
// 127.0.0.1 only, with persistence off, so that a Restart comes back
// empty, as a crashed cache server without persistence does. With Port 0
// it picks a free port and retries on another one if the start fails.
//
// # Faults
//
// Kill is SIGKILL: connections reset, new ones are refused. Pause is
// SIGSTOP: the kernel keeps accepting connections and buffering requests
// but nothing answers, which is how a hung server looks to a client, the
// hardest failure to detect quickly. Resume is SIGCONT: the server answers
// what was buffered. Restart kills and starts an empty server on the same
// port.
//
// # Cleanup
//
// Close kills the server. On Linux the process is also started with a
// parent-death signal, so a program that dies without calling Close (a
// crashed test, a harness killed with SIGKILL) leaves no redis-server
// behind. Elsewhere only Close stops it.
package redisserver
