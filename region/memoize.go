package region

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
)

// Memoized is a function whose results are cached in a region (dogpile's
// cache_on_arguments). Build it with Memoize; it is safe for concurrent
// use.
type Memoized[K comparable, V any] struct {
	r      *Region
	ns     string
	fn     func(context.Context, K) (V, error)
	prefix string         // put before key(k)
	key    func(K) string // the argument part of a key
	keyErr error          // K cannot be written as the key scheme needs
	opts   []CallOption
}

// Memoize caches fn's results in r under keys built from namespace and the
// argument: "memo:<namespace>:<argument>" where the argument is written as
// itself for strings, numbers and booleans, with String() for
// fmt.Stringer, and as JSON otherwise (deterministic for structs and maps;
// a pointer is followed to the value it points to). Use WithKeyFunc for
// another scheme. opts (WithExpiration, ShouldCache, ...) apply to every
// call.
func Memoize[K comparable, V any](r *Region, namespace string, fn func(context.Context, K) (V, error), opts ...CallOption) *Memoized[K, V] {
	return &Memoized[K, V]{r: r, ns: namespace, fn: fn, prefix: "memo:" + namespace + ":", key: defaultMemoKey[K], opts: opts}
}

// WithKeyFunc returns a copy of m that builds the argument part of keys
// with f (the namespace prefix is kept).
func (m *Memoized[K, V]) WithKeyFunc(f func(K) string) *Memoized[K, V] {
	c := *m
	if f != nil {
		c.key, c.keyErr = f, nil
	}
	return &c
}

// WithDogpileKey returns a copy of m whose keys are the ones Python
// dogpile.cache's cache_on_arguments gives, with its default key generator
// (function_key_generator), to the function named function in the module
// named module (Python's fn.__module__ and fn.__name__), for m's namespace
// and the same arguments:
//
//	module:function|<arguments>             Memoize's namespace "" (Python's None)
//	module:function|namespace|<arguments>   any other namespace
//
// <arguments> is the argument written as Python's str() writes it: strings
// as they are, whole numbers in decimal, floats as Python's repr (1.0,
// 1e+16), booleans as True or False, a nil pointer as None (other pointers
// as the value they point to), a fmt.Stringer with its String method. A
// struct argument stands for several positional arguments: its fields in
// order, each written so, joined by one space, as Python joins *args.
// So a Go function and a Python function decorated with
// @region.cache_on_arguments(namespace=...) share cached results when both
// regions use the dogpile format (see FormatDogpile) on one store.
//
// When K (or a field of a struct K) is of another kind, or a struct K has
// unexported fields, every call of the returned Memoized fails with
// ErrInvalidArgument. dogpile's own key generator also rejects keyword
// arguments; there are none in Go.
func (m *Memoized[K, V]) WithDogpileKey(module, function string) *Memoized[K, V] {
	c := *m
	c.prefix = module + ":" + function + "|"
	if m.ns != "" {
		c.prefix += m.ns + "|"
	}
	c.key, c.keyErr = dogpileArgs[K]()
	return &c
}

// Key returns the region key used for argument k ("" when m's key scheme
// cannot write K; see WithDogpileKey).
func (m *Memoized[K, V]) Key(k K) string {
	if m.keyErr != nil {
		return ""
	}
	return m.prefix + m.key(k)
}

// check fails when m cannot call: no function, or no key for K.
func (m *Memoized[K, V]) check(needFn bool) error {
	if needFn && m.fn == nil {
		return fmt.Errorf("region %q: memoize %q: %w: nil function", m.r.name, m.ns, ErrInvalidArgument)
	}
	if m.keyErr != nil {
		return fmt.Errorf("region %q: memoize %q: %w", m.r.name, m.ns, m.keyErr)
	}
	return nil
}

// Call returns the cached result for k, running the function behind the
// dogpile lock when it is missing or stale (see GetOrCreate).
func (m *Memoized[K, V]) Call(ctx context.Context, k K) (V, error) {
	if err := m.check(true); err != nil {
		var zero V
		return zero, err
	}
	return GetOrCreate(ctx, m.r, m.Key(k), func(ctx context.Context) (V, error) { return m.fn(ctx, k) }, m.opts...)
}

// Get returns the cached result for k without calling the function;
// ErrNotFound when there is none.
func (m *Memoized[K, V]) Get(ctx context.Context, k K) (V, error) {
	if err := m.check(false); err != nil {
		var zero V
		return zero, err
	}
	return Get[V](ctx, m.r, m.Key(k), m.opts...)
}

// Set stores v as the result for k.
func (m *Memoized[K, V]) Set(ctx context.Context, k K, v V) error {
	if err := m.check(false); err != nil {
		return err
	}
	return Set(ctx, m.r, m.Key(k), v, m.opts...)
}

// Invalidate removes the cached result for k.
func (m *Memoized[K, V]) Invalidate(ctx context.Context, k K) error {
	if err := m.check(false); err != nil {
		return err
	}
	return m.r.Delete(ctx, m.Key(k))
}

// Refresh calls the function now, stores and returns its result, whatever
// is cached.
func (m *Memoized[K, V]) Refresh(ctx context.Context, k K) (V, error) {
	if err := m.check(true); err != nil {
		var zero V
		return zero, err
	}
	v, err := m.fn(ctx, k)
	if err != nil {
		return v, err
	}
	return v, m.Set(ctx, k, v)
}

// Original returns the function without caching.
func (m *Memoized[K, V]) Original() func(context.Context, K) (V, error) { return m.fn }

// MemoizedMulti caches a function of many arguments per argument (dogpile's
// cache_multi_on_arguments). Build it with MemoizeMulti.
type MemoizedMulti[K comparable, V any] struct {
	one *Memoized[K, V]
	fn  func(context.Context, []K) (map[K]V, error)
}

// MemoizeMulti caches fn's results per argument in r, with keys built as
// Memoize builds them. A call fetches every cached argument in one
// multi-get and calls fn once with the arguments missing or stale, under
// the per-key dogpile lock of GetOrCreateMulti.
func MemoizeMulti[K comparable, V any](r *Region, namespace string, fn func(context.Context, []K) (map[K]V, error), opts ...CallOption) *MemoizedMulti[K, V] {
	return &MemoizedMulti[K, V]{one: Memoize[K, V](r, namespace, nil, opts...), fn: fn}
}

// WithKeyFunc returns a copy of m that builds keys with f.
func (m *MemoizedMulti[K, V]) WithKeyFunc(f func(K) string) *MemoizedMulti[K, V] {
	return &MemoizedMulti[K, V]{one: m.one.WithKeyFunc(f), fn: m.fn}
}

// WithDogpileKey returns a copy of m whose keys are the ones Python
// dogpile.cache's cache_multi_on_arguments gives, with its default key
// generator (function_multi_key_generator), to the function named
// function in the module named module: one key per argument, written as
// (*Memoized).WithDogpileKey writes a single argument.
func (m *MemoizedMulti[K, V]) WithDogpileKey(module, function string) *MemoizedMulti[K, V] {
	return &MemoizedMulti[K, V]{one: m.one.WithDogpileKey(module, function), fn: m.fn}
}

// Key returns the region key used for argument k.
func (m *MemoizedMulti[K, V]) Key(k K) string { return m.one.Key(k) }

func (m *MemoizedMulti[K, V]) keys(args []K) ([]string, map[string]K) {
	keys := make([]string, len(args))
	back := make(map[string]K, len(args))
	for i, a := range args {
		keys[i] = m.Key(a)
		back[keys[i]] = a
	}
	return keys, back
}

// Call returns the results for args, by argument. An argument the
// function leaves out of its result is absent from the map.
func (m *MemoizedMulti[K, V]) Call(ctx context.Context, args []K) (map[K]V, error) {
	if m.fn == nil {
		return nil, fmt.Errorf("region %q: memoize multi %q: %w: nil function", m.one.r.name, m.one.ns, ErrInvalidArgument)
	}
	if err := m.one.check(false); err != nil {
		return nil, err
	}
	keys, back := m.keys(args)
	got, err := GetOrCreateMulti(ctx, m.one.r, keys, func(ctx context.Context, missing []string) (map[string]V, error) {
		want := make([]K, len(missing))
		for i, k := range missing {
			want[i] = back[k]
		}
		made, err := m.fn(ctx, want)
		if err != nil {
			return nil, err
		}
		out := make(map[string]V, len(made))
		for a, v := range made {
			out[m.Key(a)] = v
		}
		return out, nil
	}, m.one.opts...)
	if err != nil {
		return nil, err
	}
	return byArg(got, back), nil
}

// Get returns the cached results for args without calling the function.
func (m *MemoizedMulti[K, V]) Get(ctx context.Context, args []K) (map[K]V, error) {
	if err := m.one.check(false); err != nil {
		return nil, err
	}
	keys, back := m.keys(args)
	got, err := GetMulti[V](ctx, m.one.r, keys, m.one.opts...)
	if err != nil {
		return nil, err
	}
	return byArg(got, back), nil
}

// Set stores the given results.
func (m *MemoizedMulti[K, V]) Set(ctx context.Context, values map[K]V) error {
	if err := m.one.check(false); err != nil {
		return err
	}
	byKey := make(map[string]V, len(values))
	for a, v := range values {
		byKey[m.Key(a)] = v
	}
	return SetMulti(ctx, m.one.r, byKey, m.one.opts...)
}

// Invalidate removes the cached results for args.
func (m *MemoizedMulti[K, V]) Invalidate(ctx context.Context, args ...K) error {
	if err := m.one.check(false); err != nil {
		return err
	}
	keys, _ := m.keys(args)
	return m.one.r.DeleteMulti(ctx, keys)
}

// Refresh calls the function for args now and stores its results.
func (m *MemoizedMulti[K, V]) Refresh(ctx context.Context, args []K) (map[K]V, error) {
	if m.fn == nil {
		return nil, fmt.Errorf("region %q: memoize multi %q: %w: nil function", m.one.r.name, m.one.ns, ErrInvalidArgument)
	}
	made, err := m.fn(ctx, args)
	if err != nil {
		return nil, err
	}
	return made, m.Set(ctx, made)
}

// Original returns the function without caching.
func (m *MemoizedMulti[K, V]) Original() func(context.Context, []K) (map[K]V, error) {
	return m.fn
}

func byArg[K comparable, V any](got map[string]V, back map[string]K) map[K]V {
	out := make(map[K]V, len(got))
	for k, v := range got {
		out[back[k]] = v
	}
	return out
}

func defaultMemoKey[K comparable](k K) string {
	switch x := any(k).(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case fmt.Stringer:
		return x.String()
	}
	v := reflect.ValueOf(k)
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case reflect.String:
		return v.String()
	}
	if b, err := json.Marshal(k); err == nil {
		return string(b)
	}
	return fmt.Sprintf("%v", k)
}
