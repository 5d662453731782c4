package region

import (
	"context"
	"encoding/base64"
	"errors"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/pypeer"
)

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": FormatGosess, "gosess": FormatGosess, "dogpile": FormatDogpile} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("pickle"); err == nil || !strings.Contains(err.Error(), `"pickle"`) {
		t.Fatal(err)
	}
	if Format("").String() != "gosess" {
		t.Fatal(Format("").String())
	}
}

func TestDogpileLayout(t *testing.T) {
	created := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	b, err := encodeDogpile(JSONCodec{}, "héllo", created)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"ct": 1714979289.123456, "v": 2}|"héllo"`; string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
	e, ok := parseDogpile(b)
	if !ok || e.created != created.UnixNano() || e.kind != kindCodec {
		t.Fatal(e, ok)
	}
	if s, err := decodeValue[string](JSONCodec{}, e); err != nil || s != "héllo" {
		t.Fatal(s, err)
	}
	// Other spellings of the metadata parse too; other versions and
	// junk are misses.
	for in, want := range map[string]bool{
		`{"v": 2, "ct": 1.5}|1`:     true,
		`{"ct":1.5,"v":2}|1`:        true,
		`{"ct": 1.5, "v": 2.0}|1`:   true,
		`{"ct": 1.5, "v": 1}|1`:     false,
		`{"ct": 1.5, "v": 3}|1`:     false,
		`{"ct": 1.5}|1`:             false,
		`{"v": 2}|1`:                false,
		`{"ct": "x", "v": 2}|1`:     false,
		`{"ct": 1.5, "v": 2}`:       false,
		`1.5|2`:                     false,
		"":                          false,
		"\xd9\x01\x02" + "12345678": false,
	} {
		if _, ok := parseDogpile([]byte(in)); ok != want {
			t.Errorf("parseDogpile(%q) ok=%v, want %v", in, ok, want)
		}
	}
}

// TestPyFloatMatchesPython compares appendPyFloat with Python's repr on
// edge cases and random floats of every magnitude.
func TestPyFloatMatchesPython(t *testing.T) {
	pypeer.Need(t)
	fs := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 0.5, 1.5, 10, 100, 1e15, 1e16, 1e17, 9999999999999998,
		1234567890123456.7, 0.001, 0.0001, 0.00001, 1e-5, 1.25e-7, 1e22, 1e100, 1e-100, 5e-324,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 1714979289.123456, 1714979289.1, 123456789, 2.5e-4,
		math.Inf(1), math.Inf(-1)}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		f := math.Float64frombits(rng.Uint64())
		if !math.IsNaN(f) {
			fs = append(fs, f)
		}
		fs = append(fs, rng.Float64()*math.Pow(10, float64(rng.IntN(40)-20)))
	}
	hex := make([]string, len(fs))
	for i, f := range fs {
		hex[i] = strconv.FormatFloat(f, 'x', -1, 64)
	}
	res := runPeer(t, pypeer.Region{Backend: "dogpile.cache.memory"}, pypeer.Step{"op": "repr", "floats": hex})
	reprs := res[0]["reprs"].([]any)
	for i, f := range fs {
		if got := string(appendPyFloat(nil, f)); got != reprs[i] {
			t.Errorf("%v: Go %s, Python %s", f, got, reprs[i])
		}
	}
}

type pyUser struct {
	ID    int      `json:"id"`
	Name  string   `json:"name"`
	Tags  []string `json:"tags"`
	Admin bool     `json:"admin"`
}

// TestDogpileBytesBothWays hands Python's own region (memory backend, JSON
// serializer) the bytes Go builds, and Go the bytes Python stores.
func TestDogpileBytesBothWays(t *testing.T) {
	pypeer.Need(t)
	u := pyUser{ID: 7, Name: "Zoë", Tags: []string{"a", "b"}, Admin: true}
	created := time.Now().Add(-3 * time.Second)
	goValues := map[string]any{"str": "some value", "user": u, "int": 42, "list": []any{1.0, "two", nil}, "float": 2.5}
	names := slices.Sorted(maps.Keys(goValues))
	var steps []pypeer.Step
	for _, k := range names {
		v := goValues[k]
		b, err := encodeDogpile(JSONCodec{}, v, created)
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps,
			pypeer.Step{"op": "raw_set", "key": "go:" + k, "raw": base64.StdEncoding.EncodeToString(b)},
			pypeer.Step{"op": "get", "key": "go:" + k})
	}
	steps = append(steps,
		pypeer.Step{"op": "set", "key": "py:str", "value": "from python"},
		pypeer.Step{"op": "raw_get", "key": "py:str"},
		pypeer.Step{"op": "set", "key": "py:user", "value": map[string]any{"id": 8, "name": "Ann", "tags": []string{"x"}, "admin": false}},
		pypeer.Step{"op": "raw_get", "key": "py:user"},
	)
	before := time.Now()
	res := runPeer(t, pypeer.Region{Backend: "dogpile.cache.memory", ExpirationTime: pypeer.Seconds(60)}, steps...)
	after := time.Now()
	for i, k := range names {
		got := res[2*i+1]
		want := goValues[k]
		if k == "user" {
			want = map[string]any{"id": 7.0, "name": "Zoë", "tags": []any{"a", "b"}, "admin": true}
		}
		if k == "int" {
			want = 42.0
		}
		if !got.Hit() || !reflect.DeepEqual(got["value"], want) {
			t.Errorf("Python read Go's %s as %v, want %v", k, got, want)
		}
	}
	raw := func(r pypeer.Result) entry {
		t.Helper()
		b, err := base64.StdEncoding.DecodeString(r["raw"].(string))
		if err != nil {
			t.Fatal(err)
		}
		e, ok := parseDogpile(b)
		if !ok {
			t.Fatalf("Go cannot parse Python's %q", b)
		}
		if e.created < before.Add(-time.Millisecond).UnixNano() || e.created > after.UnixNano() {
			t.Errorf("ct %v not within the peer's run [%v, %v]", time.Unix(0, e.created), before, after)
		}
		return e
	}
	n := len(goValues) * 2
	if s, err := decodeValue[string](JSONCodec{}, raw(res[n+1])); err != nil || s != "from python" {
		t.Errorf("Go read Python's string as %q, %v", s, err)
	}
	if got, err := decodeValue[pyUser](JSONCodec{}, raw(res[n+3])); err != nil || !reflect.DeepEqual(got, pyUser{ID: 8, Name: "Ann", Tags: []string{"x"}}) {
		t.Errorf("Go read Python's struct as %+v, %v", got, err)
	}
}

// TestGosessEnvelopeUnreadableInPython pins what a Python region does
// with a value in gosess's own format: it raises (the metadata is not
// JSON), it never returns a value.
func TestGosessEnvelopeUnreadableInPython(t *testing.T) {
	pypeer.Need(t)
	var steps []pypeer.Step
	for _, v := range []any{"a|b", []byte(`{"ct": 1, "v": 2}|"x"`), pyUser{Name: "x|y"}, 1} {
		b, err := encodeValue(JSONCodec{}, v, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps,
			pypeer.Step{"op": "raw_set", "key": "k", "raw": base64.StdEncoding.EncodeToString(b)},
			pypeer.Step{"op": "get", "key": "k"},
			pypeer.Step{"op": "get_or_create", "key": "k", "value": "created"})
	}
	res := runPeer(t, pypeer.Region{Backend: "dogpile.cache.memory"}, steps...)
	for i := 1; i < len(res); i += 3 {
		for _, r := range res[i : i+2] {
			if r.OK() || !strings.HasPrefix(r.Error(), "UnicodeDecodeError") {
				t.Errorf("%s of a gosess envelope: %v, want UnicodeDecodeError", r["op"], r)
			}
		}
	}
}

func runPeer(t *testing.T, reg pypeer.Region, steps ...pypeer.Step) []pypeer.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := pypeer.Run(ctx, reg, steps...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

type memoArgs struct {
	Name  string
	ID    int64
	Score float64
	On    bool
	Opt   *int
}

type shade int

func (s shade) String() string { return "shade-" + strconv.Itoa(int(s)) }

// TestDogpileMemoKeysMatchPython compares WithDogpileKey's keys with the
// keys Python's cache_on_arguments computes for the same module, function,
// namespace and arguments.
func TestDogpileMemoKeysMatchPython(t *testing.T) {
	pypeer.Need(t)
	r := New("memo")
	seven := 7
	type tc struct {
		goKey    string
		ns       string
		args     []any
		function string
	}
	var cases []tc
	add := func(ns, function string, goKey string, args ...any) {
		cases = append(cases, tc{goKey: goKey, ns: ns, args: args, function: function})
	}
	add("", "load_user", Memoize[int, string](r, "", nil).WithDogpileKey("myapp.users", "load_user").Key(42), 42)
	add("v2", "load_user", Memoize[string, string](r, "v2", nil).WithDogpileKey("myapp.users", "load_user").Key("Zoë b"), "Zoë b")
	add("", "f", Memoize[float64, string](r, "", nil).WithDogpileKey("m", "f").Key(1.0), 1.0)
	add("", "f", Memoize[float64, string](r, "", nil).WithDogpileKey("m", "f").Key(1e16), 1e16)
	add("", "f", Memoize[bool, string](r, "", nil).WithDogpileKey("m", "f").Key(true), true)
	add("ns", "g", Memoize[memoArgs, string](r, "ns", nil).WithDogpileKey("m.n", "g").Key(memoArgs{"a", -3, 0.25, false, &seven}), "a", -3, 0.25, false, 7)
	add("ns", "g", Memoize[memoArgs, string](r, "ns", nil).WithDogpileKey("m.n", "g").Key(memoArgs{Name: "x"}), "x", 0, 0.0, false, nil)
	add("", "multi", MemoizeMulti[uint8, string](r, "", nil).WithDogpileKey("m", "multi").Key(200), 200)
	var steps []pypeer.Step
	for _, c := range cases {
		for i, a := range c.args {
			if f, ok := a.(float64); ok {
				c.args[i] = map[string]string{"float": strconv.FormatFloat(f, 'x', -1, 64)}
			}
		}
		steps = append(steps, pypeer.Step{"op": "memo", "module": strings.SplitN(c.goKey, ":", 2)[0], "function": c.function,
			"namespace": map[bool]any{true: nil, false: c.ns}[c.ns == ""], "args": c.args, "value": 1})
	}
	res := runPeer(t, pypeer.Region{Backend: "dogpile.cache.memory"}, steps...)
	for i, c := range cases {
		if res[i]["key"] != c.goKey {
			t.Errorf("Go key %q, Python key %v (%v)", c.goKey, res[i]["key"], res[i])
		}
	}
	if got := Memoize[shade, int](r, "", nil).WithDogpileKey("m", "f").Key(3); got != "m:f|shade-3" {
		t.Error(got)
	}
	type bad struct{ C chan int }
	m := Memoize(r, "", func(context.Context, bad) (int, error) { return 1, nil }).WithDogpileKey("m", "f")
	if _, err := m.Call(context.Background(), bad{}); !errors.Is(err, ErrInvalidArgument) || m.Key(bad{}) != "" {
		t.Fatal(err)
	}
	type hidden struct{ a int }
	if _, err := Memoize(r, "", func(context.Context, hidden) (int, error) { return 1, nil }).WithDogpileKey("m", "f").Get(context.Background(), hidden{}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal(err)
	}
}

func TestSHA1MangleKeyMatchesPython(t *testing.T) {
	pypeer.Need(t)
	keys := []string{"user:7", "Zoë", strings.Repeat("k", 300), " spaces and\ttabs ", ""}
	res := runPeer(t, pypeer.Region{Backend: "dogpile.cache.memory"}, pypeer.Step{"op": "mangle", "keys": keys})
	for i, k := range keys {
		if got, want := SHA1MangleKey(k), res[0]["mangled"].([]any)[i]; got != want {
			t.Errorf("%q: Go %s, Python %v", k, got, want)
		}
	}
}
