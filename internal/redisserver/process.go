package redisserver

import (
	"bufio"
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

// process is one run of redis-server: a Server starts a new one at each
// Restart.
type process struct {
	cmd  *exec.Cmd
	port int
	log  string
	done chan struct{} // closed when the process has exited
}

// launch runs bin on port with persistence off and waits until it
// answers PING. conf is a configuration file to read first ("" for none);
// args are further arguments.
func launch(bin, dir string, port int, conf string, args []string, timeout time.Duration) (*process, error) {
	logPath := filepath.Join(dir, fmt.Sprintf("redis-%d.log", port))
	var all []string
	if conf != "" {
		all = append(all, conf)
	}
	all = append(all,
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--dir", dir,
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--logfile", logPath,
	)
	p := &process{
		cmd:  exec.Command(bin, append(all, args...)...),
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
		return nil, fmt.Errorf("redisserver: starting %s: %w", bin, err)
	}
	if err := p.waitReady(timeout); err != nil {
		p.kill()
		return nil, err
	}
	return p, nil
}

// addr is the loopback address the server listens on.
func (p *process) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)) }

// waitReady polls with PING until the server answers, exits or times out.
func (p *process) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ping(p.addr())
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("redisserver: redis-server on port %d exited at start: %s", p.port, p.logTail())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redisserver: redis-server on port %d not ready after %v: %v; log: %s", p.port, timeout, err, p.logTail())
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

// FreePort returns a loopback TCP port nobody listened on a moment ago.
// Another process may take it before a server binds it, which is why
// Start retries on another port when it picked the port itself.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
