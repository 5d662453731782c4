package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/bytedance/sonic"
	gojson "github.com/goccy/go-json"

	"github.com/gosess/gosess/region"
)

type gojsonCodec struct{}

func (gojsonCodec) Marshal(v any) ([]byte, error)      { return gojson.Marshal(v) }
func (gojsonCodec) Unmarshal(b []byte, v any) error    { return gojson.Unmarshal(b, v) }

type sonicCodec struct{}

func (sonicCodec) Marshal(v any) ([]byte, error)   { return sonic.Marshal(v) }
func (sonicCodec) Unmarshal(b []byte, v any) error { return sonic.Unmarshal(b, v) }

func BenchmarkZZTyped(b *testing.B) {
	keys := benchKeys("user")
	ctx := context.Background()
	rc := func(opts ...region.Option) func(tb testing.TB) func(int) error {
		return func(tb testing.TB) func(int) error {
			r, _ := filled(tb, keys, sampleUser, opts...)
			return func(i int) error {
				u, err := region.Get[User](ctx, r, keys[i%keyCount])
				if err == nil && u.ID != int64(i%keyCount) {
					err = fmt.Errorf("got user %d", u.ID)
				}
				return err
			}
		}
	}
	cases := typedGetCases()
	cases = append(cases, opCase{"region-gojson", rc(region.WithCodec(gojsonCodec{}))}, opCase{"region-sonic", rc(region.WithCodec(sonicCodec{}))})
	runCases(b, cases)
}
