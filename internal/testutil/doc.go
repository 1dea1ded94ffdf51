// Package testutil starts the real parts the project's tests run against: a
// throwaway redis-server per test, and a three-master Redis Cluster shared
// by the tests of one package.
//
// # Redis
//
// StartRedis starts redis-server on a free loopback port, in a temporary
// directory, with persistence off, and stops it when the test ends. The
// returned *Redis can kill, pause (SIGSTOP), resume and restart the server,
// for fault tests. Each test gets its own server, so tests need no cleanup
// of keys; tests that share a server (the cluster) use Prefix and Flush.
// The processes themselves are run by internal/redisserver, which programs
// outside tests (cmd/chaos) use too.
//
// # No redis-server
//
// When no redis-server binary is on PATH and GINCACHE_REQUIRE_REDIS is not
// set, StartRedis falls back to miniredis (an in-process Redis emulation)
// so that behaviour tests still run, and StartRealRedis, StartCluster and
// RealServerBinary skip the test with a message saying why. With
// GINCACHE_REQUIRE_REDIS=1 (CI sets it) a missing binary fails the test
// instead: a CI run that quietly skipped every Redis test would prove
// nothing.
//
// # The shared cluster
//
// StartCluster starts the cluster once per test binary and hands the same
// one to every test. Call Main from the package's TestMain so it is stopped
// and its files removed when the last test has run:
//
//	func TestMain(m *testing.M) { testutil.Main(m) }
//
// Without Main the nodes are still killed when the test binary exits (on
// Linux, through the parent-death signal), but their temporary directory
// stays behind. Tests must not fault the shared cluster's nodes;
// StartPrivateCluster starts one for a single test, whose nodes Kill and
// Pause may fault.
//
// # Replicas and Sentinel
//
// StartReplica starts a replica of a server and waits until it has synced;
// StartSentinel starts a Sentinel watching a master with a quorum of one,
// so that SENTINEL FAILOVER promotes the replica; Sentinel.Failover asks
// for it, repeating the request while Sentinel has no replica it may yet
// promote. WaitFor polls for such events, which other processes bring
// about in their own time.
//
// # A loaded machine
//
// The tests must pass on a two-core machine that is busy with other work
// (CI runs the ones that once failed there beside a busy loop per core).
// A test that faults nothing gives its Redis backend SocketTimeout and its
// cache Budget, not the production defaults (200ms, 50ms), which a slow
// scheduler passes now and then; a test waits on a condition (WaitFor),
// never on time; the fault tests, whose subject the short defaults are,
// keep them and wait for the state they need before asserting.
package testutil
