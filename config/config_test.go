package config_test

import (
	"context"
	"errors"
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
	"github.com/gosess/gosess/session/sessiontest"
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

// loadAndBuild loads a file of the given name and text and builds it;
// the set is closed when the test ends.
func loadAndBuild(t *testing.T, name, text string) (*config.File, *config.Set) {
	t.Helper()
	f, err := config.Load(write(t, name, text))
	if err != nil {
		t.Fatal(err)
	}
	set, err := f.Build(config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	return f, set
}

func TestLoadTOMLAndBuild(t *testing.T) {
	f, set := loadAndBuild(t, "gosess.toml", sample)
	app := f.Regions["app"]
	if app.Driver != "memory" || app.Expiration != 5*time.Minute || app.Arguments["shards"] != int64(16) {
		t.Fatalf("%+v", app)
	}
	ctx := context.Background()
	r := set.Regions["app"]
	if err := region.Set(ctx, r, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if c := sessiontest.RoundTrip(t, set.Makers["web"], "n", 1); c.Domain != "example.com" {
		t.Fatalf("domain %q", c.Domain)
	}
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
	_, set := loadAndBuild(t, "gosess.toml", `
[regions.app]
driver = "objects"
expiration = "5m"
[regions.app.arguments]
max_entries = 5000

[sessions.web]
backend = "dogpile"
region = "app"
signature_key = "0123456789abcdef0123456789abcdef-test-key"
`)
	if got := set.Regions["app"].DriverName(); got != "objects" {
		t.Fatalf("driver %q", got)
	}
	sessiontest.RoundTrip(t, set.Makers["web"], "n", 1)
	bad := write(t, "bad.toml", "[regions.app]\ndriver = \"objects\"\n[regions.app.arguments]\nmax_entries = \"lots\"\n")
	if f, err := config.Load(bad); err == nil {
		if set, err := f.Build(config.Options{}); err == nil {
			set.Close()
			t.Fatal("max_entries = \"lots\" accepted")
		}
	}
}

// One vocabulary: a region section takes the keys of
// region.ConfigureFromConfig's flat maps, dogpile's aliases included, and
// the same settings give the same region either way.
func TestRegionKeysAreTheFlatMapKeys(t *testing.T) {
	flat := region.New("flat")
	err := flat.ConfigureFromConfig(map[string]string{"c.backend": "memory", "c.expiration_time": "300",
		"c.stale_window": "1m", "c.format": "dogpile", "c.arguments.shards": "16"}, "c.")
	if err != nil {
		t.Fatal(err)
	}
	defer flat.Close()
	for _, doc := range []struct{ format, text string }{
		{"toml", "[regions.app]\ndriver = \"memory\"\nexpiration = 300\nstale_window = \"1m\"\nformat = \"dogpile\"\narguments = {shards = 16}\n"},
		{"toml", "[regions.app]\nbackend = \"memory\"\nexpiration_time = \"5m\"\nstale_window = 60\nformat = \"dogpile\"\n[regions.app.arguments]\nshards = 16\n"},
		{"json", `{"regions": {"app": {"backend": "memory", "expiration_time": 300, "stale_window": "1m", "format": "dogpile", "arguments": {"shards": 16}}}}`},
	} {
		f, err := config.Parse([]byte(doc.text), doc.format)
		if err != nil {
			t.Fatalf("%s: %v", doc.text, err)
		}
		set, err := f.Build(config.Options{})
		if err != nil {
			t.Fatalf("%s: %v", doc.text, err)
		}
		r := set.Regions["app"]
		if r.DriverName() != flat.DriverName() || r.Expiration() != flat.Expiration() || r.MaxTTL() != flat.MaxTTL() {
			t.Errorf("%s: driver %q expiration %v max TTL %v; the flat map gives %q %v %v", doc.text,
				r.DriverName(), r.Expiration(), r.MaxTTL(), flat.DriverName(), flat.Expiration(), flat.MaxTTL())
		}
		if cfg := f.Regions["app"].Config(); cfg.StaleWindow != time.Minute || cfg.Format != region.FormatDogpile || cfg.Arguments["shards"] == nil {
			t.Errorf("%s: %+v", doc.text, cfg)
		}
		set.Close()
	}
}

// Every problem of a file is reported at once, in TOML and JSON alike,
// each naming its key and what was expected: unknown keys (found by the
// TOML decoder's metadata), values that do not fit, sections that are
// not tables, and a key given together with its alias.
func TestEveryProblemOfAFileAtOnce(t *testing.T) {
	for _, tc := range []struct {
		format, doc string
		want        []string
	}{
		{"toml", "top = 1\n[regions.app]\ndriver = 5\nexpiraton = 5\nexpiration = \"soon\"\nping_on_configure = \"yes\"\narguments = 3\n[regions.b]\ndriver = \"memory\"\nbackend = \"memory\"\n[sessions]\nweb = 5\n",
			[]string{"top: unknown section", "regions.app.driver: want a driver name", "regions.app.expiraton: unknown key (known: driver, backend, expiration,",
				`regions.app.expiration: want seconds or a Go duration such as "5m", got "soon"`, `regions.app.ping_on_configure: want true or false, got "yes"`,
				"regions.app.arguments: want a table, got 3 (int64)", "regions.b.backend: is another name of driver, which is given too", "sessions.web: want a table, got 5 (int64)"}},
		{"toml", "regions = 5\nsessions = [1]\n", []string{"regions: want a table, got a value of type integer", "sessions: want a table, got a value of type array"}},
		{"toml", "[regions]\napp = 5\n", []string{`"regions.app"`, "expected table"}},
		{"json", `{"top": 1, "regions": {"app": {"driver": 5, "expiraton": 5, "expiration": "soon", "format": "pickle"}, "b": {"expiration": 1, "expiration_time": 2, "driver": "memory"}}, "sessions": {"web": 5}}`,
			[]string{"top: unknown section", "regions.app.driver: want a driver name", "regions.app.expiraton: unknown key",
				`regions.app.expiration: want seconds or a Go duration such as "5m", got "soon"`, `regions.app.format: want "gosess" or "dogpile", got "pickle"`,
				"regions.b.expiration_time: is another name of expiration", "sessions.web: want a table, got 5 (float64)"}},
		{"json", `{"regions": 5, "sessions": {"a": {}}}`, []string{"regions: want a table, got 5 (float64)"}},
		{"json", `{"regions": {"app": "memory"}}`, []string{`regions.app: want a table, got "memory"`}},
	} {
		_, err := config.Parse([]byte(tc.doc), tc.format)
		if !errors.Is(err, config.ErrInvalid) {
			t.Errorf("%s: %v", tc.doc, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s:\nerr = %v\nwant %q", tc.doc, err, w)
			}
		}
	}
}
