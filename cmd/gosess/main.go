// Command gosess is the gosess tool: a demo web app that shares one cache
// region between app data and sessions, secret key generation, session
// cleanup, inspection of a live region, and a quick benchmark.
//
//	gosess demo                       serve the demo app on 127.0.0.1:8080
//	gosess keygen [-force] FILE       write a new secret file (mode 0600)
//	gosess sessions gc                remove expired sessions (file backend)
//	gosess region get|set|delete|invalidate ...
//	gosess bench                      measure the configured region
//
// Every command takes -config FILE (TOML or JSON, see package config) to
// choose regions and makers; without it the in-process "memory" driver is
// used. `gosess COMMAND -h` lists each command's flags.
//
// Exit codes: 0 success, 1 failure, 2 usage error, 3 key not found
// (region get).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes scripts can rely on.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitNotFound = 3
)

// errUsage marks errors in how the command was called.
var errUsage = errors.New("usage")

// errNotFound marks a missing key (exit code 3).
var errNotFound = errors.New("not found")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `gosess: one cache region for app data and sessions

Usage:
  gosess demo [flags]                   serve the demo web app
  gosess keygen [-force] FILE           write a new secret file (0600)
  gosess sessions gc [flags]            remove expired sessions (file backend)
  gosess region get KEY [flags]         print a value
  gosess region set KEY VALUE [flags]   store a string value
  gosess region delete KEY [flags]      delete a key
  gosess region invalidate [flags]      invalidate the region (-soft for soft)
  gosess bench [flags]                  measure the configured region

Run 'gosess COMMAND -h' for a command's flags.
Exit codes: 0 ok, 1 failure, 2 usage error, 3 key not found.
`

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "demo":
		err = cmdDemo(ctx, args[1:], stdout, stderr)
	case "keygen":
		err = cmdKeygen(args[1:], stdout, stderr)
	case "sessions":
		err = cmdSessions(ctx, args[1:], stdout, stderr)
	case "region":
		err = cmdRegion(ctx, args[1:], stdout, stderr)
	case "bench":
		err = cmdBench(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "gosess: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "gosess: %v\n", err)
		return exitUsage
	case errors.Is(err, errNotFound):
		fmt.Fprintf(stderr, "gosess: %v\n", err)
		return exitNotFound
	default:
		fmt.Fprintf(stderr, "gosess: %v\n", err)
		return exitFailure
	}
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: gosess %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags, mapping flag errors to errUsage.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}
