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
	if err != nil {
		t.Fatal(err)
	}
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
	if err != nil {
		t.Fatalf("%s on %s: %v", cmd, addr, err)
	}
	return reply
}

func TestRestartComesBackEmptyOnTheSamePort(t *testing.T) {
	s := start(t, redisserver.Options{})
	addr := s.Addr()
	if got := mustCommand(t, addr, "SET k v"); got != "+OK" {
		t.Fatalf("SET: %q", got)
	}
	if got := mustCommand(t, addr, "CONFIG GET save"); got != "*2" {
		t.Fatalf("CONFIG GET save: %q", got)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.Addr() != addr || !s.Running() {
		t.Fatalf("after Restart: addr %s (was %s), running %v", s.Addr(), addr, s.Running())
	}
	if got := mustCommand(t, addr, "EXISTS k"); got != ":0" {
		t.Fatalf("EXISTS k after Restart = %q, want :0 (nothing persisted)", got)
	}
}

func TestKillRefusesAndRestartAnswers(t *testing.T) {
	s := start(t, redisserver.Options{})
	s.Kill()
	s.Kill() // a second kill does nothing
	if s.Running() {
		t.Fatal("Running after Kill")
	}
	if _, err := command(s.Addr(), "PING", time.Second); err == nil {
		t.Fatal("a killed server answered")
	}
	if err := s.Pause(); !errors.Is(err, redisserver.ErrNotRunning) {
		t.Fatalf("Pause of a killed server: %v, want ErrNotRunning", err)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if got := mustCommand(t, s.Addr(), "PING"); got != "+PONG" {
		t.Fatalf("PING after Restart: %q", got)
	}
}

func TestPauseHangsAndResumeAnswersWhatWasSent(t *testing.T) {
	s := start(t, redisserver.Options{})
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if !s.Paused() || !s.Running() {
		t.Fatalf("Paused %v, Running %v after Pause", s.Paused(), s.Running())
	}
	// The kernel accepts the connection; the server answers nothing.
	_, err := command(s.Addr(), "PING", 200*time.Millisecond)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("PING on a paused server: %v, want a timeout", err)
	}
	// A request sent while paused is answered after Resume.
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "+PONG" {
		t.Fatalf("the PING sent while paused: %q, %v", line, err)
	}
	if s.Paused() {
		t.Fatal("Paused after Resume")
	}
}

func TestRestartOfAPausedServer(t *testing.T) {
	s := start(t, redisserver.Options{})
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.Paused() {
		t.Fatal("still paused after Restart")
	}
	if got := mustCommand(t, s.Addr(), "PING"); got != "+PONG" {
		t.Fatalf("PING: %q", got)
	}
}

func TestCloseIsFinal(t *testing.T) {
	s := start(t, redisserver.Options{})
	s.Close()
	s.Close()
	if err := s.Restart(); !errors.Is(err, redisserver.ErrClosed) {
		t.Fatalf("Restart after Close: %v, want ErrClosed", err)
	}
	if err := s.Resume(); !errors.Is(err, redisserver.ErrNotRunning) {
		t.Fatalf("Resume after Close: %v, want ErrNotRunning", err)
	}
	if _, err := command(s.Addr(), "PING", time.Second); err == nil {
		t.Fatal("a closed server answered")
	}
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
	if len(ports) != 1 || ports[0] != s.Port() {
		t.Fatalf("PortArgs called with %v, want [%d]", ports, s.Port())
	}
	check := func(when string) {
		t.Helper()
		if got := mustCommand(t, s.Addr(), "SELECT 3"); !strings.HasPrefix(got, "-ERR") {
			t.Errorf("%s: SELECT 3 = %q, want an error (--databases 3)", when, got)
		}
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("CONFIG GET maxmemory\r\n")); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(c)
		var lines []string
		for range 5 {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, strings.TrimSpace(line))
		}
		if lines[4] != "7340032" {
			t.Errorf("%s: CONFIG GET maxmemory = %q, want 7340032", when, lines)
		}
	}
	check("at start")
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	check("after Restart")
	if len(ports) != 1 {
		t.Fatalf("PortArgs called again by Restart: %v", ports)
	}
}

func TestStartFailsClearly(t *testing.T) {
	bin := testutil.RealServerBinary(t, "redisserver test")
	dir := t.TempDir()
	if _, err := redisserver.Start(redisserver.Options{Binary: bin}); err == nil || !strings.Contains(err.Error(), "Dir") {
		t.Errorf("Start without Dir: %v", err)
	}
	// A bad argument: the server exits at start, and the error shows its log.
	_, err := redisserver.Start(redisserver.Options{Binary: bin, Dir: dir, Args: []string{"--no-such-option", "1"}})
	if err == nil || !strings.Contains(err.Error(), "exited at start") {
		t.Errorf("Start with a bad argument: %v", err)
	}
	// The port is taken: one attempt only, since the caller chose it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = redisserver.Start(redisserver.Options{Binary: bin, Dir: dir, Port: port, StartTimeout: 2 * time.Second})
	if err == nil {
		t.Fatal("Start on a taken port succeeded")
	}
	if logs, _ := filepath.Glob(filepath.Join(dir, "redis-*.log")); len(logs) == 0 {
		t.Error("no log file left in Dir")
	}
	if _, err := redisserver.Start(redisserver.Options{Binary: filepath.Join(dir, "missing"), Dir: dir}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Start of a missing binary: %v, want ErrNotExist", err)
	}
}
