package file

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gosess/gosess/internal/testchild"
)

// childEnv names the environment variable that turns the test binary into
// a helper process (see runChild); the tests re-execute themselves to get
// real separate processes that hold flocks and are SIGKILLed.
const childEnv = "GOSESS_FILE_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	goleak.VerifyTestMain(m)
}

// child is a helper process started by a test.
type child struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
	done  chan struct{}
}

// startChild re-executes the test binary in helper mode with the given
// environment (KEY=VALUE).
func startChild(t *testing.T, mode string, env ...string) *child {
	t.Helper()
	// GORACE: a race-enabled binary otherwise sleeps 1s at exit.
	cmd := testchild.Command(childEnv, mode, append([]string{"GORACE=atexit_sleep_ms=0 halt_on_error=1"}, env...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout), done: make(chan struct{})}
	t.Cleanup(func() { c.kill() })
	return c
}

// expect reads the child's next output line and fails unless it starts
// with want. It returns the line.
func (c *child) expect(want string) string {
	c.t.Helper()
	line := make(chan string, 1)
	go func() {
		if c.out.Scan() {
			line <- c.out.Text()
		} else {
			line <- "<EOF: " + fmt.Sprint(c.out.Err()) + ">"
		}
	}()
	select {
	case l := <-line:
		if !strings.HasPrefix(l, want) {
			c.kill()
			c.t.Fatalf("child %s said %q; want %q", c.cmd.Args, l, want)
		}
		return l
	case <-time.After(30 * time.Second):
		c.kill()
		c.t.Fatalf("child did not say %q within 30s", want)
	}
	return ""
}

// send writes a line to the child's stdin.
func (c *child) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.stdin, s+"\n"); err != nil {
		c.t.Fatalf("write to child: %v", err)
	}
}

// kill SIGKILLs the child and reaps it. Safe to call twice.
func (c *child) kill() {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	_ = c.cmd.Wait()
	close(c.done)
}

// wait waits for the child to exit on its own and fails unless it succeeded.
func (c *child) wait() {
	c.t.Helper()
	c.stdin.Close()
	err := c.cmd.Wait()
	close(c.done)
	if err != nil {
		c.t.Fatalf("child %s: %v", c.cmd.Args, err)
	}
}
