package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gosess/gosess/backends/file"
	"github.com/gosess/gosess/cookie"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
)

func cmdKeygen(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("keygen", "keygen [-force] FILE", stderr)
	force := fs.Bool("force", false, "overwrite an existing file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: keygen takes one FILE", errUsage)
	}
	path := fs.Arg(0)
	if _, err := cookie.WriteSecret(path, *force); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote a new %d-byte secret to %s (mode 0600)\n", cookie.SecretSize, path)
	return nil
}

func cmdSessions(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "gc" {
		fmt.Fprintln(stderr, "Usage: gosess sessions gc [-config FILE] [-maker NAME] [-dir DIR]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return fmt.Errorf("%w: sessions takes the subcommand gc", errUsage)
	}
	fs := newFlags("sessions gc", "sessions gc [-config FILE -maker NAME | -dir DIR]", stderr)
	var s storeFlags
	s.register(fs)
	dir := fs.String("dir", "", "session directory of the file backend (instead of -config)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	log := s.logger(stderr)
	var backend session.Backend
	switch {
	case *dir != "" && s.configFile != "":
		return fmt.Errorf("%w: give -dir or -config, not both", errUsage)
	case *dir != "":
		b, err := file.Open(*dir, file.Options{})
		if err != nil {
			return err
		}
		backend = b
	case s.configFile != "":
		e, err := s.open(log)
		if err != nil {
			return err
		}
		defer e.Close()
		if e.maker == nil {
			return fmt.Errorf("%w: %s has no session maker %q", errUsage, s.configFile, s.makerName)
		}
		backend = e.maker.Backend()
	default:
		return fmt.Errorf("%w: sessions gc needs -dir or -config", errUsage)
	}
	start := time.Now()
	var n int
	var err error
	switch b := backend.(type) {
	case interface {
		CleanupProgress(context.Context, func(scanned, removed int)) (int, error)
	}:
		last := time.Now()
		n, err = b.CleanupProgress(ctx, func(scanned, removed int) {
			if time.Since(last) >= 200*time.Millisecond {
				last = time.Now()
				fmt.Fprintf(stderr, "\rscanned %d sessions, removed %d expired", scanned, removed)
			}
		})
		fmt.Fprintf(stderr, "\r")
	case session.Cleaner:
		stop := progress(stderr, "removing expired sessions")
		n, err = b.Cleanup(ctx)
		stop()
	default:
		return fmt.Errorf("%w: this session backend evicts expired sessions itself; nothing to clean", errUsage)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "removed %d expired sessions in %v\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}

// progress shows a spinner with the elapsed time on w until the returned
// stop is called.
func progress(w io.Writer, what string) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		start := time.Now()
		frames := `|/-\`
		for i := 0; ; i++ {
			select {
			case <-done:
				if i > 0 {
					fmt.Fprintf(w, "\r%s: done in %v\n", what, time.Since(start).Round(time.Millisecond))
				}
				return
			case <-t.C:
				fmt.Fprintf(w, "\r%s %c %v", what, frames[i%len(frames)], time.Since(start).Round(time.Second))
			}
		}
	}()
	return func() { close(done); <-finished }
}

func cmdRegion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const syn = "region get KEY | set KEY VALUE [-ttl D] | delete KEY | invalidate [-soft]  [-config FILE -region NAME | -driver NAME -arg k=v]"
	if len(args) == 0 {
		fmt.Fprintln(stderr, "Usage: gosess "+syn)
		return fmt.Errorf("%w: region needs a subcommand", errUsage)
	}
	sub := args[0]
	fs := newFlags("region "+sub, syn, stderr)
	var s storeFlags
	s.register(fs)
	ttl := fs.Duration("ttl", -1, "set: expiration of this value (default: the region's)")
	soft := fs.Bool("soft", false, "invalidate: soft (stale values are served while regenerated)")
	// Flags may come before or after the positional arguments.
	var pos []string
	rest := args[1:]
	for {
		if err := parse(fs, rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	want := map[string]int{"get": 1, "set": 2, "delete": 1, "invalidate": 0}
	n, ok := want[sub]
	if !ok {
		return fmt.Errorf("%w: unknown region subcommand %q (get, set, delete, invalidate)", errUsage, sub)
	}
	if len(pos) != n {
		return fmt.Errorf("%w: region %s takes %d argument(s), got %d", errUsage, sub, n, len(pos))
	}
	e, err := s.open(s.logger(stderr))
	if err != nil {
		return err
	}
	defer e.Close()
	r := e.region
	switch sub {
	case "get":
		it, err := region.GetItem[any](ctx, r, pos[0])
		if errors.Is(err, region.ErrNotFound) {
			return fmt.Errorf("%w: key %q in region %q", errNotFound, pos[0], r.Name())
		}
		if err != nil {
			return err
		}
		out := it.Value
		if b, ok := out.([]byte); ok {
			out = string(b)
		}
		if str, ok := out.(string); ok {
			fmt.Fprintln(stdout, str)
		} else {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(out); err != nil {
				return err
			}
		}
		fmt.Fprintf(stderr, "created %s (%v ago)\n", it.Created.Format(time.RFC3339), it.Age().Round(time.Second))
	case "set":
		var opts []region.CallOption
		if *ttl >= 0 {
			opts = append(opts, region.WithExpiration(*ttl))
		}
		return region.Set(ctx, r, pos[0], pos[1], opts...)
	case "delete":
		return r.Delete(ctx, pos[0])
	case "invalidate":
		mode := region.Hard
		if *soft {
			mode = region.Soft
		}
		if err := r.InvalidateContext(ctx, mode); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "region %q invalidated (%v)\n", r.Name(), mode)
		fmt.Fprintln(stderr, "note: other processes see this only when the region uses shared invalidation (invalidation = \"shared\")")
	}
	return nil
}
