package docs_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/gosess/gosess/backends/cookie"
	_ "github.com/gosess/gosess/backends/file"
	"github.com/gosess/gosess/config"
	"github.com/gosess/gosess/cookie"
	"github.com/gosess/gosess/region"
	_ "github.com/gosess/gosess/region/drivers/file"
	_ "github.com/gosess/gosess/region/drivers/null"
	"github.com/gosess/gosess/session"
	"github.com/gosess/gosess/session/sessiontest"
)

// Settings given as the strings of a config file.
func Example_settingsFromStrings() {
	r := region.New("app")
	_ = r.Configure("memory", region.Config{Expiration: 5 * time.Minute})
	defer r.Close()

	maker := session.NewMaker()
	err := maker.Configure(session.Settings{
		// maker-only
		"backend":     "dogpile",
		"secret_file": "", // not used: a signature_key is given
		// general
		"domain":            "example.com",
		"max_age":           "1800", // seconds
		"lifetime":          "12h",  // or a Go duration
		"secure":            "true",
		"samesite":          "strict",
		"session_id_length": "48",
		"signature_key":     "hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		// backend-specific (dogpile)
		"region":     r,
		"key_prefix": "sess:",
	})
	if err != nil {
		log.Fatal(err)
	}
	cfg := maker.Config()
	fmt.Println(cfg.MaxAge, cfg.Lifetime, cfg.Secure, cfg.SameSite == http.SameSiteStrictMode, cfg.IDLength)
	// Output:
	// 30m0s 12h0m0s true true 48
}

// A misspelt setting is an error naming it.
func Example_settingsTypo() {
	r := newRegion()
	defer r.Close()
	key, _ := cookie.GenerateKey()

	maker := session.NewMaker()
	err := maker.Configure(session.Settings{
		"backend":       "dogpile",
		"region":        r,
		"signature_key": key,
		"domian":        "example.com",
	})
	fmt.Println(errors.Is(err, session.ErrInvalidSetting))
	fmt.Println(strings.SplitN(err.Error(), " (", 2)[0])
	// Output:
	// true
	// session: invalid setting: unknown setting "domian"
}

// Every problem of a settings map is reported at once.
func Example_settingsAllErrors() {
	r := newRegion()
	defer r.Close()
	key, _ := cookie.GenerateKey()

	maker := session.NewMaker()
	err := maker.Configure(session.Settings{
		"backend":       "dogpile",
		"region":        r,
		"signature_key": key,
		"max_age":       "soon",
		"colour":        "blue",
	})
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Println(strings.SplitN(line, " (maker settings", 2)[0])
	}
	// Output:
	// session: invalid setting: setting "max_age": cannot use "soon" (string) as a duration ("300" seconds, "5m", or a time.Duration)
	// session: invalid setting: unknown setting "colour"
}

// General settings can be overridden for one session.
func Example_settingsPerCall() {
	ctx := context.Background()
	r := newRegion()
	defer r.Close()
	key, _ := cookie.GenerateKey()
	maker := session.NewMaker()
	if err := maker.Configure(session.Settings{"backend": "dogpile", "region": r, "signature_key": key, "max_age": "30m"}); err != nil {
		log.Fatal(err)
	}

	// "remember me": this session lives 30 days instead of 30 minutes.
	s, err := maker.NewWith(ctx, session.Settings{"max_age": 30 * 24 * time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	s.Set("user", "ann")
	c, _ := s.Save(ctx)
	fmt.Println(c.MaxAge)

	_, err = maker.NewWith(ctx, session.Settings{"backend": "file"})
	fmt.Println(err)
	// Output:
	// 2592000
	// session: invalid setting: setting "backend" cannot be overridden per call (only general settings can: domain, path, name, max_age, refresh_on_access, lifetime, touch_interval, secure, httponly, samesite, partitioned, session_id_length, codec, signature_key, encryption_key, cipher)
}

// A region configured in code.
func Example_regionConfigure() {
	r := region.New("app")
	defer r.Close()
	err := r.Configure("memory", region.Config{
		Expiration:   5 * time.Minute,
		StaleWindow:  time.Hour,
		Arguments:    map[string]any{"shards": 64, "max_size_mb": 256},
		Invalidation: region.SharedInvalidation(2 * time.Second),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Name(), r.DriverName(), r.Expiration())

	err = r.Configure("memory", region.Config{})
	fmt.Println(errors.Is(err, region.ErrAlreadyConfigured))
	err = r.Configure("memory", region.Config{Expiration: time.Minute, ReplaceExisting: true})
	fmt.Println(err, r.Expiration())

	err = region.New("typo").Configure("memory", region.Config{Arguments: map[string]any{"shard": 64}})
	fmt.Println(err)
	// Output:
	// app memory 5m0s
	// true
	// <nil> 1m0s
	// region "typo": configure driver "memory": region: invalid argument: driver "memory" does not take argument(s) shard (it takes: clean_window, hard_max_cache_size, life_window, max_entries, max_entries_in_window, max_entry_size, max_size_mb, shards, verbose)
}

// A region configured from a flat map, as dogpile's configure_from_config.
func Example_regionConfigureFromConfig() {
	settings := map[string]string{
		"cache.app.driver":               "memory",
		"cache.app.expiration":           "300",
		"cache.app.stale_window":         "1h",
		"cache.app.arguments.shards":     "64",
		"cache.app.invalidation":         "shared",
		"cache.app.invalidation_refresh": "2s",
		"cache.pages.backend":            "null", // dogpile's name for driver
	}
	app, pages := region.New("app"), region.New("pages")
	defer app.Close()
	defer pages.Close()
	if err := app.ConfigureFromConfig(settings, "cache.app."); err != nil {
		log.Fatal(err)
	}
	if err := pages.ConfigureFromConfig(settings, "cache.pages."); err != nil {
		log.Fatal(err)
	}
	fmt.Println(app.DriverName(), app.Expiration(), pages.DriverName())
	// Output:
	// memory 5m0s null
}

// TestConfigurationFiles loads the TOML and JSON files shown in
// configuration.md and runs the Go block that reads them.
func TestConfigurationFiles(t *testing.T) {
	for _, lang := range []string{"toml", "json"} {
		blocks := pageBlocks(t, "configuration.md", lang)
		if len(blocks) != 1 {
			t.Fatalf("configuration.md has %d %s blocks, want 1", len(blocks), lang)
		}
		t.Run(lang, func(t *testing.T) {
			dir := t.TempDir()
			text := strings.ReplaceAll(blocks[0].text, "/var/cache/myapp", filepath.Join(dir, "cache"))
			text = strings.ReplaceAll(text, "/var/lib/myapp/sessions", filepath.Join(dir, "sessions"))
			if err := os.WriteFile(filepath.Join(dir, "gosess."+lang), []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Chdir(dir)
			path := "gosess." + lang

			f, err := config.Load(path)
			if err != nil {
				log.Fatal(err)
			}
			set, err := f.Build(config.Options{})
			if err != nil {
				log.Fatal(err)
			}
			defer set.Close()

			app := set.Regions["app"]
			web := set.Makers["web"]

			if app.DriverName() != "memory" || app.Expiration() != 5*time.Minute {
				t.Errorf("app region: %s %v", app.DriverName(), app.Expiration())
			}
			if got := set.Regions["pages"].DriverName(); got != "file" {
				t.Errorf("pages region on %q", got)
			}
			for name, m := range set.Makers {
				t.Run(name, func(t *testing.T) { sessiontest.RoundTrip(t, m, "n", 1) })
			}
			cfg := web.Config()
			if cfg.Domain != "example.com" || cfg.MaxAge != 30*time.Minute || !cfg.Secure || cfg.Name != "session" {
				t.Errorf("web maker config %v", cfg)
			}
			if _, err := os.Stat("secret"); err != nil {
				t.Errorf("the secret file was not created: %v", err)
			}
			if len(set.Makers) != 3 || len(set.Regions) != 2 {
				t.Errorf("built %d makers and %d regions", len(set.Makers), len(set.Regions))
			}
		})
	}
}

// Errors in a configuration file name the file, the key and what was
// expected.
func Example_configFileErrors() {
	_, err := config.Parse([]byte(`
[regions.app]
driver = "memory"
expiration = "five minutes"
`), "toml")
	fmt.Println(err)
	// Output:
	// config: invalid: regions.app.expiration: want seconds or a Go duration such as "5m", got "five minutes"
}
