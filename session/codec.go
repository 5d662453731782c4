package session

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"
	"time"
)

// Codec turns a session's values into bytes and back (the "codec"
// setting). Implementations must be safe for concurrent use.
type Codec interface {
	// Marshal encodes values. A value it cannot encode fails the call with
	// an error wrapping ErrUnsupportedValue that names the key.
	Marshal(values map[string]any) ([]byte, error)
	// Unmarshal decodes what Marshal produced. It must not panic on any
	// input, and the values it returns must not share memory with data
	// (a session keeps the bytes it loaded, to merge against them).
	Unmarshal(data []byte) (map[string]any, error)
}

// ErrCorruptData is returned by the codecs' Unmarshal for bytes they did
// not produce.
var ErrCorruptData = errors.New("session: corrupt encoded session data")

func codecByName(name string) (Codec, bool) {
	switch name {
	case "binary", "":
		return BinaryCodec{}, true
	case "gob":
		return GobCodec{}, true
	}
	return nil, false
}

func codecName(c Codec) string {
	switch c.(type) {
	case BinaryCodec:
		return "binary"
	case GobCodec:
		return "gob"
	case nil:
		return "none"
	}
	return fmt.Sprintf("%T", c)
}

// registered user types, shared by BinaryCodec (by name) and gob.
var types = struct {
	sync.RWMutex
	byType map[reflect.Type]string
	byName map[string]reflect.Type
}{byType: map[reflect.Type]string{}, byName: map[string]reflect.Type{}}

// RegisterType makes values of type T storable in sessions under a stable
// name, for both BinaryCodec and GobCodec (it also calls gob.RegisterName).
// The value itself is encoded with encoding/gob, so T's exported fields
// (or its GobEncoder / BinaryMarshaler) are what is kept. Register every
// type in init, with a name that does not change when the type moves:
// stored sessions refer to it. RegisterType panics on an empty name or on
// a name or type registered twice differently (a programming error).
func RegisterType[T any](name string) {
	var zero T
	t := reflect.TypeFor[T]()
	if name == "" {
		panic("session: RegisterType with empty name")
	}
	types.Lock()
	defer types.Unlock()
	if old, ok := types.byName[name]; ok && old != t {
		panic(fmt.Sprintf("session: RegisterType: name %q already used for %v", name, old))
	}
	if old, ok := types.byType[t]; ok && old != name {
		panic(fmt.Sprintf("session: RegisterType: type %v already registered as %q", t, old))
	}
	types.byName[name], types.byType[t] = t, name
	gob.RegisterName(name, zero)
}

func init() {
	gob.Register(time.Time{})
	gob.Register(time.Duration(0))
	gob.Register([]any(nil))
	gob.Register(map[string]any(nil))
	gob.Register([]string(nil))
	gob.Register(map[string]string(nil))
}

// GobCodec encodes values with encoding/gob ("codec": "gob"). It keeps Go
// types for every type gob knows in an interface: the basic kinds, and
// types registered with RegisterType or gob.Register (time.Time,
// time.Duration, []any, map[string]any, []string and map[string]string
// are registered by this package). gob drops nil values in the map. It is larger and slower than BinaryCodec; use it when values
// are types gob handles that BinaryCodec does not (e.g. []int) and you do
// not want to register them.
type GobCodec struct{}

// Marshal implements Codec.
func (GobCodec) Marshal(values map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(values); err != nil {
		return nil, fmt.Errorf("%w: gob: %v (register the type with session.RegisterType)", ErrUnsupportedValue, err)
	}
	return buf.Bytes(), nil
}

// Unmarshal implements Codec.
func (GobCodec) Unmarshal(data []byte) (values map[string]any, err error) {
	defer func() {
		if r := recover(); r != nil { // gob does not panic on bad input, but be sure
			values, err = nil, fmt.Errorf("%w: gob: %v", ErrCorruptData, r)
		}
	}()
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&values); err != nil {
		return nil, fmt.Errorf("%w: gob: %v", ErrCorruptData, err)
	}
	if values == nil {
		values = map[string]any{}
	}
	return values, nil
}

// BinaryCodec is the default codec ("codec": "binary"): a compact tagged
// binary format that keeps the exact Go type of every value it supports,
// so a value reads back as the type it was stored as:
//
//   - nil, bool, string, []byte;
//   - int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64,
//     float32, float64, complex64, complex128;
//   - time.Time (instant and zone offset; monotonic reading dropped) and
//     time.Duration;
//   - []any, map[string]any, []string and map[string]string, nested to
//     any depth up to 64 levels;
//   - types registered with RegisterType (their value encoded by gob).
//
// Any other type fails Marshal with ErrUnsupportedValue, naming the key
// and the type.
type BinaryCodec struct{}

const (
	binVersion = 0xB1
	maxDepth   = 64
)

const (
	tNil byte = iota
	tFalse
	tTrue
	tString
	tBytes
	tInt
	tInt8
	tInt16
	tInt32
	tInt64
	tUint
	tUint8
	tUint16
	tUint32
	tUint64
	tFloat32
	tFloat64
	tComplex64
	tComplex128
	tTime
	tDuration
	tList
	tMap
	tStrings
	tStringMap
	tRegistered
)

// Marshal implements Codec.
func (BinaryCodec) Marshal(values map[string]any) ([]byte, error) {
	b := make([]byte, 0, 64+32*len(values))
	b = append(b, binVersion)
	b = binary.AppendUvarint(b, uint64(len(values)))
	for k, v := range values {
		b = appendString(b, k)
		var err error
		if b, err = appendValue(b, v, 1); err != nil {
			return nil, fmt.Errorf("%w: key %q: %w", ErrUnsupportedValue, k, err)
		}
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendValue(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxDepth {
		return b, fmt.Errorf("nested deeper than %d levels (a cycle?)", maxDepth)
	}
	switch x := v.(type) {
	case nil:
		return append(b, tNil), nil
	case bool:
		if x {
			return append(b, tTrue), nil
		}
		return append(b, tFalse), nil
	case string:
		return appendString(append(b, tString), x), nil
	case []byte:
		b = append(b, tBytes)
		b = binary.AppendUvarint(b, uint64(len(x)))
		return append(b, x...), nil
	case int:
		return binary.AppendVarint(append(b, tInt), int64(x)), nil
	case int8:
		return binary.AppendVarint(append(b, tInt8), int64(x)), nil
	case int16:
		return binary.AppendVarint(append(b, tInt16), int64(x)), nil
	case int32:
		return binary.AppendVarint(append(b, tInt32), int64(x)), nil
	case int64:
		return binary.AppendVarint(append(b, tInt64), x), nil
	case uint:
		return binary.AppendUvarint(append(b, tUint), uint64(x)), nil
	case uint8:
		return binary.AppendUvarint(append(b, tUint8), uint64(x)), nil
	case uint16:
		return binary.AppendUvarint(append(b, tUint16), uint64(x)), nil
	case uint32:
		return binary.AppendUvarint(append(b, tUint32), uint64(x)), nil
	case uint64:
		return binary.AppendUvarint(append(b, tUint64), x), nil
	case float32:
		return binary.BigEndian.AppendUint32(append(b, tFloat32), math.Float32bits(x)), nil
	case float64:
		return binary.BigEndian.AppendUint64(append(b, tFloat64), math.Float64bits(x)), nil
	case complex64:
		b = binary.BigEndian.AppendUint32(append(b, tComplex64), math.Float32bits(real(x)))
		return binary.BigEndian.AppendUint32(b, math.Float32bits(imag(x))), nil
	case complex128:
		b = binary.BigEndian.AppendUint64(append(b, tComplex128), math.Float64bits(real(x)))
		return binary.BigEndian.AppendUint64(b, math.Float64bits(imag(x))), nil
	case time.Time:
		tb, err := x.MarshalBinary()
		if err != nil {
			return b, fmt.Errorf("time.Time: %v", err)
		}
		b = append(b, tTime, byte(len(tb)))
		return append(b, tb...), nil
	case time.Duration:
		return binary.AppendVarint(append(b, tDuration), int64(x)), nil
	case []any:
		b = binary.AppendUvarint(append(b, tList), uint64(len(x)))
		for i, e := range x {
			var err error
			if b, err = appendValue(b, e, depth+1); err != nil {
				return b, fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return b, nil
	case map[string]any:
		b = binary.AppendUvarint(append(b, tMap), uint64(len(x)))
		for k, e := range x {
			b = appendString(b, k)
			var err error
			if b, err = appendValue(b, e, depth+1); err != nil {
				return b, fmt.Errorf("[%q]: %w", k, err)
			}
		}
		return b, nil
	case []string:
		b = binary.AppendUvarint(append(b, tStrings), uint64(len(x)))
		for _, s := range x {
			b = appendString(b, s)
		}
		return b, nil
	case map[string]string:
		b = binary.AppendUvarint(append(b, tStringMap), uint64(len(x)))
		for k, s := range x {
			b = appendString(appendString(b, k), s)
		}
		return b, nil
	}
	return appendRegistered(b, v)
}

func appendRegistered(b []byte, v any) ([]byte, error) {
	t := reflect.TypeOf(v)
	types.RLock()
	name, ok := types.byType[t]
	types.RUnlock()
	if !ok {
		return b, fmt.Errorf("type %v is not supported (register it with session.RegisterType)", t)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return b, fmt.Errorf("type %v (%q): gob: %v", t, name, err)
	}
	b = appendString(append(b, tRegistered), name)
	b = binary.AppendUvarint(b, uint64(buf.Len()))
	return append(b, buf.Bytes()...), nil
}

// Unmarshal implements Codec.
func (BinaryCodec) Unmarshal(data []byte) (map[string]any, error) {
	if len(data) == 0 || data[0] != binVersion {
		return nil, fmt.Errorf("%w: not the binary codec's format", ErrCorruptData)
	}
	d := decoder{b: data[1:]}
	n := d.count()
	m := make(map[string]any, n)
	for i := 0; i < n && d.err == nil; i++ {
		k := d.str()
		m[k] = d.value(1)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return nil, d.err
	}
	return m, nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorruptData, fmt.Sprintf(format, args...))
	}
	d.b = nil
}

func (d *decoder) uvarint() uint64 { return readVarint(d, binary.Uvarint) }

func (d *decoder) varint() int64 { return readVarint(d, binary.Varint) }

// readVarint reads one varint with read (binary.Uvarint or binary.Varint).
func readVarint[T uint64 | int64](d *decoder, read func([]byte) (T, int)) T {
	v, n := read(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length and checks it against the bytes left (every item
// takes at least one byte), so corrupt input cannot make huge allocations.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("count %d exceeds the %d bytes left", n, len(d.b))
		return 0
	}
	return int(n)
}

func (d *decoder) take(n int) []byte {
	if n > len(d.b) {
		d.fail("truncated")
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) str() string { return string(d.take(d.count())) }

func (d *decoder) signed(bits int) int64 {
	v := d.varint()
	if bits < 64 && (v < -1<<(bits-1) || v >= 1<<(bits-1)) {
		d.fail("int%d out of range", bits)
	}
	return v
}

func (d *decoder) unsigned(bits int) uint64 {
	v := d.uvarint()
	if bits < 64 && v >= 1<<bits {
		d.fail("uint%d out of range", bits)
	}
	return v
}

func (d *decoder) u32() uint32 { return readFixed(d, 4, binary.BigEndian.Uint32) }

func (d *decoder) u64() uint64 { return readFixed(d, 8, binary.BigEndian.Uint64) }

// readFixed reads a big-endian number of n bytes with read.
func readFixed[T uint32 | uint64](d *decoder, n int, read func([]byte) T) T {
	if p := d.take(n); p != nil {
		return read(p)
	}
	return 0
}

func (d *decoder) value(depth int) any {
	if depth > maxDepth {
		d.fail("nested deeper than %d levels", maxDepth)
		return nil
	}
	tag := d.take(1)
	if tag == nil {
		return nil
	}
	switch tag[0] {
	case tNil:
		return nil
	case tFalse:
		return false
	case tTrue:
		return true
	case tString:
		return d.str()
	case tBytes:
		return bytes.Clone(d.take(d.count()))
	case tInt:
		return int(d.signed(strconvIntSize))
	case tInt8:
		return int8(d.signed(8))
	case tInt16:
		return int16(d.signed(16))
	case tInt32:
		return int32(d.signed(32))
	case tInt64:
		return d.signed(64)
	case tUint:
		return uint(d.unsigned(strconvIntSize))
	case tUint8:
		return uint8(d.unsigned(8))
	case tUint16:
		return uint16(d.unsigned(16))
	case tUint32:
		return uint32(d.unsigned(32))
	case tUint64:
		return d.unsigned(64)
	case tFloat32:
		return math.Float32frombits(d.u32())
	case tFloat64:
		return math.Float64frombits(d.u64())
	case tComplex64:
		re := math.Float32frombits(d.u32())
		return complex(re, math.Float32frombits(d.u32()))
	case tComplex128:
		re := math.Float64frombits(d.u64())
		return complex(re, math.Float64frombits(d.u64()))
	case tTime:
		var t time.Time
		if n := d.take(1); n != nil {
			if err := t.UnmarshalBinary(d.take(int(n[0]))); err != nil && d.err == nil {
				d.fail("time: %v", err)
			}
		}
		return t
	case tDuration:
		return time.Duration(d.varint())
	case tList:
		n := d.count()
		l := make([]any, n)
		for i := range l {
			l[i] = d.value(depth + 1)
		}
		return l
	case tMap:
		n := d.count()
		m := make(map[string]any, n)
		for i := 0; i < n && d.err == nil; i++ {
			k := d.str()
			m[k] = d.value(depth + 1)
		}
		return m
	case tStrings:
		n := d.count()
		l := make([]string, n)
		for i := range l {
			l[i] = d.str()
		}
		return l
	case tStringMap:
		n := d.count()
		m := make(map[string]string, n)
		for i := 0; i < n && d.err == nil; i++ {
			k := d.str()
			m[k] = d.str()
		}
		return m
	case tRegistered:
		return d.registered()
	}
	d.fail("unknown tag %d", tag[0])
	return nil
}

func (d *decoder) registered() any {
	name := d.str()
	p := d.take(d.count())
	if d.err != nil {
		return nil
	}
	types.RLock()
	t, ok := types.byName[name]
	types.RUnlock()
	if !ok {
		d.fail("type %q is not registered (session.RegisterType)", name)
		return nil
	}
	ptr := reflect.New(t)
	if err := gob.NewDecoder(bytes.NewReader(p)).Decode(ptr.Interface()); err != nil {
		d.fail("type %q: gob: %v", name, err)
		return nil
	}
	return ptr.Elem().Interface()
}

const strconvIntSize = 32 << (^uint(0) >> 63)
