package config_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/gosess/gosess/backends/dogpile"
	"github.com/gosess/gosess/config"
	"github.com/gosess/gosess/region"
	_ "github.com/gosess/gosess/region/drivers/memory"
	_ "github.com/gosess/gosess/region/drivers/objects"
	"github.com/gosess/gosess/session"
)

const sample = `
[regions.app]
driver = "memory"
expiration = "5m"
invalidation = "shared"
[regions.app.arguments]
shards = 16

[sessions.web]
backend = "dogpile"
region = "app"
domain = "example.com"
signature_key = "0123456789abcdef0123456789abcdef-test-key"
max_age = "30m"
`

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadTOMLAndBuild(t *testing.T) {
	f, err := config.Load(write(t, "gosess.toml", sample))
	if err != nil {
		t.Fatal(err)
	}
	app := f.Regions["app"]
	if app.Driver != "memory" || app.Expiration != 5*time.Minute || app.Arguments["shards"] != int64(16) {
		t.Fatalf("%+v", app)
	}
	set, err := f.Build(config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	ctx := context.Background()
	r := set.Regions["app"]
	if err := region.Set(ctx, r, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if c := sessionRoundTrip(t, set.Makers["web"]); c.Domain != "example.com" {
		t.Fatalf("domain %q", c.Domain)
	}
}

// sessionRoundTrip saves a session with a value through m and loads it
// back from its cookie; it returns the cookie.
func sessionRoundTrip(t *testing.T, m *session.Maker) *http.Cookie {
	t.Helper()
	ctx := context.Background()
	s, err := m.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Set("n", 1)
	c, err := s.Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	back, err := m.Load(ctx, c.String())
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := back.Get("n"); !ok || v != 1 {
		t.Fatalf("session value %v %v", v, ok)
	}
	return c
}

func TestLoadJSON(t *testing.T) {
	f, err := config.Load(write(t, "gosess.json", `{"regions": {"a": {"driver": "memory", "expiration": 300}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if f.Regions["a"].Expiration != 300*time.Second {
		t.Fatal(f.Regions["a"])
	}
}

func TestRegionFormat(t *testing.T) {
	f, err := config.Load(write(t, "gosess.toml", "[regions.py]\ndriver = \"memory\"\nformat = \"dogpile\"\n[regions.go]\ndriver = \"memory\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Regions["py"].Config().Format; got != region.FormatDogpile {
		t.Fatalf("format %q", got)
	}
	if got := f.Regions["go"].Config().Format; got != "" {
		t.Fatalf("default format %q", got)
	}
}

func TestErrorsNameFileKeyAndExpectation(t *testing.T) {
	for _, tc := range []struct{ name, content, want string }{
		{"bad.toml", "[regions.app]\ndriver = \"memory\"\nexpiration = \"soon\"\n", `regions.app.expiration: want seconds or a Go duration such as "5m", got "soon"`},
		{"bad.toml", "[regions.app]\ndriver = \"memory\"\nexpiraton = 5\n", "regions.app.expiraton: unknown key"},
		{"bad.toml", "[regions.app]\nexpiration = 5\n", "regions.app.driver: missing"},
		{"bad.toml", "[region.app]\ndriver = \"memory\"\n", "region: unknown section"},
		{"bad.toml", "[sessions.web]\nbackend = \"dogpile\"\nregion = \"nope\"\n", `sessions.web.region: no region named "nope"`},
		{"bad.toml", "[regions.app\n", "bad.toml"},
		{"bad.json", `{"regions": {"a": {"driver": "memory", "invalidation": "everywhere"}}}`, `regions.a.invalidation: want "local" or "shared"`},
		{"bad.yaml", "regions: {}", "unknown extension"},
		{"bad.toml", "[regions.app]\ndriver = \"memory\"\nformat = \"pickle\"\n", `regions.app.format: want "gosess" or "dogpile", got "pickle"`},
	} {
		p := write(t, tc.name, tc.content)
		_, err := config.Load(p)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%q: err = %v, want %q and the path", tc.content, err, tc.want)
		}
		if err != nil && !errors.Is(err, config.ErrInvalid) {
			t.Errorf("%q: not ErrInvalid: %v", tc.content, err)
		}
	}
}

func TestBuildErrorsNameSection(t *testing.T) {
	f, err := config.Parse([]byte("[regions.app]\ndriver = \"nosuch\"\n"), "toml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Build(config.Options{})
	if !errors.Is(err, region.ErrUnknownDriver) || !strings.Contains(err.Error(), "regions.app") {
		t.Fatal(err)
	}
	f, _ = config.Parse([]byte("[regions.app]\ndriver = \"memory\"\n[regions.app.arguments]\nshardz = 4\n"), "toml")
	if _, err = f.Build(config.Options{}); !errors.Is(err, region.ErrInvalidArgument) || !strings.Contains(err.Error(), "shardz") {
		t.Fatal(err)
	}
	f, _ = config.Parse([]byte("[regions.app]\ndriver = \"memory\"\n[sessions.web]\nbackend = \"dogpile\"\nregion = \"app\"\nsignature_key = \"0123456789abcdef0123456789abcdef-k\"\ncolour = \"blue\"\n"), "toml")
	if _, err = f.Build(config.Options{}); err == nil || !strings.Contains(err.Error(), "sessions.web") || !strings.Contains(err.Error(), "colour") {
		t.Fatal(err)
	}
}

// TestObjectsDriverFromFile: a config file can name the objects driver and
// its arguments, and sessions work on it.
func TestObjectsDriverFromFile(t *testing.T) {
	f, err := config.Load(write(t, "gosess.toml", `
[regions.app]
driver = "objects"
expiration = "5m"
[regions.app.arguments]
max_entries = 5000

[sessions.web]
backend = "dogpile"
region = "app"
signature_key = "0123456789abcdef0123456789abcdef-test-key"
`))
	if err != nil {
		t.Fatal(err)
	}
	set, err := f.Build(config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	if got := set.Regions["app"].DriverName(); got != "objects" {
		t.Fatalf("driver %q", got)
	}
	sessionRoundTrip(t, set.Makers["web"])
	bad := write(t, "bad.toml", "[regions.app]\ndriver = \"objects\"\n[regions.app.arguments]\nmax_entries = \"lots\"\n")
	if f, err := config.Load(bad); err == nil {
		if set, err := f.Build(config.Options{}); err == nil {
			set.Close()
			t.Fatal("max_entries = \"lots\" accepted")
		}
	}
}
