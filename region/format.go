package region

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/gosess/gosess/region/driver"
)

// Format is the layout of the values a region keeps in its driver, chosen
// with Config.Format (flat config: "format"; TOML: format = "dogpile").
//
// FormatGosess, the default, is gosess's own compact envelope: a binary
// header with the creation time in nanoseconds, then []byte and string
// values as they are and other values through the region's Codec.
//
// FormatDogpile is the layout of a Python dogpile.cache (1.1 or later)
// region made with a serializer, so that Go and Python processes read and
// write the same values on one memcached or redis server:
//
//	{"ct": <creation time, float seconds>, "v": 2}|<payload>
//
// The metadata is what Python's json.dumps writes for dogpile's
// CachedValue metadata; the payload is every value (strings and []byte
// included) through the region's Codec, so with the default JSONCodec a
// Python region built with
//
//	make_region(serializer=lambda v: json.dumps(v).encode(),
//	            deserializer=json.loads)
//
// reads what Go writes and the other way round. A stored value whose "v"
// is not 2 (dogpile's value_version), or whose metadata does not parse,
// is a miss. Under FormatDogpile the region also behaves as dogpile does
// where the two differ (no driver TTL, call-level expiration arguments,
// ignore_expiration, the lock keys): see Config.Format.
type Format string

const (
	// FormatGosess is gosess's own value envelope. The empty Format means
	// it too.
	FormatGosess Format = "gosess"
	// FormatDogpile is Python dogpile.cache's serialized value layout.
	FormatDogpile Format = "dogpile"
)

// String returns the format's name ("gosess" for the empty Format).
func (f Format) String() string {
	if f == "" {
		return string(FormatGosess)
	}
	return string(f)
}

// ParseFormat returns the Format named s ("gosess", "dogpile"; "" is
// FormatGosess). Any other name is an error wrapping ErrInvalidArgument.
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case "", FormatGosess:
		return FormatGosess, nil
	case FormatDogpile:
		return FormatDogpile, nil
	}
	return "", fmt.Errorf("%w: unknown format %q (want %q or %q)", ErrInvalidArgument, s, FormatGosess, FormatDogpile)
}

// DogpileValueVersion is dogpile.cache's value_version, the "v" of every
// value it stores; values with another version are misses on both sides.
const DogpileValueVersion = 2

// DogpileLockPrefix is what dogpile.cache puts in front of a (mangled)
// key to name its distributed lock, on memcached and on redis alike.
const DogpileLockPrefix = "_lock"

// dogpileMetaHead and dogpileMetaTail frame the creation time in the
// metadata exactly as Python's json.dumps({"ct": ct, "v": 2}) writes it.
const (
	dogpileMetaHead = `{"ct": `
	dogpileMetaTail = `, "v": 2}|`
)

// buildDogpile lays out payload as dogpile does, created at Unix
// nanoseconds created.
func buildDogpile(created int64, payload []byte) []byte {
	b := make([]byte, 0, len(dogpileMetaHead)+24+len(dogpileMetaTail)+len(payload))
	b = append(b, dogpileMetaHead...)
	b = appendPyFloat(b, nanosToSeconds(created))
	b = append(b, dogpileMetaTail...)
	return append(b, payload...)
}

// encodeDogpile encodes v with c (every type goes through the codec, as
// every Python value goes through the serializer) in dogpile's layout.
func encodeDogpile[T any](c Codec, v T, created time.Time) ([]byte, error) {
	p, err := c.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w (%T): %w", ErrEncode, v, err)
	}
	return buildDogpile(created.UnixNano(), p), nil
}

// parseDogpile reads dogpile's layout. The payload is for the codec
// (kindCodec); ok is false for bytes without a "|", metadata that is not
// a JSON object with a numeric "ct", or a "v" other than 2.
func parseDogpile(b []byte) (entry, bool) {
	// The fast path reads the exact text Python's json.dumps writes.
	if rest, ok := bytes.CutPrefix(b, []byte(dogpileMetaHead)); ok {
		if i := bytes.Index(rest, []byte(dogpileMetaTail)); i > 0 {
			if ct, err := strconv.ParseFloat(string(rest[:i]), 64); err == nil && !math.IsNaN(ct) && !math.IsInf(ct, 0) {
				return entry{kind: kindCodec, created: secondsToNanos(ct), payload: rest[i+len(dogpileMetaTail):]}, true
			}
		}
	}
	i := bytes.IndexByte(b, '|')
	if i < 0 {
		return entry{}, false
	}
	var meta struct {
		CT *float64 `json:"ct"`
		V  *float64 `json:"v"`
	}
	if err := json.Unmarshal(b[:i], &meta); err != nil || meta.CT == nil || meta.V == nil || *meta.V != DogpileValueVersion {
		return entry{}, false
	}
	return entry{kind: kindCodec, created: secondsToNanos(*meta.CT), payload: b[i+1:]}, true
}

// nanosToSeconds converts Unix nanoseconds to float seconds as Python's
// time.time() reports them.
func nanosToSeconds(ns int64) float64 {
	return float64(ns/1e9) + float64(ns%1e9)/1e9
}

// secondsToNanos converts float seconds to Unix nanoseconds, rounded to
// the nearest microsecond (the precision of time.time() that survives a
// float64 near the present), saturating at the int64 range.
func secondsToNanos(s float64) int64 {
	whole, frac := math.Modf(s)
	if whole >= math.MaxInt64/1e9 {
		return math.MaxInt64
	}
	if whole <= math.MinInt64/1e9 {
		return math.MinInt64
	}
	return int64(whole)*1e9 + int64(math.Round(frac*1e6))*1e3
}

// appendPyFloat appends f as Python's repr(float) writes it (which is
// also what json.dumps writes for finite floats): the shortest digits
// that read back as f, in fixed notation with at least one digit after
// the point for decimal exponents from -4 to 16, and in exponent notation
// with a sign and at least two exponent digits otherwise.
func appendPyFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "nan"...)
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	// Shortest round-trip digits "d.ddde±XX" from strconv, re-laid out.
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	if e[0] == '-' {
		b = append(b, '-')
		e = e[1:]
	}
	mant, exp, _ := bytes.Cut(e, []byte("e"))
	x, _ := strconv.Atoi(string(exp))
	digits := make([]byte, 0, len(mant))
	for _, c := range mant {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	decpt := x + 1 // the point sits after decpt digits
	if decpt <= -4 || decpt > 16 {
		b = append(b, digits[0])
		if len(digits) > 1 {
			b = append(b, '.')
			b = append(b, digits[1:]...)
		}
		b = append(b, 'e')
		if x < 0 {
			b = append(b, '-')
			x = -x
		} else {
			b = append(b, '+')
		}
		if x < 10 {
			b = append(b, '0')
		}
		return strconv.AppendInt(b, int64(x), 10)
	}
	switch {
	case decpt <= 0:
		b = append(b, '0', '.')
		for range -decpt {
			b = append(b, '0')
		}
		return append(b, digits...)
	case decpt >= len(digits):
		b = append(b, digits...)
		for range decpt - len(digits) {
			b = append(b, '0')
		}
		return append(b, '.', '0')
	}
	b = append(b, digits[:decpt]...)
	b = append(b, '.')
	return append(b, digits[decpt:]...)
}

// The rules below are where a region's behaviour depends on its Format.
// The region's read and write functions call them; nothing else looks at
// the format.

// encodeFor encodes v, created at created, in st's format.
func encodeFor[T any](st *state, c Codec, v T, created time.Time) ([]byte, error) {
	if st.dogpile {
		return encodeDogpile(c, v, created)
	}
	return encodeValue(c, v, created)
}

// parseFor parses stored bytes in st's format; ok is false for bytes that
// are not a value of that format (a miss).
func (st *state) parseFor(b []byte) (entry, bool) {
	if st.dogpile {
		return parseDogpile(b)
	}
	return parseEnvelope(b)
}

// dogpileNever is dogpile's expiration_time=-1: get_or_create's "never
// expires" (a miss for get, as any negative expiration is).
const dogpileNever = -time.Second

// dogpileExpiration is the expiration a dogpile-format call judges
// freshness with, and whether there is one (dogpile's None when not).
func (st *state) dogpileExpiration(c *callConfig) (time.Duration, bool) {
	if !c.hasExpiration {
		return st.expiration, st.expiration > 0
	}
	if c.create && c.expiration == dogpileNever {
		return 0, false
	}
	return c.expiration, true
}

// dogpileExpired reports whether a value of the given age is past the
// call's expiration, as dogpile judges it: older than the expiration,
// where an expiration of 0 or less (other than get_or_create's -1)
// expires everything.
func (st *state) dogpileExpired(c *callConfig, age int64) bool {
	exp, has := st.dogpileExpiration(c)
	return has && (exp <= 0 || age > int64(exp))
}

// errSoftNeedsExpiration is dogpile's "Non-None expiration time required
// for soft invalidation", raised by get_or_create.
var errSoftNeedsExpiration = fmt.Errorf("%w: the region was soft-invalidated and this call has no expiration (dogpile: \"Non-None expiration time required for soft invalidation\")", ErrInvalidArgument)

// judgeDogpile classifies a value created at created as dogpile does:
// ignore_expiration returns any value, hard-invalidated ones included;
// otherwise invalidation, then the call's expiration (dogpileExpired).
func (st *state) judgeDogpile(c *callConfig, created, hard, soft, now int64) freshness {
	switch {
	case c.ignore:
		return fresh
	case hard != 0 && created <= hard:
		return missing
	case soft != 0 && created <= soft, st.dogpileExpired(c, now-created):
		return stale
	}
	return fresh
}

// dogpileSoftCheck is dogpile's refusal to regenerate after a soft
// invalidation when the call has no expiration: under FormatDogpile a
// GetOrCreate that finds no fresh value then fails (dogpile raises
// whether the key held a soft-invalidated value or none; it runs the
// creator first in the second case, gosess does not).
func (st *state) dogpileSoftCheck(ctx context.Context, c *callConfig) error {
	if !st.dogpile {
		return nil
	}
	if _, has := st.dogpileExpiration(c); has {
		return nil
	}
	if _, soft, _ := st.invalNanos(ctx); soft != 0 {
		return errSoftNeedsExpiration
	}
	return nil
}

// remoteMutex is the driver's distributed mutex guarding the store key mk
// (st.locker must be set). Under FormatDogpile the lock lives where
// dogpile puts it, DogpileLockPrefix + mk, and is taken with the driver's
// driver.DogpileLocker protocol when it has one; otherwise under st.lockKey(mk)
// with the driver's own protocol.
func (st *state) remoteMutex(mk string) Mutex {
	if !st.dogpile {
		return st.locker.Mutex(st.lockKey(mk))
	}
	lk := DogpileLockPrefix + mk
	if st.limiter != nil && !st.limiter.ValidKey(lk) {
		lk = st.lockKey(mk) // a key Python cannot hold either: not shared
	}
	if st.dogpileLocker != nil {
		return st.dogpileLocker.DogpileMutex(lk)
	}
	return st.locker.Mutex(lk)
}

// checkFormatFits refuses the dogpile format on a driver that holds Go
// values (a driver.ValueDriver the region would talk to directly): the format is
// a layout of bytes, shared with Python processes through a byte store,
// which such a driver is not.
func (r *Region) checkFormatFits(d Driver, cfg Config, name string) error {
	if f, _ := ParseFormat(string(cfg.Format)); f != FormatDogpile || len(cfg.Wrap) > 0 {
		return nil
	}
	if _, values := d.(driver.ValueDriver); values {
		return fmt.Errorf("region %q: %w: format %q is a layout of bytes for stores shared with Python; driver %q keeps Go values in this process (use memory, memcached, redis or file)",
			r.name, ErrInvalidArgument, FormatDogpile, driverLabel(name))
	}
	return nil
}
