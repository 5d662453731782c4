package session_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/session"
)

var codecSamples = map[string]any{
	"nil": nil, "bool": false, "string": "héllo", "empty": "", "bytes": []byte("x"),
	"int": math.MinInt, "int8": int8(math.MinInt8), "int16": int16(math.MaxInt16), "int32": int32(math.MinInt32),
	"int64": int64(math.MaxInt64), "uint": uint(math.MaxUint), "uint8": uint8(255), "uint16": uint16(math.MaxUint16),
	"uint32": uint32(math.MaxUint32), "uint64": uint64(math.MaxUint64), "float32": float32(-0.5),
	"float64": math.Inf(-1), "complex64": complex64(1 + 2i), "complex128": complex(3, -4),
	"duration": -time.Minute, "time": time.Date(2001, 2, 3, 4, 5, 6, 7, time.UTC),
	"list": []any{1, []any{}, map[string]any{}}, "map": map[string]any{"x": map[string]any{"y": []any{uint8(1)}}},
	"strings": []string{"", "a"}, "stringmap": map[string]string{"": "b"},
	"user": testUser{"bo", 3},
}

func TestCodecsRoundTrip(t *testing.T) {
	for _, c := range []session.Codec{session.BinaryCodec{}, session.GobCodec{}} {
		b, err := c.Marshal(codecSamples)
		if err != nil {
			t.Fatalf("%T: %v", c, err)
		}
		got, err := c.Unmarshal(b)
		if err != nil {
			t.Fatalf("%T: %v", c, err)
		}
		for k, want := range codecSamples {
			if _, isGob := c.(session.GobCodec); isGob && (k == "nil" || k == "list") {
				continue // gob drops nil values and turns empty slices into nil ones
			}
			v := got[k]
			if wt, ok := want.(time.Time); ok {
				if !wt.Equal(v.(time.Time)) {
					t.Errorf("%T %s: %v", c, k, v)
				}
				continue
			}
			if !reflect.DeepEqual(v, want) {
				t.Errorf("%T %s: got %#v (%T), want %#v (%T)", c, k, v, v, want, want)
			}
		}
	}
}

func TestBinaryCodecErrors(t *testing.T) {
	c := session.BinaryCodec{}
	type unregistered struct{ A int }
	for name, v := range map[string]any{
		"chan": make(chan int), "func": func() {}, "unregistered": unregistered{1}, "[]int": []int{1},
		"nested": map[string]any{"x": []any{struct{}{}}},
	} {
		_, err := c.Marshal(map[string]any{"key": v})
		if !errors.Is(err, session.ErrUnsupportedValue) || !strings.Contains(err.Error(), `"key"`) {
			t.Errorf("%s: %v", name, err)
		}
	}
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	if _, err := c.Marshal(map[string]any{"c": cyclic}); !errors.Is(err, session.ErrUnsupportedValue) {
		t.Errorf("cycle: %v", err)
	}
	good, _ := c.Marshal(codecSamples)
	for i := range good {
		if _, err := c.Unmarshal(good[:i]); err == nil {
			t.Errorf("truncated at %d accepted", i)
		}
	}
	for _, bad := range [][]byte{nil, {0}, {0xB1, 0xff, 0xff, 0xff, 0xff, 0x0f}, {0xB1, 1, 1, 'k', 200}} {
		if _, err := c.Unmarshal(bad); !errors.Is(err, session.ErrCorruptData) {
			t.Errorf("%x: %v", bad, err)
		}
	}
}

func TestRegisterTypePanics(t *testing.T) {
	type other struct{}
	for name, f := range map[string]func(){
		"empty":     func() { session.RegisterType[other]("") },
		"name used": func() { session.RegisterType[other]("session_test.user") },
		"renamed":   func() { session.RegisterType[testUser]("another name") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	session.RegisterType[testUser]("session_test.user") // same again: fine
}

func FuzzBinaryCodec(f *testing.F) {
	b, _ := session.BinaryCodec{}.Marshal(codecSamples)
	f.Add(b)
	f.Add([]byte{0xB1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := session.BinaryCodec{}.Unmarshal(data)
		if err != nil {
			return
		}
		again, err := session.BinaryCodec{}.Marshal(m)
		if err != nil {
			t.Fatalf("decoded values do not encode: %v", err)
		}
		if _, err := (session.BinaryCodec{}).Unmarshal(again); err != nil {
			t.Fatalf("re-encoded values do not decode: %v", err)
		}
	})
}

func TestRecordFormat(t *testing.T) {
	exp := time.Unix(1700000000, 5)
	r := session.Record{Version: 7, Expires: exp, Data: []byte("data")}
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back session.Record
	if err := back.UnmarshalBinary(b); err != nil || back.Version != 7 || !back.Expires.Equal(exp) || string(back.Data) != "data" {
		t.Fatalf("%+v %v", back, err)
	}
	if pe, err := session.PeekExpiry(b[:session.RecordHeaderSize]); err != nil || !pe.Equal(exp) {
		t.Errorf("PeekExpiry %v %v", pe, err)
	}
	if !back.ExpiredAt(exp) || back.ExpiredAt(exp.Add(-1)) {
		t.Error("ExpiredAt")
	}
	never := session.Record{Version: 1}
	nb, _ := never.MarshalBinary()
	var nr session.Record
	if err := nr.UnmarshalBinary(nb); err != nil || !nr.Expires.IsZero() || nr.ExpiredAt(time.Now()) {
		t.Errorf("never-expiring record: %+v %v", nr, err)
	}
	if err := nr.UnmarshalBinary([]byte("nope")); !errors.Is(err, session.ErrBadRecord) {
		t.Errorf("bad record: %v", err)
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"abcDEF012-_": true, "": false, "../etc/passwd": false, "a/b": false, "a.b": false, "a b": false,
		strings.Repeat("a", session.MaxIDLength): true, strings.Repeat("a", session.MaxIDLength+1): false, "é": false,
	} {
		if session.ValidID(id) != want {
			t.Errorf("ValidID(%q) != %v", id, want)
		}
	}
}
