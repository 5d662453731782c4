package region

import (
	"encoding/binary"
	"fmt"
	"time"
	"unsafe"

	gojson "github.com/goccy/go-json"
)

// The envelope is what the region stores in the driver for every value:
//
//	byte 0     magic 0xD9
//	byte 1     format version (1)
//	byte 2     payload kind: 0 codec, 1 []byte, 2 string
//	bytes 3-10 creation time, Unix nanoseconds, big endian
//	bytes 11-  payload
//
// Bytes that do not parse as an envelope of this version are a miss.
const (
	envMagic   byte = 0xD9
	envVersion byte = 1
	envHeader       = 11

	kindCodec  byte = 0
	kindBytes  byte = 1
	kindString byte = 2
)

// entry is a parsed envelope.
type entry struct {
	kind    byte
	created int64 // Unix nanoseconds
	payload []byte
}

func parseEnvelope(b []byte) (entry, bool) {
	if len(b) < envHeader || b[0] != envMagic || b[1] != envVersion || b[2] > kindString {
		return entry{}, false
	}
	return entry{kind: b[2], created: int64(binary.BigEndian.Uint64(b[3:11])), payload: b[envHeader:]}, true
}

func buildEnvelope(kind byte, created int64, payload []byte, payloadStr string) []byte {
	n := len(payload)
	if kind == kindString {
		n = len(payloadStr)
	}
	b := make([]byte, envHeader+n)
	b[0], b[1], b[2] = envMagic, envVersion, kind
	binary.BigEndian.PutUint64(b[3:11], uint64(created))
	if kind == kindString {
		copy(b[envHeader:], payloadStr)
	} else {
		copy(b[envHeader:], payload)
	}
	return b
}

// encodeValue builds the envelope for v, created now.
func encodeValue[T any](c Codec, v T, created time.Time) ([]byte, error) {
	// The type switch is on a nil *T so that v is not boxed (no
	// allocation on the []byte and string fast paths).
	switch any((*T)(nil)).(type) {
	case *[]byte:
		return buildEnvelope(kindBytes, created.UnixNano(), *(*[]byte)(unsafe.Pointer(&v)), ""), nil
	case *string:
		return buildEnvelope(kindString, created.UnixNano(), nil, *(*string)(unsafe.Pointer(&v))), nil
	case *any:
		switch x := any(v).(type) {
		case []byte:
			return buildEnvelope(kindBytes, created.UnixNano(), x, ""), nil
		case string:
			return buildEnvelope(kindString, created.UnixNano(), nil, x), nil
		}
	}
	p, err := c.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w (%T): %w", ErrEncode, v, err)
	}
	return buildEnvelope(kindCodec, created.UnixNano(), p, ""), nil
}

// decodeValue decodes the payload of e into a T. A kind that does not
// fit T, or a payload the codec rejects, is an error (the caller treats it
// as a miss).
func decodeValue[T any](c Codec, e entry) (T, error) {
	var v T
	err := decodeInto(c, e.kind, e.payload, &v)
	return v, err
}

// decodeInto is decodeValue of an entry's kind and payload writing into
// *v, which must hold the zero T:
// the hit path's form, without copying the value through results. On an
// error *v may be left changed.
func decodeInto[T any](c Codec, kind byte, payload []byte, v *T) error {
	// One type assertion per kind, not a type switch: on the hit path of
	// []byte and string values this is the cheapest test of T.
	switch kind {
	case kindBytes:
		if p, ok := any(v).(*[]byte); ok {
			*p = payload
			return nil
		}
		if p, ok := any(v).(*any); ok {
			*p = payload
			return nil
		}
	case kindString:
		if p, ok := any(v).(*string); ok {
			*p = string(payload)
			return nil
		}
		if p, ok := any(v).(*any); ok {
			*p = string(payload)
			return nil
		}
	case kindCodec:
		var err error
		*v, err = unmarshal[T](c, payload)
		return err
	}
	return fmt.Errorf("stored kind %d does not decode into %T", kind, *v)
}

// unmarshal is the codec path of decodeInto, apart so that the value the
// codec decodes into, which escapes to the heap through the Codec
// interface, is not the caller's: the hit path's result stays on the stack.
// The default codec is called directly, through go-json's NoEscape entry
// point, so that its value stays on the stack too.
func unmarshal[T any](c Codec, payload []byte) (T, error) {
	if _, ok := c.(FastJSONCodec); ok {
		var v T
		err := gojson.UnmarshalNoEscape(payload, &v)
		return v, err
	}
	return unmarshalVia[T](c, payload)
}

// unmarshalVia decodes with any codec, through the interface.
func unmarshalVia[T any](c Codec, payload []byte) (T, error) {
	var v T
	if err := c.Unmarshal(payload, &v); err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}
