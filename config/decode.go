package config

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/gosess/gosess/internal/convert"
	"github.com/gosess/gosess/region"
)

// document is a configuration file as written. Its struct tags are the
// keys a file may hold: the TOML decoder's MetaData.Undecoded lists the
// others, and checkJSON does the same for JSON, whose decoder keeps
// no such list.
type document struct {
	Regions  map[string]regionSection `toml:"regions" json:"regions"`
	Sessions map[string]value[table]  `toml:"sessions" json:"sessions"`
}

// regionSection is one [regions.NAME] section. Its keys are those of
// region.ConfigureFromConfig's flat maps, with the same aliases (see the
// package documentation); a file has no replace_existing, since Build
// makes new regions.
type regionSection struct {
	Driver              value[driverName]       `toml:"driver" json:"driver"`
	Backend             value[driverName]       `toml:"backend" json:"backend"` // alias of driver
	Expiration          value[time.Duration]    `toml:"expiration" json:"expiration"`
	ExpirationTime      value[time.Duration]    `toml:"expiration_time" json:"expiration_time"` // alias of expiration
	StaleWindow         value[time.Duration]    `toml:"stale_window" json:"stale_window"`
	Invalidation        value[invalidationMode] `toml:"invalidation" json:"invalidation"`
	InvalidationRefresh value[time.Duration]    `toml:"invalidation_refresh" json:"invalidation_refresh"`
	PingOnConfigure     value[bool]             `toml:"ping_on_configure" json:"ping_on_configure"`
	Format              value[region.Format]    `toml:"format" json:"format"`
	Arguments           value[table]            `toml:"arguments" json:"arguments"`
}

// The kinds of values of a section that a plain Go type does not say.
type (
	// driverName is a registered region driver's name.
	driverName string
	// invalidationMode is "local" or "shared".
	invalidationMode string
	// table is a table whose keys are someone else's to check: a driver's
	// arguments, a session maker's settings.
	table map[string]any
)

// value is what one key of a section holds once decoded, from TOML and
// JSON alike: the value, whether the key was given (a JSON null is not),
// and, when what was written does not fit, the problem. Decoding records
// problems instead of failing, so that Parse reports every problem of a
// file at once, each under its key.
type value[T any] struct {
	v       T
	given   bool
	problem string
}

// UnmarshalTOML reads v as the TOML decoder gives it (string, int64,
// float64, bool, []any, map[string]any).
func (x *value[T]) UnmarshalTOML(v any) error {
	if v == nil {
		return nil
	}
	x.given = true
	want := ""
	switch p := any(&x.v).(type) {
	case *time.Duration:
		*p, x.problem = readDuration(v)
		return nil
	case *driverName:
		s, ok := v.(string)
		if *p = driverName(s); !ok || s == "" {
			want = fmt.Sprintf("a driver name (one of %s)", strings.Join(region.Drivers(), ", "))
		}
	case *invalidationMode:
		s, _ := v.(string)
		if *p = invalidationMode(s); s != "local" && s != "shared" {
			want = `"local" or "shared"`
		}
	case *region.Format:
		s, ok := v.(string)
		f, err := region.ParseFormat(s)
		if *p = f; !ok || err != nil {
			want = fmt.Sprintf("%q or %q", region.FormatGosess, region.FormatDogpile)
		}
	case *bool:
		b, ok := v.(bool)
		if *p = b; !ok {
			want = "true or false"
		}
	case *table:
		m, ok := v.(map[string]any)
		if *p = m; !ok {
			want = "a table"
		}
	default:
		return fmt.Errorf("config: no decoding for a value of type %T", x.v) // a new field type: add it here
	}
	if want != "" {
		x.problem = "want " + want + ", got " + describe(v)
	}
	return nil
}

// UnmarshalJSON reads b as encoding/json decodes it into an any (numbers
// are float64), then as UnmarshalTOML does.
func (x *value[T]) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	return x.UnmarshalTOML(v)
}

// readDuration reads seconds (a number, or a numeric string) or a Go
// duration string with the conversion every setting uses
// (internal/convert), and says what was expected when it cannot: a value
// beyond time.Duration's 292 years is refused, not wrapped around.
func readDuration(v any) (time.Duration, string) {
	var d time.Duration
	ok := false
	switch v.(type) {
	case int64, float64, string:
		d, ok = convert.Duration(v)
	}
	_, numeric := convert.Float(v)
	switch {
	case !ok && numeric:
		return 0, fmt.Sprintf("%s seconds is longer than the longest duration (%.0f seconds, about 292 years)", describe(v), maxSeconds)
	case !ok:
		return 0, `want seconds or a Go duration such as "5m", got ` + describe(v)
	case d < 0:
		return 0, "want a non-negative duration, got " + describe(v)
	}
	return d, ""
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

// problems are what is wrong with a file, each "key: what was expected".
type problems []string

func (p *problems) add(key, format string, args ...any) {
	*p = append(*p, key+": "+fmt.Sprintf(format, args...))
}

// get returns x's value, recording its problem under key.
func get[T any](p *problems, key string, x value[T]) T {
	if x.problem != "" {
		p.add(key, "%s", x.problem)
	}
	return x.v
}

// either returns the value of key, or of alias (its older spelling) when
// only that is given; both given is a problem.
func either[T any](p *problems, section, key string, x value[T], alias string, y value[T]) (T, bool) {
	if x.given && y.given {
		p.add(section+"."+alias, "is another name of %s, which is given too (give one of them)", key)
	}
	if y.given && !x.given {
		return get(p, section+"."+alias, y), true
	}
	return get(p, section+"."+key, x), x.given
}

// decode reads data in format ("toml" or "json") into a document, and
// returns the problems of its structure: keys the document does not
// know, and sections that are not tables. An error is a file that does
// not parse.
func decode(data []byte, format string) (*document, problems, error) {
	doc := &document{}
	var p problems
	switch format {
	case "toml":
		md, err := toml.Decode(string(data), doc)
		if err != nil {
			return nil, nil, err
		}
		unknownKeys(&p, md.Undecoded())
		// The decoder leaves a top-level key that is no table (regions =
		// 5) out of its map without a word.
		for _, top := range []string{"regions", "sessions"} {
			if t := md.Type(top); t != "" && t != "Hash" {
				p.add(top, "want a table, got a value of type %s", strings.ToLower(t))
			}
		}
	case "json":
		tables, err := checkJSON(data, &p)
		if err != nil {
			return nil, nil, err
		}
		if !tables {
			return doc, p, nil // the decoder would stop at the first: report these
		}
		if err := json.Unmarshal(data, doc); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, fmt.Errorf("unknown format %q (want toml or json)", format)
	}
	return doc, p, nil
}

// unknownKeys records the problems of keys that the document does not
// name: a key's section when it is not regions or sessions, or its key of
// a region section. Keys further down are parts of a value (a table given
// as a driver name), which the value's own problem names; keys of session
// sections are the session package's to check.
func unknownKeys(p *problems, keys []toml.Key) {
	seen := map[string]bool{}
	known := regionKeys()
	for _, k := range keys {
		switch {
		case k[0] != "regions" && k[0] != "sessions":
			k = k[:1]
		case k[0] == "regions" && len(k) >= 3 && !slices.Contains(known, k[2]):
			k = k[:3]
		default:
			continue
		}
		if seen[k.String()] {
			continue
		}
		seen[k.String()] = true
		if len(k) == 1 {
			p.add(k[0], "unknown section (known: regions, sessions)")
		} else {
			p.add(k.String(), "unknown key (known: %s)", strings.Join(known, ", "))
		}
	}
}

// checkJSON finds in a JSON document what the TOML decoder's MetaData
// tells of a TOML one: keys the document does not name (unknownKeys is
// given every key of the region sections and keeps those), and sections
// that are not tables (objects); tables is false when there are such.
func checkJSON(data []byte, p *problems) (tables bool, err error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return false, err
	}
	tables = true
	var unknown []toml.Key
	for _, name := range slices.Sorted(maps.Keys(top)) {
		if name != "regions" && name != "sessions" {
			unknown = append(unknown, toml.Key{name})
			continue
		}
		sections, ok := jsonObject(p, name, top[name])
		if tables = tables && ok; !ok || name != "regions" {
			continue
		}
		for _, sec := range slices.Sorted(maps.Keys(sections)) {
			keys, ok := jsonObject(p, name+"."+sec, sections[sec])
			tables = tables && ok
			for _, k := range slices.Sorted(maps.Keys(keys)) {
				unknown = append(unknown, toml.Key{name, sec, k})
			}
		}
	}
	unknownKeys(p, unknown)
	return tables, nil
}

// jsonObject decodes raw as an object, recording a problem under key when
// it is something else.
func jsonObject(p *problems, key string, raw json.RawMessage) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) == nil && m != nil {
		return m, true
	}
	var v any
	json.Unmarshal(raw, &v)
	p.add(key, "want a table, got %s", describe(v))
	return nil, false
}

// regionKeys returns the keys of a region section (regionSection's
// tags).
func regionKeys() []string {
	t := reflect.TypeFor[regionSection]()
	keys := make([]string, t.NumField())
	for i := range keys {
		keys[i] = t.Field(i).Tag.Get("toml")
	}
	return keys
}

// region reads a region section, recording its problems under key.
func (s regionSection) region(p *problems, key string) Region {
	r := Region{Invalidation: "local"}
	driver, ok := either(p, key, "driver", s.Driver, "backend", s.Backend)
	if r.Driver = string(driver); !ok {
		p.add(key+".driver", "missing (one of %s)", strings.Join(region.Drivers(), ", "))
	}
	r.Expiration, _ = either(p, key, "expiration", s.Expiration, "expiration_time", s.ExpirationTime)
	r.StaleWindow = get(p, key+".stale_window", s.StaleWindow)
	if s.Invalidation.given {
		r.Invalidation = string(get(p, key+".invalidation", s.Invalidation))
	}
	r.InvalidationRefresh = get(p, key+".invalidation_refresh", s.InvalidationRefresh)
	r.PingOnConfigure = get(p, key+".ping_on_configure", s.PingOnConfigure)
	r.Format = get(p, key+".format", s.Format)
	r.Arguments = get(p, key+".arguments", s.Arguments)
	return r
}
