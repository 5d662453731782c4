package region

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"reflect"
	"strconv"
)

// pyStrFunc appends the Python str() of a value of one type.
type pyStrFunc func(b []byte, v reflect.Value) []byte

var stringerType = reflect.TypeFor[fmt.Stringer]()

// dogpileArgs returns the writer of the argument part of dogpile's
// default function keys for arguments of type K (see
// Memoized.WithDogpileKey), or an error naming what it cannot write.
func dogpileArgs[K any]() (func(K) string, error) {
	t := reflect.TypeFor[K]()
	var write pyStrFunc
	if t.Kind() == reflect.Struct && !t.Implements(stringerType) {
		fields := make([]pyStrFunc, t.NumField())
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				return nil, fmt.Errorf("%w: dogpile keys: %v has the unexported field %s (every field is a positional argument)", ErrInvalidArgument, t, f.Name)
			}
			w, err := pyStrOf(f.Type)
			if err != nil {
				return nil, fmt.Errorf("%w: dogpile keys: field %s of %v: %w", ErrInvalidArgument, f.Name, t, err)
			}
			fields[i] = w
		}
		write = func(b []byte, v reflect.Value) []byte {
			for i, w := range fields {
				if i > 0 {
					b = append(b, ' ')
				}
				b = w(b, v.Field(i))
			}
			return b
		}
	} else {
		w, err := pyStrOf(t)
		if err != nil {
			return nil, fmt.Errorf("%w: dogpile keys: %w", ErrInvalidArgument, err)
		}
		write = w
	}
	return func(k K) string { return string(write(nil, reflect.ValueOf(&k).Elem())) }, nil
}

// pyStrOf returns the writer of Python's str() for values of type t: the
// types that have one obvious Python counterpart.
func pyStrOf(t reflect.Type) (pyStrFunc, error) {
	if t.Implements(stringerType) {
		return func(b []byte, v reflect.Value) []byte {
			if v.Kind() == reflect.Pointer && v.IsNil() {
				return append(b, "None"...)
			}
			return append(b, v.Interface().(fmt.Stringer).String()...)
		}, nil
	}
	switch t.Kind() {
	case reflect.String:
		return func(b []byte, v reflect.Value) []byte { return append(b, v.String()...) }, nil
	case reflect.Bool:
		return func(b []byte, v reflect.Value) []byte {
			if v.Bool() {
				return append(b, "True"...)
			}
			return append(b, "False"...)
		}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(b []byte, v reflect.Value) []byte { return strconv.AppendInt(b, v.Int(), 10) }, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(b []byte, v reflect.Value) []byte { return strconv.AppendUint(b, v.Uint(), 10) }, nil
	case reflect.Float32, reflect.Float64:
		return func(b []byte, v reflect.Value) []byte { return appendPyFloat(b, v.Float()) }, nil
	case reflect.Pointer:
		elem, err := pyStrOf(t.Elem())
		if err != nil {
			return nil, err
		}
		return func(b []byte, v reflect.Value) []byte {
			if v.IsNil() {
				return append(b, "None"...)
			}
			return elem(b, v.Elem())
		}, nil
	}
	return nil, fmt.Errorf("no Python str() for %v (use a string, number, bool, pointer, fmt.Stringer, or a struct of those)", t)
}

// SHA1MangleKey is dogpile.cache.util.sha1_mangle_key: the SHA-1 of the
// key's UTF-8 bytes in lowercase hex (40 characters). A Go region given
// WithKeyMangler(SHA1MangleKey) and a Python region given
// key_mangler=sha1_mangle_key store a key under the same name, and under
// FormatDogpile their lock keys ("_lock" + the mangled key) match too.
func SHA1MangleKey(key string) string {
	sum := sha1.Sum([]byte(key))
	return hex.EncodeToString(sum[:])
}
