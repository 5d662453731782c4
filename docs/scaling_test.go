package docs_test

import (
	"context"
	"errors"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/backends/dogpile"
	"github.com/gosess/gosess/config"
	"github.com/gosess/gosess/cookie"
	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
	"github.com/gosess/gosess/session/sessiontest"
)

// TestScalingOutByConfiguration runs one program on each configuration
// file of scaling-out.md: memory, memcached, redis. Only the file changes.
func TestScalingOutByConfiguration(t *testing.T) {
	blocks := pageBlocks(t, "scaling-out.md", "toml")
	if len(blocks) != 3 {
		t.Fatalf("scaling-out.md has %d toml blocks, want 3 (memory, memcached, redis)", len(blocks))
	}
	for _, b := range blocks {
		var name string
		text := b.text
		switch {
		case strings.Contains(text, `driver = "memory"`):
			name = "memory"
		case strings.Contains(text, `driver = "memcached"`):
			name = "memcached"
			text = strings.ReplaceAll(text, "127.0.0.1:11211", testserver.Memcached(t).Addr)
		case strings.Contains(text, `driver = "redis"`):
			name = "redis"
			text = strings.ReplaceAll(text, "127.0.0.1:6379", testserver.Redis(t).Addr)
		default:
			t.Fatalf("scaling-out.md:%d: which driver?", b.line)
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "gosess.toml")
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Chdir(dir)
			t.Setenv("GOSESS_CONFIG", path)
			if strings.Contains(text, "secret_file_create = false") {
				// The fleet's secret file, provisioned as gosess keygen does.
				if _, err := cookie.WriteSecret(filepath.Join(dir, "secret"), false); err != nil {
					t.Fatal(err)
				}
			}
			ctx := context.Background()

			f, err := config.Load(os.Getenv("GOSESS_CONFIG"))
			if err != nil {
				log.Fatal(err)
			}
			set, err := f.Build(config.Options{})
			if err != nil {
				log.Fatal(err)
			}
			defer set.Close()
			app, web := set.Regions["app"], set.Makers["web"]

			if got := app.DriverName(); got != name {
				t.Fatalf("driver %q, want %q", got, name)
			}
			// App data and sessions in the one region.
			calls := 0
			for range 2 {
				v, err := region.GetOrCreate(ctx, app, "report", func(context.Context) (string, error) {
					calls++
					return "42 orders", nil
				})
				if err != nil || v != "42 orders" {
					t.Fatal(v, err)
				}
			}
			if calls != 1 {
				t.Fatalf("creator ran %d times", calls)
			}
			sessiontest.RoundTrip(t, web, "user", "ann")
		})
	}
}

// TestSharedInvalidation runs the shared-invalidation snippet of
// scaling-out.md: an Invalidate in one process reaches another within
// the refresh interval.
func TestSharedInvalidation(t *testing.T) {
	url := "redis://" + testserver.Redis(t).Addr + "/0"
	ctx := context.Background()
	var procs []*region.Region
	for range 2 {
		r := region.New("app")
		err := r.Configure("redis", region.Config{
			Expiration:   5 * time.Minute,
			Arguments:    map[string]any{"url": url},
			Invalidation: region.SharedInvalidation(time.Second),
		})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		procs = append(procs, r)
	}
	a, b := procs[0], procs[1]
	if err := region.Set(ctx, a, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, err := region.Get[string](ctx, b, "k"); err != nil || v != "v" {
		t.Fatalf("before: %q %v", v, err)
	}
	start := time.Now()
	if err := a.Invalidate(region.Hard); err != nil {
		t.Fatal(err)
	}
	if _, err := region.Get[string](ctx, a, "k"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("the invalidating process still sees the value: %v", err)
	}
	for {
		_, err := region.Get[string](ctx, b, "k")
		if errors.Is(err, region.ErrNotFound) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("the other process never saw the invalidation")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFleetEphemeralKeyRefused runs the snippet of scaling-out.md: a key
// made by the process is refused for sessions in redis; the same files
// without the provisioned secret fail at start-up.
func TestFleetEphemeralKeyRefused(t *testing.T) {
	r := region.New("app")
	if err := r.Configure("redis", region.Config{Arguments: map[string]any{"url": "redis://" + testserver.Redis(t).Addr}}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	_, err := session.New(session.Config{Backend: dogpile.New(r), EphemeralKey: true})
	if !errors.Is(err, session.ErrInvalidSetting) || !strings.Contains(err.Error(), "secret_file") {
		t.Fatalf("err = %v", err)
	}
	for _, b := range pageBlocks(t, "scaling-out.md", "toml") {
		if !strings.Contains(b.text, "secret_file_create = false") {
			continue
		}
		path := filepath.Join(t.TempDir(), "gosess.toml")
		os.WriteFile(path, []byte(b.text), 0o600)
		f, err := config.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if set, err := f.Build(config.Options{}); err == nil || !strings.Contains(err.Error(), "gosess keygen") {
			if set != nil {
				set.Close()
			}
			t.Errorf("scaling-out.md:%d without its secret file: %v", b.line, err)
		}
	}
}
