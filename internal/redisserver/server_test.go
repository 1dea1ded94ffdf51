package redisserver_test

import (
	"bufio"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/intelligentcache/gin-intelligent-cache/internal/redisserver"
	"github.com/intelligentcache/gin-intelligent-cache/internal/testutil"
)

// start starts a server for the test and closes it at cleanup.
func start(t *testing.T, opts redisserver.Options) *redisserver.Server {
	t.Helper()
	opts.Binary = testutil.RealServerBinary(t, "redisserver test")
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	s, err := redisserver.Start(opts)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// command sends one inline command over a fresh connection and returns
// the first line of the reply; a timeout is an error.
func command(addr, cmd string, wait time.Duration) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(wait))
	if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

func mustCommand(t *testing.T, addr, cmd string) string {
	t.Helper()
	reply, err := command(addr, cmd, 5*time.Second)
	require.NoError(t, err, "%s on %s", cmd, addr)
	return reply
}

func TestRestartComesBackEmptyOnTheSamePort(t *testing.T) {
	s := start(t, redisserver.Options{})
	addr := s.Addr()
	got := mustCommand(t, addr, "SET k v")
	require.Equal(t, "+OK", got, "SET")
	got = mustCommand(t, addr, "CONFIG GET save")
	require.Equal(t, "*2", got, "CONFIG GET save")
	require.NoError(t, s.Restart())
	require.Equal(t, addr, s.Addr(), "after Restart: addr %s (was %s), running %v", s.Addr(), addr, s.Running())
	require.True(t, s.Running(), "after Restart: addr %s (was %s), running %v", s.Addr(), addr, s.Running())
	got = mustCommand(t, addr, "EXISTS k")
	require.Equal(t, ":0", got, "EXISTS k after Restart")
}

func TestKillRefusesAndRestartAnswers(t *testing.T) {
	s := start(t, redisserver.Options{})
	s.Kill()
	s.Kill() // a second kill does nothing
	require.False(t, s.Running(), "Running after Kill")
	_, err := command(s.Addr(), "PING", time.Second)
	require.Error(t, err, "a killed server answered")
	err = s.Pause()
	require.ErrorIs(t, err, redisserver.ErrNotRunning, "Pause of a killed server")
	require.NoError(t, s.Restart())
	got := mustCommand(t, s.Addr(), "PING")
	require.Equal(t, "+PONG", got, "PING after Restart")
}

func TestPauseHangsAndResumeAnswersWhatWasSent(t *testing.T) {
	s := start(t, redisserver.Options{})
	require.NoError(t, s.Pause())
	require.True(t, s.Paused(), "Paused %v, Running %v after Pause", s.Paused(), s.Running())
	require.True(t, s.Running(), "Paused %v, Running %v after Pause", s.Paused(), s.Running())
	// The kernel accepts the connection; the server answers nothing.
	_, err := command(s.Addr(), "PING", 200*time.Millisecond)
	var ne net.Error
	require.True(t, errors.As(err, &ne), "PING on a paused server: %v, want a timeout", err)
	require.True(t, ne.Timeout(), "PING on a paused server: %v, want a timeout", err)
	// A request sent while paused is answered after Resume.
	c, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("PING\r\n"))
	require.NoError(t, err)
	require.NoError(t, s.Resume())
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err, "the PING sent while paused: %q, %v", line, err)
	require.Equal(t, "+PONG", strings.TrimSpace(line), "the PING sent while paused: %q, %v", line, err)
	require.False(t, s.Paused(), "Paused after Resume")
}

func TestRestartOfAPausedServer(t *testing.T) {
	s := start(t, redisserver.Options{})
	require.NoError(t, s.Pause())
	require.NoError(t, s.Restart())
	require.False(t, s.Paused(), "still paused after Restart")
	got := mustCommand(t, s.Addr(), "PING")
	require.Equal(t, "+PONG", got, "PING")
}

func TestCloseIsFinal(t *testing.T) {
	s := start(t, redisserver.Options{})
	s.Close()
	s.Close()
	err := s.Restart()
	require.ErrorIs(t, err, redisserver.ErrClosed, "Restart after Close")
	err = s.Resume()
	require.ErrorIs(t, err, redisserver.ErrNotRunning, "Resume after Close")
	_, err = command(s.Addr(), "PING", time.Second)
	require.Error(t, err, "a closed server answered")
}

func TestArgsAndPortArgsSurviveRestart(t *testing.T) {
	var ports []int
	s := start(t, redisserver.Options{
		Args: []string{"--maxmemory", "7mb"},
		PortArgs: func(port int) ([]string, error) {
			ports = append(ports, port)
			return []string{"--databases", "3"}, nil
		},
	})
	require.Len(t, ports, 1, "PortArgs called with %v, want [%d]", ports, s.Port())
	require.Equal(t, s.Port(), ports[0], "PortArgs called with %v, want [%d]", ports, s.Port())
	check := func(when string) {
		t.Helper()
		got := mustCommand(t, s.Addr(), "SELECT 3")
		assert.True(t, strings.HasPrefix(got, "-ERR"), "%s: SELECT 3 = %q, want an error (--databases 3)", when, got)
		c, err := net.Dial("tcp", s.Addr())
		require.NoError(t, err)
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, err = c.Write([]byte("CONFIG GET maxmemory\r\n"))
		require.NoError(t, err)
		r := bufio.NewReader(c)
		var lines []string
		for range 5 {
			line, err := r.ReadString('\n')
			require.NoError(t, err)
			lines = append(lines, strings.TrimSpace(line))
		}
		assert.Equal(t, "7340032", lines[4], "%s: CONFIG GET maxmemory = %q", when, lines)
	}
	check("at start")
	require.NoError(t, s.Restart())
	check("after Restart")
	require.Len(t, ports, 1, "PortArgs called again by Restart")
}

func TestStartFailsClearly(t *testing.T) {
	bin := testutil.RealServerBinary(t, "redisserver test")
	dir := t.TempDir()
	_, err := redisserver.Start(redisserver.Options{Binary: bin})
	assert.ErrorContains(t, err, "Dir", "Start without Dir")
	// A bad argument: the server exits at start, and the error shows its log.
	_, err = redisserver.Start(redisserver.Options{Binary: bin, Dir: dir, Args: []string{"--no-such-option", "1"}})
	assert.ErrorContains(t, err, "exited at start", "Start with a bad argument: %v", err)
	// The port is taken: one attempt only, since the caller chose it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = redisserver.Start(redisserver.Options{Binary: bin, Dir: dir, Port: port, StartTimeout: 2 * time.Second})
	require.Error(t, err, "Start on a taken port succeeded")
	logs, _ := filepath.Glob(filepath.Join(dir, "redis-*.log"))
	assert.NotZero(t, len(logs), "no log file left in Dir")
	_, err = redisserver.Start(redisserver.Options{Binary: filepath.Join(dir, "missing"), Dir: dir})
	assert.ErrorIs(t, err, os.ErrNotExist, "Start of a missing binary")
}
