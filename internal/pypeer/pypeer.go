// Package pypeer runs Python dogpile.cache peers for gosess's tests: a
// small Python program (testdata/peer.py, embedded) that configures a
// dogpile.cache region with the JSON serializer and runs a list of steps
// (set, get, get_or_create, memoized calls, raw bytes ...), printing one
// JSON line per step. Tests use it to check gosess's "dogpile" format
// against the real library, not a reimplementation of it.
//
// The interpreter is Debian's /usr/bin/python3 with Debian's
// python3-dogpile.cache, python3-pymemcache and python3-redis
// (scripts/test.sh installs them). When they are missing the test is
// skipped with a message saying how to install them, except under
// CI=true, where it fails: CI must never pass by skipping.
package pypeer

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// Interpreter is the Python the peers run with: Debian's, where Debian's
// python3-dogpile.cache and friends are installed (a python3 earlier on
// PATH, a virtualenv or pyenv shim, may not have them).
const Interpreter = "/usr/bin/python3"

// Packages are the Debian packages the peers need.
var Packages = []string{"python3-dogpile.cache", "python3-pymemcache", "python3-redis"}

//go:embed testdata/peer.py
var peerSource []byte

var (
	checkOnce sync.Once
	checkErr  error
)

// Need skips the test (fails it under CI=true) unless Interpreter runs and
// imports dogpile.cache 1.1 or later, pymemcache and redis.
func Need(t testing.TB) {
	t.Helper()
	checkOnce.Do(func() {
		out, err := exec.Command(Interpreter, "-c",
			"import dogpile, dogpile.cache, pymemcache, redis; "+
				"v = tuple(int(x) for x in dogpile.__version__.split('.')[:2]); "+
				"assert v >= (1, 1), dogpile.__version__; print(dogpile.__version__)").CombinedOutput()
		if err != nil {
			checkErr = fmt.Errorf("%s with dogpile.cache >= 1.1, pymemcache and redis is needed: %v: %s", Interpreter, err, bytes.TrimSpace(out))
		}
	})
	if checkErr != nil {
		msg := fmt.Sprintf("%v; install them (apt-get install -y %s) or run ./scripts/test.sh", checkErr, strings.Join(Packages, " "))
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true: %s", msg)
		}
		t.Skip(msg)
	}
}

// Region is the Python region a peer configures: make_region with the
// JSON serializer and deserializer, then configure(Backend,
// expiration_time=ExpirationTime, arguments=Arguments).
type Region struct {
	// Backend is dogpile's backend name: "dogpile.cache.memory",
	// "dogpile.cache.pymemcache", "dogpile.cache.redis" ...
	Backend string `json:"backend"`
	// ExpirationTime is the region's expiration_time in seconds; nil is
	// None (never).
	ExpirationTime *float64 `json:"expiration_time,omitempty"`
	// Arguments are the backend's arguments.
	Arguments map[string]any `json:"arguments,omitempty"`
	// Mangler is "sha1" for key_mangler=sha1_mangle_key, "" for none.
	Mangler string `json:"mangler,omitempty"`
}

// Step is one step of a peer (see testdata/peer.py for the ops and their
// fields).
type Step map[string]any

// Result is what a peer printed for one step.
type Result map[string]any

// OK reports whether the step succeeded.
func (r Result) OK() bool { b, _ := r["ok"].(bool); return b }

// Error is the Python exception of a failed step, "Type: message".
func (r Result) Error() string { s, _ := r["error"].(string); return s }

// Hit reports whether a get step found a value.
func (r Result) Hit() bool { b, _ := r["hit"].(bool); return b }

// Run runs a peer with the steps to its end and returns one Result per
// step. A peer that fails to start, dies, or prints something that is
// not a result line is an error (with its stderr).
func Run(ctx context.Context, reg Region, steps ...Step) ([]Result, error) {
	p, err := Start(ctx, reg, steps...)
	if err != nil {
		return nil, err
	}
	var out []Result
	for {
		r, err := p.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			_ = p.Wait()
			return out, err
		}
		out = append(out, r)
	}
	if err := p.Wait(); err != nil {
		return out, err
	}
	if len(out) != len(steps) {
		return out, fmt.Errorf("pypeer: %d results for %d steps", len(out), len(steps))
	}
	return out, nil
}

// Peer is a running Python peer.
type Peer struct {
	cmd    *exec.Cmd
	out    *bufio.Scanner
	stderr bytes.Buffer
}

// Start starts a peer that runs steps; read its results with Next as it
// goes, then Wait. The process is killed when ctx ends.
func Start(ctx context.Context, reg Region, steps ...Step) (*Peer, error) {
	req, err := json.Marshal(map[string]any{"region": reg, "steps": steps})
	if err != nil {
		return nil, fmt.Errorf("pypeer: request: %w", err)
	}
	// The program is passed with -c, so that no file is left behind.
	p := &Peer{cmd: exec.CommandContext(ctx, Interpreter, "-c", string(peerSource))}
	p.cmd.Stdin = bytes.NewReader(req)
	p.cmd.Stderr = &p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("pypeer: %w", err)
	}
	p.out = bufio.NewScanner(stdout)
	p.out.Buffer(make([]byte, 0, 64<<10), 16<<20)
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("pypeer: start %s: %w", Interpreter, err)
	}
	return p, nil
}

// Next returns the next step's result; io.EOF once the peer has printed
// its last.
func (p *Peer) Next() (Result, error) {
	if !p.out.Scan() {
		if err := p.out.Err(); err != nil {
			return nil, fmt.Errorf("pypeer: read: %w", err)
		}
		return nil, io.EOF
	}
	var r Result
	if err := json.Unmarshal(p.out.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("pypeer: not a result line %q: %w", p.out.Bytes(), err)
	}
	return r, nil
}

// Wait waits for the peer to exit. An exit status other than 0 is an
// error carrying the peer's stderr.
func (p *Peer) Wait() error {
	for p.out.Scan() { // drain, so the peer never blocks on a full pipe
	}
	if err := p.cmd.Wait(); err != nil {
		return fmt.Errorf("pypeer: peer failed: %w\n%s", err, p.stderr.Bytes())
	}
	return nil
}

// Seconds is a helper for Region.ExpirationTime.
func Seconds(s float64) *float64 { return &s }
