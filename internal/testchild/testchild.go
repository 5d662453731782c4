// Package testchild lets a package's tests re-run their own test binary
// as child processes: real processes that share a server or a directory
// with the test, to show a guarantee across processes (and not only
// across goroutines). An environment variable names the child's role;
// the package's TestMain (Main) runs that role instead of the tests.
package testchild

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"go.uber.org/goleak"
)

// Main is the TestMain of a package whose tests start children. When the
// environment variable env is set, the binary is a child: Main calls run
// with env's value (the role), then exits with status 0 if run returned
// nil, or prints "child <role>: <error>" to standard error and exits with
// status 1. Otherwise Main runs the tests and fails if goroutines are
// left when they end (goleak.VerifyTestMain).
func Main(m *testing.M, env string, run func(role string) error) {
	role := os.Getenv(env)
	if role == "" {
		goleak.VerifyTestMain(m)
		return
	}
	if err := run(role); err != nil {
		fmt.Fprintf(os.Stderr, "child %s: %v\n", role, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// Command returns the command that runs the test binary as a child in
// role (env=role), running no test, with the test's environment and
// extraEnv ("KEY=value") added.
func Command(env, role string, extraEnv ...string) *exec.Cmd {
	return CommandContext(context.Background(), env, role, extraEnv...)
}

// CommandContext is Command with a context that kills the child when it
// is done.
func CommandContext(ctx context.Context, env, role string, extraEnv ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), env+"="+role), extraEnv...)
	return cmd
}
