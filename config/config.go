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
// A region's keys are the names of region.Config's fields in snake case,
// the same as in region.ConfigureFromConfig's flat maps, and the same
// aliases work in both: backend for driver and expiration_time for
// expiration (dogpile's names). A key and its alias together are an
// error.
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
// Every error names the file, the key and what was expected, and Load
// reports every problem of a file at once. Drivers and session backends
// must be registered (imported) by the program; the package gosess/all
// imports them all.
package config

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

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

// Region is one [regions.NAME] section as read: each field is the key of
// the same name in snake case (aliases resolved), and each is the field
// of region.Config of that name but Driver, Configure's driver name, and
// Invalidation and InvalidationRefresh, which make Config's Invalidation.
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

// Parse reads a configuration in format "toml" or "json". Every problem
// is reported at once, each naming its key and what was expected.
func Parse(data []byte, format string) (*File, error) {
	doc, p, err := decode(data, format)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	f := &File{Regions: map[string]Region{}, Sessions: map[string]Maker{}}
	for _, name := range slices.Sorted(maps.Keys(doc.Regions)) {
		f.Regions[name] = doc.Regions[name].region(&p, "regions."+name)
	}
	for _, name := range slices.Sorted(maps.Keys(doc.Sessions)) {
		key, sec := "sessions."+name, doc.Sessions[name]
		if !sec.given {
			p.add(key, "want a table, got nothing")
		}
		f.Sessions[name] = maker(&p, key, get(&p, key, sec))
	}
	for _, name := range slices.Sorted(maps.Keys(f.Sessions)) {
		if m := f.Sessions[name]; m.Region != "" {
			if _, ok := f.Regions[m.Region]; !ok {
				p.add("sessions."+name+".region", "no region named %q (defined: %s)", m.Region,
					strings.Join(slices.Sorted(maps.Keys(f.Regions)), ", "))
			}
		}
	}
	if len(p) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, strings.Join(p, "; "))
	}
	return f, nil
}

// maker reads a session section: its settings, but for region, which
// names a region of the file.
func maker(p *problems, key string, sec table) Maker {
	m := Maker{Settings: map[string]any{}}
	for k, v := range sec {
		if k != "region" {
			m.Settings[k] = v
			continue
		}
		s, ok := v.(string)
		if !ok || s == "" {
			p.add(key+".region", "want the name of a region of this file, got %s", describe(v))
		}
		m.Region = s
	}
	return m
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
