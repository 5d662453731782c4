// Package config reads regions and session makers from one file, the Go
// counterpart of dogpile's configure_from_config used with an app's ini
// file: named regions, each with a driver, an expiration and driver
// arguments, and session makers that refer to a region by name. Swapping
// the in-process cache for memcached or redis is then an edit of the file,
// not of the program.
//
// The file is TOML (.toml) or JSON (.json), chosen by its extension:
//
//	[regions.app]
//	driver = "memory"            # required: a registered driver name
//	expiration = "5m"            # seconds (300) or a Go duration; default 0 = never
//	stale_window = "5m"          # default: equal to expiration
//	invalidation = "local"       # "local" (default) or "shared"
//	invalidation_refresh = "1s"  # shared only; default 1s
//	ping_on_configure = false    # true: Build fails when the store does not answer
//	format = "gosess"            # or "dogpile": Python dogpile.cache's layout and locks
//	[regions.app.arguments]      # the driver's arguments (see its package docs)
//	shards = 64
//
//	[sessions.web]               # a session maker: its settings, as session.Settings
//	backend = "dogpile"
//	region = "app"               # a region of this file, by name
//	domain = "example.com"
//	secret_file = "secret"       # relative to this file (see below)
//	secret_file_create = false   # a fleet: the file is provisioned, never created
//
// Relative paths in a file read with Load are relative to the file's
// directory, not to the working directory: a maker's secret_file (and
// its default, "./secret", when the section names no signature_key or
// ephemeral_key: the file next to the config file), a file backend's
// dir, and a file driver's dir argument. So processes started from
// different directories with the same file share one secret and one
// store, instead of one of them quietly creating a secret of its own and
// refusing the others' cookies.
//
// Every error names the file, the key and what was expected. Drivers and
// session backends must be registered (imported) by the program; the
// package gosess/all imports them all.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/gosess/gosess/internal/convert"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
)

// ErrInvalid is wrapped by every error about the content of a file.
var ErrInvalid = errors.New("config: invalid")

// File is a parsed configuration file.
type File struct {
	// Path is where the file was read from ("" for Parse).
	Path string
	// Regions are the region sections by name.
	Regions map[string]Region
	// Sessions are the session maker sections by name.
	Sessions map[string]Maker
}

// Region is one [regions.NAME] section.
type Region struct {
	Driver              string
	Expiration          time.Duration
	StaleWindow         time.Duration
	Invalidation        string // "local" or "shared"
	InvalidationRefresh time.Duration
	PingOnConfigure     bool          // check at Build that the store answers
	Format              region.Format // "" (gosess) or "dogpile"
	Arguments           map[string]any
}

// Config returns the region.Config of the section.
func (r Region) Config() region.Config {
	cfg := region.Config{Expiration: r.Expiration, StaleWindow: r.StaleWindow, Arguments: r.Arguments,
		PingOnConfigure: r.PingOnConfigure, Format: r.Format}
	if r.Invalidation == "shared" {
		cfg.Invalidation = region.SharedInvalidation(r.InvalidationRefresh)
	}
	return cfg
}

// Maker is one [sessions.NAME] section: session settings, with "region"
// naming a region of the same file.
type Maker struct {
	// Region is the name of the region the dogpile backend stores
	// sessions in ("" when the backend needs none).
	Region string
	// Settings are the other settings, passed to session.Maker.Configure.
	Settings map[string]any
}

// Load reads and checks the file at path (.toml or .json).
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var format string
	switch strings.ToLower(filepath.Ext(path)) {
	case ".toml":
		format = "toml"
	case ".json":
		format = "json"
	default:
		return nil, fmt.Errorf("%w: %s: unknown extension %q (want .toml or .json)", ErrInvalid, path, filepath.Ext(path))
	}
	f, err := Parse(data, format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.Path = path
	f.resolvePaths(filepath.Dir(path))
	return f, nil
}

// resolvePaths makes the relative paths of the file relative to dir, the
// file's directory: a session maker's secret_file (and its default,
// "./secret", when the section gives no key of its own) and a file
// backend's dir, and a file driver's dir argument. So every process that
// reads the same file uses the same secret and the same directories,
// whatever its working directory; a process started elsewhere does not
// quietly create a secret of its own.
func (f *File) resolvePaths(dir string) {
	join := func(v any) any {
		if p, ok := v.(string); ok && p != "" && !filepath.IsAbs(p) {
			return filepath.Join(dir, p)
		}
		return v
	}
	for _, m := range f.Sessions {
		if v, ok := m.Settings[session.KeySecretFile]; ok {
			m.Settings[session.KeySecretFile] = join(v)
		} else if !hasAny(m.Settings, session.KeySignatureKey, session.KeyEphemeralKey) {
			m.Settings[session.KeySecretFile] = join(session.DefaultSecretFile)
		}
		if v, ok := m.Settings["dir"]; ok && m.Settings[session.KeyBackend] == "file" {
			m.Settings["dir"] = join(v)
		}
	}
	for _, r := range f.Regions {
		if v, ok := r.Arguments["dir"]; ok && r.Driver == "file" {
			r.Arguments["dir"] = join(v)
		}
	}
}

func hasAny(m map[string]any, keys ...string) bool {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// Parse reads a configuration in format "toml" or "json".
func Parse(data []byte, format string) (*File, error) {
	var raw map[string]any
	switch format {
	case "toml":
		if err := toml.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	case "json":
		if err := json.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	default:
		return nil, fmt.Errorf("%w: unknown format %q (want toml or json)", ErrInvalid, format)
	}
	p := parser{}
	f := p.file(raw)
	if len(p.errs) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, strings.Join(p.errs, "; "))
	}
	return f, nil
}

type parser struct{ errs []string }

func (p *parser) fail(key, format string, args ...any) {
	p.errs = append(p.errs, key+": "+fmt.Sprintf(format, args...))
}

func (p *parser) table(key string, v any) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		p.fail(key, "want a table, got %s", describe(v))
	}
	return m
}

func (p *parser) file(raw map[string]any) *File {
	f := &File{Regions: map[string]Region{}, Sessions: map[string]Maker{}}
	for _, top := range slices.Sorted(maps.Keys(raw)) {
		switch top {
		case "regions":
			for name, v := range p.table(top, raw[top]) {
				if sec := p.table("regions."+name, v); sec != nil {
					f.Regions[name] = p.region("regions."+name, sec)
				}
			}
		case "sessions":
			for name, v := range p.table(top, raw[top]) {
				if sec := p.table("sessions."+name, v); sec != nil {
					f.Sessions[name] = p.maker("sessions."+name, sec)
				}
			}
		default:
			p.fail(top, "unknown section (known: regions, sessions)")
		}
	}
	for name, m := range f.Sessions {
		if m.Region != "" {
			if _, ok := f.Regions[m.Region]; !ok {
				p.fail("sessions."+name+".region", "no region named %q (defined: %s)", m.Region,
					strings.Join(slices.Sorted(maps.Keys(f.Regions)), ", "))
			}
		}
	}
	return f
}

func (p *parser) region(key string, sec map[string]any) Region {
	r := Region{Invalidation: "local"}
	for _, k := range slices.Sorted(maps.Keys(sec)) {
		v, full := sec[k], key+"."+k
		switch k {
		case "driver":
			s, ok := v.(string)
			if !ok || s == "" {
				p.fail(full, "want a driver name (one of %s), got %s", strings.Join(region.Drivers(), ", "), describe(v))
			}
			r.Driver = s
		case "expiration":
			r.Expiration = p.duration(full, v)
		case "stale_window":
			r.StaleWindow = p.duration(full, v)
		case "invalidation_refresh":
			r.InvalidationRefresh = p.duration(full, v)
		case "invalidation":
			if v != "local" && v != "shared" {
				p.fail(full, `want "local" or "shared", got %s`, describe(v))
			}
			r.Invalidation, _ = v.(string)
		case "ping_on_configure":
			b, ok := v.(bool)
			if !ok {
				p.fail(full, "want true or false, got %s", describe(v))
			}
			r.PingOnConfigure = b
		case "format":
			s, _ := v.(string)
			f, err := region.ParseFormat(s)
			if _, ok := v.(string); !ok || err != nil {
				p.fail(full, `want "gosess" or "dogpile", got %s`, describe(v))
			}
			r.Format = f
		case "arguments":
			r.Arguments = p.table(full, v)
		default:
			p.fail(full, "unknown key (known: driver, expiration, stale_window, invalidation, invalidation_refresh, ping_on_configure, format, arguments)")
		}
	}
	if _, ok := sec["driver"]; !ok {
		p.fail(key+".driver", "missing (one of %s)", strings.Join(region.Drivers(), ", "))
	}
	return r
}

func (p *parser) maker(key string, sec map[string]any) Maker {
	m := Maker{Settings: map[string]any{}}
	for k, v := range sec {
		if k == "region" {
			s, ok := v.(string)
			if !ok || s == "" {
				p.fail(key+".region", "want the name of a region of this file, got %s", describe(v))
			}
			m.Region = s
			continue
		}
		m.Settings[k] = v
	}
	return m
}

func (p *parser) duration(key string, v any) time.Duration {
	// The conversions shared with driver arguments and session settings:
	// seconds as a number or numeric string, or a Go duration string, and
	// a value beyond time.Duration's 292 years refused, not wrapped.
	var d time.Duration
	ok := false
	switch v.(type) {
	case int64, float64, string:
		d, ok = convert.Duration(v)
	}
	if !ok {
		if _, numeric := convert.Float(v); numeric {
			p.fail(key, "%s seconds is longer than the longest duration (%.0f seconds, about 292 years)", describe(v), maxSeconds)
		} else {
			p.fail(key, `want seconds or a Go duration such as "5m", got %s`, describe(v))
		}
		return 0
	}
	if d < 0 {
		p.fail(key, "want a non-negative duration, got %s", describe(v))
		return 0
	}
	return d
}

// maxSeconds is the longest duration, in seconds, that time.Duration holds.
const maxSeconds = float64(math.MaxInt64) / float64(time.Second)

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "nothing"
	case string:
		return fmt.Sprintf("%q", x)
	case map[string]any:
		return "a table"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%v (%T)", v, v)
}

// Options adjust what Build makes.
type Options struct {
	// RegionOptions are given to region.New for every region (a logger,
	// a codec, ...).
	RegionOptions []region.Option
	// MakerOptions are given to session.NewMaker for every maker (a
	// logger, so that the session layer logs where the program does).
	MakerOptions []session.MakerOption
}

// Set is what Build made: the regions and makers of a file, by name.
type Set struct {
	Regions map[string]*region.Region
	Makers  map[string]*session.Maker
}

// Build configures every region of the file, then every maker (with its
// region). On an error nothing built is left open.
func (f *File) Build(opts Options) (*Set, error) {
	where := f.Path
	if where == "" {
		where = "config"
	}
	s := &Set{Regions: map[string]*region.Region{}, Makers: map[string]*session.Maker{}}
	for _, name := range slices.Sorted(maps.Keys(f.Regions)) {
		sec := f.Regions[name]
		r := region.New(name, opts.RegionOptions...)
		if err := r.Configure(sec.Driver, sec.Config()); err != nil {
			s.Close()
			return nil, fmt.Errorf("%s: regions.%s: %w", where, name, err)
		}
		s.Regions[name] = r
	}
	for _, name := range slices.Sorted(maps.Keys(f.Sessions)) {
		sec := f.Sessions[name]
		settings := session.Settings{}
		maps.Copy(settings, sec.Settings)
		if sec.Region != "" {
			settings["region"] = s.Regions[sec.Region]
		}
		m := session.NewMaker(opts.MakerOptions...)
		if err := m.Configure(settings); err != nil {
			s.Close()
			return nil, fmt.Errorf("%s: sessions.%s: %w", where, name, err)
		}
		s.Makers[name] = m
	}
	return s, nil
}

// Close closes every region.
func (s *Set) Close() error {
	var errs []error
	for _, r := range s.Regions {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}
