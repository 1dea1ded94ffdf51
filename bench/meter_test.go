package bench

import (
	"context"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// cpuTime is the CPU time this process has used, garbage collection
// included. On a shared machine other processes stretch wall time, not
// this process's CPU time, so in-process ratios are taken on it.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// redisStats is what INFO says about the work a server has done.
type redisStats struct {
	cpu  time.Duration // used_cpu_user + used_cpu_sys
	cmds int64         // commands processed (a script's own included), INFO itself left out
	// trips counts the server's writes of replies to clients: one per
	// round trip whose replies fit 64 KiB (the server writes at most that
	// per event), so a miss's round trips; a hit of a larger entry counts
	// more, and so does a pipeline the server reads in two parts (reads).
	trips int64
	keys  int64 // keyspace_hits + keyspace_misses: keys read
	mem   int64 // used_memory
	// conns counts the connections the server accepted: each costs a
	// handshake (go-redis sends HELLO and CLIENT SETINFO) whose replies
	// trips counts too. A pool that grows during the window adds them.
	conns int64
	// reads counts the server's reads of requests: one per round trip,
	// unless a request arrives, or fits the client's query buffer, only
	// in part. Redis 7.0 reads at most what that buffer has room for,
	// which it sizes from the connection's earlier requests: a pipeline a
	// few bytes longer than the one before it on its connection is read
	// in two, and when the cut falls in its last command, the server
	// writes the replies of the commands before it first and those of the
	// rest after the second read, so trips counts two for one round trip.
	reads int64
}

func readRedisStats(tb testing.TB, c *redis.Client) redisStats {
	tb.Helper()
	info, err := c.Info(context.Background(), "cpu", "stats", "commandstats", "memory").Result()
	require.NoError(tb, err, "INFO")
	return parseRedisStats(info)
}

func parseRedisStats(info string) redisStats {
	var s redisStats
	var cpu float64
	for line := range strings.SplitSeq(info, "\r\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch {
		case name == "used_cpu_user" || name == "used_cpu_sys":
			f, _ := strconv.ParseFloat(value, 64)
			cpu += f
		case name == "keyspace_hits" || name == "keyspace_misses":
			n, _ := strconv.ParseInt(value, 10, 64)
			s.keys += n
		case name == "total_writes_processed":
			s.trips, _ = strconv.ParseInt(value, 10, 64)
		case name == "total_reads_processed":
			s.reads, _ = strconv.ParseInt(value, 10, 64)
		case name == "total_connections_received":
			s.conns, _ = strconv.ParseInt(value, 10, 64)
		case name == "used_memory":
			s.mem, _ = strconv.ParseInt(value, 10, 64)
		case strings.HasPrefix(name, "cmdstat_") && name != "cmdstat_info":
			calls, _, _ := strings.Cut(strings.TrimPrefix(value, "calls="), ",")
			n, _ := strconv.ParseInt(calls, 10, 64)
			s.cmds += n
		}
	}
	s.cpu = time.Duration(cpu * 1e9)
	return s
}

// redisMeter adds up what a server does while a benchmark's clock runs.
// A nil meter (a contender without Redis) does nothing.
type redisMeter struct {
	tb    testing.TB
	c     *redis.Client
	from  redisStats
	total redisStats
}

func startMeter(tb testing.TB, c *redis.Client) *redisMeter {
	if c == nil {
		return nil
	}
	return &redisMeter{tb: tb, c: c, from: readRedisStats(tb, c)}
}

func (m *redisMeter) pause() {
	if m == nil {
		return
	}
	now := readRedisStats(m.tb, m.c)
	m.total.cpu += now.cpu - m.from.cpu
	m.total.cmds += now.cmds - m.from.cmds
	m.total.keys += now.keys - m.from.keys
	// The reply to the INFO that read m.from was written after it read
	// the counter, so it is counted; the one just read is not.
	m.total.trips += now.trips - m.from.trips - 1
	m.total.conns += now.conns - m.from.conns
	m.total.reads += now.reads - m.from.reads - 1 // the INFO just sent
}

func (m *redisMeter) resume() {
	if m != nil {
		m.from = readRedisStats(m.tb, m.c)
	}
}

// report stops the meter and adds its per-operation metrics to b.
func (m *redisMeter) report(b *testing.B) {
	if m == nil {
		return
	}
	m.pause()
	n := float64(b.N)
	b.ReportMetric(float64(m.total.cpu)/n, "redis-cpu-ns/op")
	b.ReportMetric(float64(m.total.cmds)/n, "redis-cmds/op")
	b.ReportMetric(float64(m.total.keys)/n, "redis-keys/op")
	b.ReportMetric(float64(m.total.trips)/n, "redis-trips/op")
	b.ReportMetric(float64(m.total.conns), "redis-conns")
	b.ReportMetric(float64(m.total.reads)/n, "redis-reads/op")
}
