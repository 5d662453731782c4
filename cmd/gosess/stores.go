package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	_ "github.com/gosess/gosess/all"
	"github.com/gosess/gosess/backends/dogpile"
	"github.com/gosess/gosess/config"
	"github.com/gosess/gosess/cookie"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
)

// storeFlags are the flags that choose a region and a session maker, shared
// by the commands; open opens what they choose.
type storeFlags struct {
	configFile string
	regionName string
	makerName  string
	driver     string
	expiration time.Duration
	args       argList
	verbose    bool
}

// argList collects repeated -arg key=value flags.
type argList map[string]string

func (a argList) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(a)) {
		parts = append(parts, k+"="+a[k])
	}
	return strings.Join(parts, ",")
}

func (a argList) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", s)
	}
	a[k] = v
	return nil
}

func (s *storeFlags) register(fs *flag.FlagSet) {
	s.args = argList{}
	fs.StringVar(&s.configFile, "config", "", "configuration file (.toml or .json) with [regions.*] and [sessions.*]")
	fs.StringVar(&s.regionName, "region", "app", "name of the region to use")
	fs.StringVar(&s.makerName, "maker", "web", "name of the session maker to use (from -config)")
	fs.StringVar(&s.driver, "driver", "memory", "driver when no -config is given: "+strings.Join(region.Drivers(), ", "))
	fs.DurationVar(&s.expiration, "expiration", 5*time.Minute, "region expiration when no -config is given")
	fs.Var(s.args, "arg", "driver argument key=value when no -config is given (repeatable), e.g. -arg url=127.0.0.1:11211")
	fs.BoolVar(&s.verbose, "v", false, "log at debug level on stderr")
}

func (s *storeFlags) logger(stderr io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if s.verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}

// stores are the region and the session maker a command works with.
type stores struct {
	region *region.Region
	maker  *session.Maker // nil when no maker is configured
	set    *config.Set
}

func (e *stores) Close() error {
	if e.set != nil {
		return e.set.Close()
	}
	return e.region.Close()
}

// open builds the region (and the maker, if the config file has one).
// Every layer logs through log: the regions and their drivers, and the
// makers. opts are added to the region options.
func (s *storeFlags) open(log *slog.Logger, opts ...region.Option) (*stores, error) {
	regionOpts := append([]region.Option{region.WithLogger(log)}, opts...)
	if s.configFile != "" {
		if len(s.args) > 0 {
			return nil, fmt.Errorf("%w: -arg applies only without -config", errUsage)
		}
		f, err := config.Load(s.configFile)
		if err != nil {
			return nil, err
		}
		set, err := f.Build(config.Options{RegionOptions: regionOpts, MakerOptions: []session.MakerOption{session.WithLogger(log)}})
		if err != nil {
			return nil, err
		}
		r, ok := set.Regions[s.regionName]
		if !ok {
			set.Close()
			return nil, fmt.Errorf("%w: %s has no region %q (it has: %s)", errUsage, s.configFile, s.regionName,
				strings.Join(slices.Sorted(maps.Keys(set.Regions)), ", "))
		}
		return &stores{region: r, maker: set.Makers[s.makerName], set: set}, nil
	}
	r := region.New(s.regionName, regionOpts...)
	cfg := region.Config{Expiration: s.expiration}
	if len(s.args) > 0 {
		cfg.Arguments = map[string]any{}
		for k, v := range s.args {
			if c, set := region.CoerceString(v); set {
				cfg.Arguments[k] = c
			}
		}
	}
	if err := r.Configure(s.driver, cfg); err != nil {
		if errors.Is(err, region.ErrUnknownDriver) || errors.Is(err, region.ErrInvalidArgument) {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		return nil, err
	}
	return &stores{region: r}, nil
}

// sessionKeyPrefix returns the key prefix of the sessions the demo's
// maker stores in the region: the key_prefix of the config file's maker,
// or the dogpile backend's default.
func (s *storeFlags) sessionKeyPrefix() string {
	if s.configFile != "" {
		if f, err := config.Load(s.configFile); err == nil {
			if p, ok := f.Sessions[s.makerName].Settings["key_prefix"].(string); ok && p != "" {
				return p
			}
		}
	}
	return dogpile.DefaultKeyPrefix
}

// defaultMaker builds the demo's maker when the config file has none: the
// dogpile backend on the region, signing with the key of secretFile
// (created if missing), or with a key of this process when secretFile is
// empty, which the session layer refuses for a region that other
// processes share.
func defaultMaker(r *region.Region, secretFile string, log *slog.Logger) (*session.Maker, error) {
	cfg := session.Config{
		Backend: dogpile.New(r),
		Options: cookie.Options{MaxAge: 30 * time.Minute},
	}
	if secretFile == "" {
		cfg.EphemeralKey = true
	} else {
		cfg.SecretFile = secretFile
	}
	return session.New(cfg, session.WithLogger(log))
}
