package region

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/gosess/gosess/region/driver"
)

// This file is the region's only way to the stored values: every operation
// (Get, Set, the multi versions, the dogpile lock flow, compare-and-set)
// reads and writes values through the functions below, so that how a value
// becomes what the driver keeps (the envelope and the codec today) is
// decided in one place: the envelope and the codec for byte drivers, the
// values themselves for a driver.ValueDriver (st.values).
//
//	readOne / readMany          one or many keys, classified (fresh, stale, missing)
//	writeOne / writeMany        values created now, with the call's TTL
//	readVersioned / writeIf     compare-and-set: a read that names the version
//	                            it saw, and a write that happens only if that
//	                            version is still the one stored

// read is what a read found under one key.
type read[T any] struct {
	v       T
	created int64 // Unix nanoseconds; 0 when f == missing
	f       freshness
}

// keyed is a value to write under the store key mk (key is the caller's
// key, for messages).
type keyed[T any] struct {
	key, mk string
	v       T
}

// readOne reads and classifies the value under the store key mk into
// *out (which it fills in place: values are copied once, not through
// results). An absent or undecodable value is `missing` with a nil error;
// a driver failure is returned (and counted).
func readOne[T any](ctx context.Context, r *Region, st *state, mk string, c *callConfig, out *read[T]) error {
	if st.values != nil {
		s, err := st.values.GetValue(ctx, mk)
		if err != nil {
			return r.readErr(err)
		}
		judgeStored(ctx, r, st, s, c, wallNanos(), out)
		return nil
	}
	b, err := st.driver.Get(ctx, mk)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		r.stats.driverErrors.Add(1)
		return err
	}
	judgeBytes(ctx, r, st, b, c, wallNanos(), out)
	return nil
}

// readMany reads the store keys mks (distinct) with one driver call (Get
// for a single key) and returns what it found under each, in the order of
// mks.
func readMany[T any](ctx context.Context, r *Region, st *state, mks []string, c *callConfig) ([]read[T], error) {
	out := make([]read[T], len(mks))
	if len(mks) == 1 {
		return out, readOne(ctx, r, st, mks[0], c, &out[0])
	}
	if st.values != nil {
		vals, err := st.values.GetValues(ctx, mks)
		if err != nil {
			r.stats.driverErrors.Add(1)
			return out, err
		}
		now := wallNanos()
		for i, mk := range mks {
			if s, ok := vals[mk]; ok {
				judgeStored(ctx, r, st, s, c, now, &out[i])
			}
		}
		return out, nil
	}
	raw, err := driver.GetMulti(ctx, st.driver, mks)
	if err != nil {
		r.stats.driverErrors.Add(1)
		return out, err
	}
	now := wallNanos()
	for i, mk := range mks {
		judgeBytes(ctx, r, st, raw[mk], c, now, &out[i])
	}
	return out, nil
}

// writeOne stores v, created now, under mk with the call's TTL. A value
// the codec cannot encode is ErrEncode (nothing stored); a driver failure
// is returned (and counted).
func writeOne[T any](ctx context.Context, r *Region, st *state, mk string, v T, c *callConfig) error {
	if st.values != nil {
		if err := st.values.SetValue(ctx, mk, driver.Stored{Value: held(v), Created: time.Now().UnixNano()}, st.ttl(c)); err != nil {
			r.stats.driverErrors.Add(1)
			return err
		}
		return nil
	}
	b, err := encodeFor(st, r.codec, v, time.Now())
	if err != nil {
		return err
	}
	if err := st.driver.Set(ctx, mk, b, st.ttl(c)); err != nil {
		r.stats.driverErrors.Add(1)
		return err
	}
	return nil
}

// writeMany stores every item, created now, with the call's TTL, in one
// driver call (Set for a single item). Every value is encoded before
// anything is stored, so a value the codec cannot encode stores nothing.
func writeMany[T any](ctx context.Context, r *Region, st *state, items []keyed[T], c *callConfig) error {
	if len(items) == 1 {
		if err := writeOne(ctx, r, st, items[0].mk, items[0].v, c); err != nil {
			return fmt.Errorf("%q: %w", items[0].key, err)
		}
		return nil
	}
	stamp := time.Now()
	if st.values != nil {
		vals := make(map[string]driver.Stored, len(items))
		for _, it := range items {
			vals[it.mk] = driver.Stored{Value: held(it.v), Created: stamp.UnixNano()}
		}
		if err := st.values.SetValues(ctx, vals, st.ttl(c)); err != nil {
			r.stats.driverErrors.Add(1)
			return err
		}
		return nil
	}
	raw := make(map[string][]byte, len(items))
	for _, it := range items {
		b, err := encodeFor(st, r.codec, it.v, stamp)
		if err != nil {
			return fmt.Errorf("%q: %w", it.key, err)
		}
		raw[it.mk] = b
	}
	if err := driver.SetMulti(ctx, st.driver, raw, st.ttl(c)); err != nil {
		r.stats.driverErrors.Add(1)
		return err
	}
	return nil
}

// readVersioned reads mk as readOne does and also returns the version of
// what is stored: the driver's token when it implements driver.CASDriver, else a
// digest of the stored bytes. The version names the stored item even when
// the read classifies it as missing (expired past use, invalidated,
// undecodable), so that writeIf can replace it; the zero Version means
// nothing is stored.
func readVersioned[T any](ctx context.Context, r *Region, st *state, mk string, c *callConfig) (read[T], Version, error) {
	if st.values != nil {
		s, err := st.values.GetValue(ctx, mk)
		if err != nil {
			return read[T]{}, Version{}, r.readErr(err)
		}
		var got read[T]
		judgeStored(ctx, r, st, s, c, wallNanos(), &got)
		return got, Version{token: valueToken(s.Version)}, nil
	}
	var (
		b   []byte
		tok driver.CASToken
		err error
	)
	if st.cas != nil {
		b, tok, err = st.cas.GetCAS(ctx, mk)
	} else {
		b, err = st.driver.Get(ctx, mk)
		if err == nil {
			tok = digestToken(b)
		}
	}
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return read[T]{}, Version{}, nil
		}
		r.stats.driverErrors.Add(1)
		return read[T]{}, Version{}, err
	}
	var got read[T]
	judgeBytes(ctx, r, st, b, c, wallNanos(), &got)
	return got, Version{token: tok}, nil
}

// writeIf stores v, created now, under mk only if what is stored is still
// the version ver (nothing stored, for the zero Version). It returns
// ErrConflict (wrapped) when it is not, and stores nothing. Drivers that
// implement driver.CASDriver do the check in the store; for the others the check
// and the write happen under the key's dogpile mutex (see Atomicity).
func writeIf[T any](ctx context.Context, r *Region, st *state, mk string, ver Version, v T, c *callConfig) error {
	if st.values != nil {
		err := st.values.CompareAndSetValue(ctx, mk, tokenValue(ver.token), driver.Stored{Value: held(v), Created: time.Now().UnixNano()}, st.ttl(c))
		switch {
		case errors.Is(err, ErrConflict):
			r.stats.conflicts.Add(1)
		case err != nil:
			r.stats.driverErrors.Add(1)
		}
		return err
	}
	b, err := encodeFor(st, r.codec, v, time.Now())
	if err != nil {
		return err
	}
	if st.cas == nil {
		err = r.compareAndSetLocked(ctx, st, mk, ver.token, b, st.ttl(c))
	} else if err = st.cas.CompareAndSet(ctx, mk, ver.token, b, st.ttl(c)); err != nil && !errors.Is(err, ErrConflict) {
		r.stats.driverErrors.Add(1)
	}
	if errors.Is(err, ErrConflict) {
		r.stats.conflicts.Add(1)
	}
	return err
}

// compareAndSetLocked is compare-and-set for drivers without driver.CASDriver: the
// check and the write happen under the key's mutex, which is the driver's
// distributed lock when it has one (so the guarantee then holds across
// processes) and the in-process one otherwise.
func (r *Region) compareAndSetLocked(ctx context.Context, st *state, mk string, tok driver.CASToken, b []byte, ttl time.Duration) error {
	mu := r.mutexFor(st, mk)
	if err := r.lockWait(ctx, mu); err != nil {
		if ctx.Err() == nil {
			r.lockFailed(err)
		}
		return err
	}
	defer r.release(ctx, mu)
	cur, err := st.driver.Get(ctx, mk)
	var curTok driver.CASToken
	switch {
	case err == nil:
		curTok = digestToken(cur)
	case !errors.Is(err, ErrNotFound):
		r.stats.driverErrors.Add(1)
		return err
	}
	if curTok != tok {
		return fmt.Errorf("%w (compared under the key's lock)", ErrConflict)
	}
	if err := st.driver.Set(ctx, mk, b, ttl); err != nil {
		r.stats.driverErrors.Add(1)
		return err
	}
	return nil
}

// digestToken is the version of stored bytes for drivers without
// driver.CASDriver: their SHA-256, so that any change to the bytes (each write
// stamps a new creation time) changes the version.
func digestToken(b []byte) driver.CASToken {
	sum := sha256.Sum256(b)
	return driver.CASToken(sum[:])
}

// judgeBytes parses, classifies and decodes stored bytes (nil = absent)
// into *out, which must be the zero read (a miss); it is filled in place
// so that the value is not copied through results on the hit path.
func judgeBytes[T any](ctx context.Context, r *Region, st *state, b []byte, c *callConfig, now int64, out *read[T]) {
	// The gosess envelope is parsed here rather than through parseFor,
	// and its fields kept in variables rather than an entry: this is
	// every hit's path, and a struct built and copied through memory
	// costs more than the parse.
	var (
		kind    byte
		created int64
		payload []byte
	)
	if !st.dogpile {
		if len(b) < envHeader || b[0] != envMagic || b[1] != envVersion || b[2] > kindString {
			return
		}
		kind, created, payload = b[2], int64(binary.BigEndian.Uint64(b[3:11])), b[envHeader:]
	} else {
		e, ok := st.parseFor(b)
		if !ok {
			return
		}
		kind, created, payload = e.kind, e.created, e.payload
	}
	f := r.judge(ctx, st, created, c, now)
	if f == missing {
		return
	}
	if err := decodeInto(r.codec, kind, payload, &out.v); err != nil {
		r.logger.Debug("region: stored value does not decode; treated as a miss", "region", r.name, "err", err)
		return
	}
	out.created, out.f = created, f
}

// readErr turns a driver's read error into readOne's: ErrNotFound is no
// error (the read is missing), anything else is counted and returned.
func (r *Region) readErr(err error) error {
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	r.stats.driverErrors.Add(1)
	return err
}

// judgeStored classifies a value a driver.ValueDriver holds and hands it over as
// a T into *out, which must be the zero read (a miss). A value of another
// type is a miss (and is regenerated), as bytes that do not decode are on
// a byte driver.
func judgeStored[T any](ctx context.Context, r *Region, st *state, s *driver.Stored, c *callConfig, now int64, out *read[T]) {
	f := r.judge(ctx, st, s.Created, c, now)
	if f == missing {
		return
	}
	var ok bool
	if out.v, ok = s.Value.(T); !ok {
		if s.Value != nil || reflect.TypeFor[T]().Kind() != reflect.Interface {
			r.logger.Debug("region: stored value is not of the type asked for; treated as a miss",
				"region", r.name, "stored", fmt.Sprintf("%T", s.Value), "asked", reflect.TypeFor[T]().String())
			return
		}
		// A nil stored as an interface type reads back as that nil.
	}
	switch p := any(&out.v).(type) { // see held
	case *[]byte:
		*p = bytes.Clone(*p)
	case *any:
		if b, ok := (*p).([]byte); ok {
			*p = bytes.Clone(b)
		}
	}
	out.created, out.f = s.Created, f
}

// held is what a driver.ValueDriver is given for v: v itself, except that a
// []byte is copied (and copied again when read, in judgeStored). Every
// other value is shared with the cache, but []byte is the region's byte
// type: on every driver the caller owns the slices it gives and gets, and
// layers such as the session backends rely on it.
func held[T any](v T) any {
	x := any(v)
	if b, ok := x.([]byte); ok {
		return bytes.Clone(b)
	}
	return x
}

// valueToken and tokenValue carry a driver.ValueDriver's version in a Version.
func valueToken(v uint64) driver.CASToken {
	if v == 0 {
		return ""
	}
	return driver.CASToken(binary.BigEndian.AppendUint64(nil, v))
}

func tokenValue(t driver.CASToken) uint64 {
	if len(t) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64([]byte(t))
}
