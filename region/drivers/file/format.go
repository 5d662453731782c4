package file

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math"
)

// On-disk entry format, version 1. All integers are big endian.
//
//	bytes 0-3    magic "GSFC"
//	byte  4      format version (1)
//	bytes 5-7    zero (reserved)
//	bytes 8-15   expiry, Unix nanoseconds; 0 = never expires
//	bytes 16-19  key length K (uint32)
//	bytes 20-27  value length V (uint64)
//	bytes 28-31  CRC-32C of bytes 0-27, then the key, then the value
//	bytes 32-    the key (K bytes), then the value (V bytes)
//
// A file is valid only if its size is exactly 32+K+V and the checksum
// matches; anything else is treated as a miss.
const (
	formatVersion = 1
	headerLen     = 32
)

var (
	magic     = [4]byte{'G', 'S', 'F', 'C'}
	crcTable  = crc32.MakeTable(crc32.Castagnoli)
	zeroBytes [3]byte
)

// header is the decoded fixed part of an entry file.
type header struct {
	version byte
	expiry  int64 // Unix nanoseconds, 0 = none
	keyLen  uint64
	valLen  uint64
	crc     uint32
}

// encodeHeader returns the header followed by the key; the value is
// written after it. The checksum covers header, key and value.
func encodeHeader(key string, value []byte, expiry int64) []byte {
	b := make([]byte, headerLen+len(key))
	copy(b[0:4], magic[:])
	b[4] = formatVersion
	binary.BigEndian.PutUint64(b[8:16], uint64(expiry))
	binary.BigEndian.PutUint32(b[16:20], uint32(len(key)))
	binary.BigEndian.PutUint64(b[20:28], uint64(len(value)))
	copy(b[headerLen:], key)
	crc := crc32.Update(0, crcTable, b[:28])
	crc = crc32.Update(crc, crcTable, b[headerLen:])
	crc = crc32.Update(crc, crcTable, value)
	binary.BigEndian.PutUint32(b[28:32], crc)
	return b
}

// decodeHeader parses the fixed header. ok is false when b is not a
// header of any version of this format (wrong magic, short, reserved bytes
// set). A header of another version is returned with ok true so callers
// can leave files of newer writers alone.
func decodeHeader(b []byte) (h header, ok bool) {
	if len(b) < headerLen || !bytes.Equal(b[0:4], magic[:]) {
		return h, false
	}
	h.version = b[4]
	if h.version != formatVersion {
		return h, true
	}
	if !bytes.Equal(b[5:8], zeroBytes[:]) {
		return h, false
	}
	h.expiry = int64(binary.BigEndian.Uint64(b[8:16]))
	h.keyLen = uint64(binary.BigEndian.Uint32(b[16:20]))
	h.valLen = binary.BigEndian.Uint64(b[20:28])
	h.crc = binary.BigEndian.Uint32(b[28:32])
	return h, true
}

// size is the file size a valid entry with this header has, or -1 when the
// lengths overflow.
func (h header) size() int64 {
	if h.valLen > math.MaxInt64-headerLen-h.keyLen {
		return -1
	}
	return int64(headerLen + h.keyLen + h.valLen)
}

// expired reports whether the entry is past its expiry at now (Unix nanos).
func (h header) expired(now int64) bool {
	return h.expiry != 0 && now >= h.expiry
}

// decodeEntry checks a whole entry file b and returns its key and value.
// ok is false for anything that is not a complete, intact entry of the
// current format version.
func decodeEntry(b []byte) (h header, key, value []byte, ok bool) {
	h, ok = decodeHeader(b)
	if !ok || h.version != formatVersion || h.size() != int64(len(b)) {
		return h, nil, nil, false
	}
	crc := crc32.Update(0, crcTable, b[:28])
	crc = crc32.Update(crc, crcTable, b[headerLen:])
	if crc != h.crc {
		return h, nil, nil, false
	}
	k := b[headerLen : headerLen+h.keyLen]
	return h, k, b[headerLen+h.keyLen:], true
}
