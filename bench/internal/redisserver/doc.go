// Package redisserver starts a throwaway redis-server for the benchmarks:
// on a free loopback port, persistence off, in a temporary directory that
// Stop removes.
//
// The main module's internal/testutil does the same for its tests, but an
// internal package cannot be imported from another module, and the bench
// module is one.
//
// # Use
//
//	srv, err := redisserver.Start(redisserver.Options{})
//	if errors.Is(err, redisserver.ErrNoBinary) { ... skip, or fail under GINCACHE_REQUIRE_REDIS }
//	defer srv.Stop()
//	client := redis.NewClient(&redis.Options{Addr: srv.Addr()})
package redisserver
