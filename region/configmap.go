package region

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gosess/gosess/internal/convert"
)

// ConfigureFromConfig configures the region from a flat string map, the
// counterpart of dogpile's configure_from_config with an app's ini file.
// Only keys starting with prefix are read (others are ignored, so one map
// can hold many regions); below the prefix the keys are those of Config
// (its field names in snake case, the same in configuration files read by
// package config):
//
//	driver                driver name (required); alias: backend
//	expiration            seconds ("300") or a Go duration ("5m"); default 0 = never;
//	                      alias: expiration_time
//	stale_window          seconds or a Go duration; default: equal to expiration
//	arguments.NAME        driver argument NAME (see the driver's docs)
//	wrap                  comma-separated names of proxies registered with RegisterProxy
//	invalidation          "local" (default) or "shared" (see SharedInvalidation)
//	invalidation_refresh  seconds or a Go duration; default 1s (shared only)
//	replace_existing      "true" to allow reconfiguring
//	ping_on_configure     "true" to check that the store answers (Config.PingOnConfigure)
//	format                "gosess" (default) or "dogpile" (see Config.Format)
//
// The aliases are dogpile's names, so that a dogpile configuration reads
// as it is; a key and its alias together are an error.
//
// Argument values are coerced as dogpile's coerce_string_conf does: whole
// numbers become int, decimals float64, "true"/"false" bool, "None" leaves
// the argument unset, and anything else stays a string. Any other key under
// the prefix, or a value that does not parse, is an error naming the key.
func (r *Region) ConfigureFromConfig(conf map[string]string, prefix string) error {
	var cfg Config
	driver := ""
	var errs []string
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("%s%s: %s", prefix, key, fmt.Sprintf(format, args...)))
	}
	for _, alias := range slices.Sorted(maps.Keys(configKeyAliases)) {
		_, a := conf[prefix+alias]
		_, k := conf[prefix+configKeyAliases[alias]]
		if a && k {
			bad(alias, "is another name of %s, which is given too (give one of them)", configKeyAliases[alias])
		}
	}
	invalidation, refresh := "local", time.Duration(0)
	for _, full := range slices.Sorted(maps.Keys(conf)) {
		if !strings.HasPrefix(full, prefix) {
			continue
		}
		given, val := strings.TrimPrefix(full, prefix), strings.TrimSpace(conf[full])
		key := cmp.Or(configKeyAliases[given], given) // errors name the key as given
		switch {
		case key == "driver":
			driver = val
		case key == "expiration":
			d, err := parseSeconds(val)
			if err != nil {
				bad(given, "%v", err)
			}
			cfg.Expiration = d
		case key == "stale_window":
			d, err := parseSeconds(val)
			if err != nil {
				bad(given, "%v", err)
			}
			cfg.StaleWindow = d
		case strings.HasPrefix(key, "arguments."):
			name := strings.TrimPrefix(key, "arguments.")
			if name == "" {
				bad(given, "empty argument name")
				continue
			}
			if v, set := CoerceString(val); set {
				if cfg.Arguments == nil {
					cfg.Arguments = map[string]any{}
				}
				cfg.Arguments[name] = v
			}
		case key == "wrap":
			for name := range strings.SplitSeq(val, ",") {
				if name = strings.TrimSpace(name); name == "" {
					continue
				}
				p, err := lookupProxy(name)
				if err != nil {
					bad(given, "%v", err)
					continue
				}
				cfg.Wrap = append(cfg.Wrap, p)
			}
		case key == "invalidation":
			if val != "local" && val != "shared" {
				bad(given, "want \"local\" or \"shared\", got %q", val)
			}
			invalidation = val
		case key == "invalidation_refresh":
			d, err := parseSeconds(val)
			if err != nil {
				bad(given, "%v", err)
			}
			refresh = d
		case key == "format":
			f, err := ParseFormat(val)
			if err != nil {
				bad(given, "want %q or %q, got %q", FormatGosess, FormatDogpile, val)
			}
			cfg.Format = f
		case key == "replace_existing" || key == "ping_on_configure":
			b, ok := convert.Bool(val)
			if !ok {
				bad(given, "want true or false, got %q", val)
			}
			if key == "replace_existing" {
				cfg.ReplaceExisting = b
			} else {
				cfg.PingOnConfigure = b
			}
		default:
			bad(given, "unknown key (known: driver, expiration, stale_window, arguments.*, wrap, invalidation, invalidation_refresh, replace_existing, ping_on_configure, format; aliases: backend, expiration_time)")
		}
	}
	if driver == "" && len(errs) == 0 {
		bad("driver", "missing (no driver named under prefix %q, as driver or backend)", prefix)
	}
	if len(errs) > 0 {
		return fmt.Errorf("region %q: %w: %s", r.name, ErrInvalidArgument, strings.Join(errs, "; "))
	}
	if invalidation == "shared" {
		cfg.Invalidation = SharedInvalidation(refresh)
	}
	return r.Configure(driver, cfg)
}

// configKeyAliases maps the older spellings of ConfigureFromConfig's keys
// (dogpile's) to the keys.
var configKeyAliases = map[string]string{"backend": "driver", "expiration_time": "expiration"}

var (
	intRe   = regexp.MustCompile(`^[-+]?\d+$`)
	floatRe = regexp.MustCompile(`^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$`)
)

// CoerceString converts a config string as dogpile's coerce_string_conf:
// whole numbers to int, decimals to float64, "true"/"false" (any case) to
// bool, and other strings unchanged. "None" reports set=false: the value
// is to be left unset.
func CoerceString(s string) (v any, set bool) {
	s = strings.TrimSpace(s)
	switch {
	case intRe.MatchString(s):
		if n, err := strconv.Atoi(s); err == nil {
			return n, true
		}
		return s, true
	case floatRe.MatchString(s):
		f, _ := strconv.ParseFloat(s, 64)
		return f, true
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	case s == "None":
		return nil, false
	}
	return s, true
}

// parseSeconds reads seconds ("300", "1.5") or a Go duration ("5m").
func parseSeconds(s string) (time.Duration, error) {
	d, ok := convert.Duration(s)
	if !ok {
		return 0, fmt.Errorf("%q is not seconds or a Go duration such as \"5m\"", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return d, nil
}
