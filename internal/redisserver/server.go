package redisserver

import (
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// Errors of a Server; test with errors.Is.
var (
	// ErrNoBinary: no redis-server on PATH (Options.Binary not given).
	ErrNoBinary = errors.New("redisserver: redis-server not found on PATH")
	// ErrNotRunning: Pause or Resume on a server that was killed.
	ErrNotRunning = errors.New("redisserver: the server is not running")
	// ErrClosed: the server was closed; it cannot be restarted.
	ErrClosed = errors.New("redisserver: the server is closed")
)

// DefaultStartTimeout bounds the wait for a new server's first PING answer
// when Options.StartTimeout is 0.
const DefaultStartTimeout = 10 * time.Second

// startAttempts is how many ports Start tries when it picks them itself.
const startAttempts = 5

// Options configures Start.
type Options struct {
	// Binary is the redis-server to run. Default: "redis-server" on PATH
	// (see LookPath).
	Binary string

	// Dir is the server's working directory, where its log
	// (redis-<port>.log) and any file it writes go. It must exist.
	// Required.
	Dir string

	// Port is the loopback port to listen on. 0 picks a free one, and
	// retries the start on another port if it fails (another process may
	// take a free port before the server binds it).
	Port int

	// ConfigFile is a configuration file the server reads before the
	// command-line arguments ("" for none; Sentinel needs one).
	ConfigFile string

	// Args are further command-line arguments ("--replicaof", ...).
	Args []string

	// PortArgs, when set, returns more arguments once the port is known:
	// those that depend on it, such as a cluster node's config file name
	// or bus port. It is called once per port tried.
	PortArgs func(port int) ([]string, error)

	// StartTimeout bounds the wait for the server to answer PING, at the
	// start and at each Restart. Default: DefaultStartTimeout.
	StartTimeout time.Duration
}

// Server is a redis-server process on loopback that can be killed,
// paused, resumed and restarted on the same port. Its methods are safe
// for concurrent use.
type Server struct {
	bin     string
	dir     string
	port    int
	conf    string
	args    []string // Args then PortArgs' output: what Restart passes again
	timeout time.Duration

	mu     sync.Mutex
	proc   *process // nil once killed or closed
	paused bool
	closed bool
	last   *process // the latest process, for LogTail after a kill
}

// LookPath returns the path of redis-server on PATH, or an error wrapping
// ErrNoBinary.
func LookPath() (string, error) {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoBinary, err)
	}
	return path, nil
}

// Start starts redis-server on loopback with persistence off (no RDB
// snapshot, no AOF: a restarted server is empty) and returns once it
// answers PING. Close it when done; on Linux it is also killed if this
// program dies first.
func Start(opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("redisserver: Options.Dir is required")
	}
	if opts.Port < 0 || opts.Port > 65535 {
		return nil, fmt.Errorf("redisserver: port %d out of range", opts.Port)
	}
	if opts.StartTimeout < 0 {
		return nil, fmt.Errorf("redisserver: negative StartTimeout %v", opts.StartTimeout)
	}
	s := &Server{bin: opts.Binary, dir: opts.Dir, conf: opts.ConfigFile, timeout: opts.StartTimeout}
	if s.bin == "" {
		bin, err := LookPath()
		if err != nil {
			return nil, err
		}
		s.bin = bin
	}
	if s.timeout == 0 {
		s.timeout = DefaultStartTimeout
	}
	attempts := 1
	if opts.Port == 0 {
		attempts = startAttempts
	}
	var errs []error
	for range attempts {
		port := opts.Port
		if port == 0 {
			p, err := FreePort()
			if err != nil {
				return nil, fmt.Errorf("redisserver: finding a free port: %w", err)
			}
			port = p
		}
		args := append([]string(nil), opts.Args...)
		if opts.PortArgs != nil {
			more, err := opts.PortArgs(port)
			if err != nil {
				return nil, err
			}
			args = append(args, more...)
		}
		p, err := launch(s.bin, s.dir, port, s.conf, args, s.timeout)
		if err == nil {
			s.port, s.args, s.proc, s.last = port, args, p, p
			return s, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// Addr is the server's host:port on loopback; it stays the same across
// Restart.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Port is the server's port.
func (s *Server) Port() int { return s.port }

// Running reports whether the server process is alive (paused or not).
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc != nil && !s.proc.exited()
}

// Paused reports whether the server is frozen by Pause.
func (s *Server) Paused() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc != nil && s.paused
}

// Kill ends the server abruptly (SIGKILL, which works on a paused server
// too) and waits for it to exit: its connections reset and new ones are
// refused. Restart brings it back. Killing a server that is not running
// does nothing.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.killLocked()
}

func (s *Server) killLocked() {
	if s.proc != nil {
		s.proc.kill()
		s.proc = nil
	}
	s.paused = false
}

// Pause freezes the server with SIGSTOP: the kernel still accepts
// connections and buffers what clients send, but nothing is answered, as
// with a hung Redis. Resume undoes it.
func (s *Server) Pause() error { return s.signal(true) }

// Resume continues a server frozen by Pause (SIGCONT); it then answers
// what was sent meanwhile.
func (s *Server) Resume() error { return s.signal(false) }

func (s *Server) signal(pause bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil || s.proc.exited() {
		return ErrNotRunning
	}
	var err error
	if pause {
		err = s.proc.stop()
	} else {
		err = s.proc.cont()
	}
	if err != nil {
		return err
	}
	s.paused = pause
	return nil
}

// Restart kills the server if it runs (paused or not) and starts an empty
// one on the same port with the same arguments, as a crash and restart
// would (with a new run_id). It returns once the new server answers PING.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.killLocked()
	p, err := launch(s.bin, s.dir, s.port, s.conf, s.args, s.timeout)
	if err != nil {
		return err
	}
	s.proc, s.last = p, p
	return nil
}

// Close kills the server for good; Restart then fails. It is safe to call
// more than once.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.killLocked()
}

// LogTail returns the last lines of the server's log, for error messages.
func (s *Server) LogTail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last.logTail()
}
