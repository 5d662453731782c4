// Package testserver starts real memcached and redis-server processes on
// free loopback ports for tests, so that drivers are tested against the
// servers users run rather than mocks.
//
// When a server binary is missing the test is skipped with a message that
// says how to install it, except under CI=true, where a missing server
// fails the test: CI must never pass by skipping.
package testserver

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is a running server process owned by one test.
type Server struct {
	// Addr is host:port on loopback.
	Addr string
	// Port is the port of Addr.
	Port int

	name string
	argv func(port int) []string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Memcached starts memcached on a free loopback port. extra arguments are
// passed to memcached (for example "-I", "2m" for the item size limit).
// The process is killed when the test ends.
func Memcached(t testing.TB, extra ...string) *Server {
	t.Helper()
	return start(t, "memcached", extra)
}

// Redis starts redis-server on a free loopback port with persistence off.
// extra arguments are appended (for example "--maxmemory", "10mb").
// The process is killed when the test ends.
func Redis(t testing.TB, extra ...string) *Server {
	t.Helper()
	return start(t, "redis-server", extra)
}

// StartMemcached starts memcached as Memcached does, for callers that
// outlive one test (benchmarks sharing a server): the caller kills it.
func StartMemcached(extra ...string) (*Server, error) { return launch("memcached", extra) }

// StartRedis starts redis-server as Redis does; the caller kills it.
func StartRedis(extra ...string) (*Server, error) { return launch("redis-server", extra) }

var argvs = map[string]func(port int, extra []string) []string{
	"memcached": func(port int, extra []string) []string {
		return append([]string{"-l", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "0", "-m", "64", "-u", "root"}, extra...)
	},
	"redis-server": func(port int, extra []string) []string {
		return append([]string{"--bind", "127.0.0.1", "--port", strconv.Itoa(port),
			"--save", "", "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no"}, extra...)
	},
}

// Need reports whether the binary is available: it skips the test when it
// is not (or fails it under CI=true).
func Need(t testing.TB, binary string) string {
	t.Helper()
	path, err := exec.LookPath(binary)
	if err != nil {
		msg := fmt.Sprintf("%s not found on PATH; install it (apt-get install -y memcached redis-server) or run ./scripts/test.sh", binary)
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true: %s", msg)
		}
		t.Skip(msg)
	}
	return path
}

func start(t testing.TB, binary string, extra []string) *Server {
	t.Helper()
	Need(t, binary)
	s, err := launch(binary, extra)
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	t.Cleanup(s.Kill)
	return s
}

func launch(binary string, extra []string) (*Server, error) {
	if _, err := exec.LookPath(binary); err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, fmt.Errorf("free port: %w", err)
	}
	argv := argvs[binary]
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Port: port, name: binary,
		argv: func(port int) []string { return argv(port, extra) }}
	if err := s.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

// Start starts the process (again) on the same port and waits until it
// accepts connections. It is an error if it is already running.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return fmt.Errorf("%s already running on %s", s.name, s.Addr)
	}
	var lastErr error
	for attempt := 0; attempt < 50; attempt++ {
		cmd := exec.Command(s.name, s.argv(s.Port)...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start %s: %w", s.name, err)
		}
		done := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
			}
			_ = cmd.Wait()
			close(done)
		}()
		if err := waitReady(s.Addr, done, 5*time.Second); err == nil {
			s.cmd, s.done = cmd, done
			return nil
		} else {
			lastErr = err
		}
		_ = cmd.Process.Kill()
		<-done
		time.Sleep(100 * time.Millisecond) // port may still be in TIME_WAIT after a restart
	}
	return fmt.Errorf("%s on %s did not start: %v", s.name, s.Addr, lastErr)
}

// Kill stops the process with SIGKILL (as a crash would) and waits for it
// to exit. It is a no-op if the server is not running.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd, s.done = nil, nil
}

// Restart kills the server and starts it again on the same port (with an
// empty store).
func (s *Server) Restart() error {
	s.Kill()
	return s.Start()
}

func waitReady(addr string, done <-chan struct{}, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		select {
		case <-done:
			return fmt.Errorf("process exited")
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Pause stops the server process with SIGSTOP: it keeps its connections
// and its port but answers nothing, as a hung server does. Resume (or
// Kill) ends the pause; Kill works on a paused server too.
func (s *Server) Pause() error { return s.signal(syscall.SIGSTOP) }

// Resume continues a server stopped by Pause (SIGCONT).
func (s *Server) Resume() error { return s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return fmt.Errorf("%s on %s is not running", s.name, s.Addr)
	}
	return s.cmd.Process.Signal(sig)
}
