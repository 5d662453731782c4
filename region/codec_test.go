package region_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
)

type codecSample struct {
	Name  string            `json:"name"`
	N     int               `json:"n"`
	F     float64           `json:"f,omitempty"`
	Tags  []string          `json:"tags"`
	Attrs map[string]string `json:"attrs"`
	When  time.Time         `json:"when"`
	Skip  string            `json:"-"`
	Ptr   *int              `json:"ptr"`
}

// TestDefaultCodecReadsTheOldDefault: the default codec (FastJSONCodec)
// writes the same JSON as the former default (JSONCodec, encoding/json),
// so a value either wrote is a hit for the other, with its Go types.
func TestDefaultCodecReadsTheOldDefault(t *testing.T) {
	ctx := context.Background()
	d := newMapDriver()
	oldRegion := regionOn(t, "codec", d, region.Config{}, region.WithCodec(region.JSONCodec{}))
	newRegion := regionOn(t, "codec", d, region.Config{})
	seven := 7
	want := codecSample{Name: "zoë <&>", N: -3, F: 1.5, Tags: []string{"a"}, Attrs: map[string]string{"k": "v"},
		When: time.Date(2024, 2, 29, 12, 0, 0, 123, time.UTC), Skip: "not stored", Ptr: &seven}
	for _, w := range []struct {
		name           string
		writer, reader *region.Region
	}{{"old to new", oldRegion, newRegion}, {"new to old", newRegion, oldRegion}} {
		if err := region.Set(ctx, w.writer, "k", want); err != nil {
			t.Fatal(err)
		}
		got, err := region.Get[codecSample](ctx, w.reader, "k")
		if err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		exp := want
		exp.Skip = ""
		if !reflect.DeepEqual(got, exp) {
			t.Fatalf("%s: got %+v, want %+v", w.name, got, exp)
		}
		// Untyped values come back as encoding/json makes them.
		m, err := region.Get[map[string]any](ctx, w.reader, "k")
		if err != nil || m["n"] != float64(-3) || m["tags"].([]any)[0] != "a" {
			t.Fatalf("%s: as a map: %#v, %v", w.name, m, err)
		}
	}
}

// TestValuesOfAnotherCodecAreMisses: bytes written by another codec
// (MessagePack-like binary here: gob) are a miss for the default codec,
// and GetOrCreate regenerates them; never an error.
func TestValuesOfAnotherCodecAreMisses(t *testing.T) {
	ctx := context.Background()
	d := newMapDriver()
	gobRegion := regionOn(t, "codec", d, region.Config{}, region.WithCodec(region.GobCodec{}))
	r := regionOn(t, "codec", d, region.Config{})
	if err := region.Set(ctx, gobRegion, "k", codecSample{Name: "gob", N: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := region.Get[codecSample](ctx, r, "k"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("a gob value read with the default codec: %v; want ErrNotFound", err)
	}
	v, err := region.GetOrCreate(ctx, r, "k", func(context.Context) (codecSample, error) { return codecSample{Name: "new"}, nil })
	if err != nil || v.Name != "new" {
		t.Fatalf("GetOrCreate over a gob value: %+v, %v", v, err)
	}
	if err := region.Set(ctx, r, "bad", make(chan int)); !errors.Is(err, region.ErrEncode) {
		t.Fatalf("a channel with the default codec: %v; want ErrEncode", err)
	}
}
