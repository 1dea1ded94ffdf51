package testutil

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// startTimeout bounds how long a redis-server may take to answer PING.
const startTimeout = 10 * time.Second

// process is one running redis-server.
type process struct {
	cmd  *exec.Cmd
	port int
	log  string
	done chan struct{} // closed when the process has exited
}

// startServer runs bin on port with persistence off and waits until it
// answers PING. conf is a configuration file to read first ("" for none:
// Sentinel needs one); extra are further arguments (cluster settings).
func startServer(bin, dir string, port int, conf string, extra ...string) (*process, error) {
	logPath := filepath.Join(dir, fmt.Sprintf("redis-%d.log", port))
	var args []string
	if conf != "" {
		args = append(args, conf)
	}
	args = append(args,
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--dir", dir,
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--logfile", logPath,
	)
	p := &process{
		cmd:  exec.Command(bin, append(args, extra...)...),
		port: port,
		log:  logPath,
		done: make(chan struct{}),
	}
	p.cmd.SysProcAttr = childAttr()
	started := make(chan error, 1)
	go func() {
		// The parent-death signal (Linux) fires when the thread that forked
		// the child exits, not the process: keep this thread alive, locked,
		// for as long as the child runs.
		runtime.LockOSThread()
		if err := p.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = p.cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("testutil: starting redis-server: %w", err)
	}
	if err := p.waitReady(); err != nil {
		p.kill()
		return nil, err
	}
	return p, nil
}

// addr is the loopback address the server listens on.
func (p *process) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)) }

// waitReady polls with PING until the server answers, exits or times out.
func (p *process) waitReady() error {
	deadline := time.Now().Add(startTimeout)
	for {
		err := ping(p.addr())
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("testutil: redis-server on port %d exited at start: %s", p.port, p.logTail())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("testutil: redis-server on port %d not ready after %v: %v; log: %s", p.port, startTimeout, err, p.logTail())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ping sends one inline PING over a fresh connection.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected reply %q", line)
	}
	return nil
}

// logTail returns the end of the server's log, for error messages.
func (p *process) logTail() string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	const keep = 2000
	if len(b) > keep {
		b = b[len(b)-keep:]
	}
	return strings.TrimSpace(string(b))
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill ends the process with SIGKILL (which works on a stopped process
// too) and waits for it.
func (p *process) kill() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// freePort returns a loopback TCP port nobody listened on a moment ago.
// Another process may take it before the server binds it: callers retry.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startOnFreePort starts a server on a fresh port, retrying with another
// port when the start fails (most likely a port taken meanwhile).
func startOnFreePort(bin, dir, conf string, extra func(port int) ([]string, error)) (*process, error) {
	var errs []error
	for range 5 {
		port, err := freePort()
		if err != nil {
			return nil, fmt.Errorf("testutil: finding a free port: %w", err)
		}
		args, err := extra(port)
		if err != nil {
			return nil, err
		}
		p, err := startServer(bin, dir, port, conf, args...)
		if err == nil {
			return p, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}
