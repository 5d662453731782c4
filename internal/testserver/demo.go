package testserver

import (
	"bufio"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/testlog"
)

// Demo is a `gosess demo` process owned by one test.
type Demo struct {
	// URL is the demo's base URL, http://127.0.0.1:PORT (no trailing
	// slash).
	URL string
	// Stderr is what the demo logged so far.
	Stderr *testlog.Buffer
}

// demoLine is the line the demo prints once it listens: "gosess demo:
// http://127.0.0.1:PORT/ (region ...)".
var demoLine = regexp.MustCompile(`^gosess demo: (http://\S+/) `)

// StartDemo starts cmd, a `gosess demo` command line (a built binary, or
// a test binary that runs as the command), and returns once the demo
// listens. cmd's output is taken over: standard error is kept in
// Demo.Stderr. When the test ends the demo is interrupted (SIGINT), as a
// user stops it, and the test fails unless it exits cleanly within 10
// seconds.
func StartDemo(t testing.TB, cmd *exec.Cmd) *Demo {
	t.Helper()
	d := &Demo{Stderr: new(testlog.Buffer)}
	cmd.Stderr = d.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("demo exited with %v\n%s", err, d.Stderr)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Errorf("demo did not stop on SIGINT\n%s", d.Stderr)
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := demoLine.FindStringSubmatch(sc.Text()); m != nil {
				addr <- strings.TrimSuffix(m[1], "/")
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case d.URL = <-addr:
		return d
	case err := <-done:
		t.Fatalf("demo exited before listening: %v\n%s", err, d.Stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("demo did not start\n%s", d.Stderr)
	}
	return nil
}
