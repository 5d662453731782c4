package memcached

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

const (
	// maxKeyLen is memcached's limit on key length, in bytes.
	maxKeyLen = 250

	// reservedPrefix starts every key the driver makes itself (hashed keys
	// and the lock keys of DistributedMutex). It is the region's reserved
	// namespace too: a region hashes caller keys that start with it, so
	// no caller of a region can name a hashed key or a lock.
	reservedPrefix = "~gs:"

	hashedPrefix     = reservedPrefix + "h:"     // hashed keys
	lockPrefix       = reservedPrefix + "lock:"  // lock of a stored key that fits
	lockHashedPrefix = reservedPrefix + "lockh:" // lock of a stored key that does not

	// readableLen bounds the part of an unusable key kept readable in
	// its hashed form, so that the hashed form always fits in maxKeyLen.
	readableLen = 100
)

// ValidKey reports whether memcached can hold key unchanged: 1 to 250
// bytes, no spaces or control characters. It implements driver.KeyLimiter,
// so a region rewrites the keys this rejects. The driver also rewrites any
// such key itself (see StoreKey), so no key is ever refused at run time.
func (d *Driver) ValidKey(key string) bool { return validKey(key) }

// StoreKey returns the key the driver uses in memcached for key: key
// itself when ValidKey accepts it, and otherwise
//
//	"~gs:h:" + up to 100 bytes of key (spaces and control characters
//	replaced by '_') + ":" + hex(sha256(key))
//
// which is always a valid memcached key of at most 177 bytes, stays
// readable in memcached's tools, and differs for different keys (short
// of a SHA-256 collision).
func (d *Driver) StoreKey(key string) string { return storeKey(key) }

func validKey(key string) bool {
	if len(key) == 0 || len(key) > maxKeyLen {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] <= ' ' || key[i] == 0x7f {
			return false
		}
	}
	return true
}

func storeKey(key string) string {
	if validKey(key) {
		return key
	}
	return hashKey(key)
}

func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	readable := key
	if len(readable) > readableLen {
		// Cut before a rune that straddles the limit, not inside it.
		cut := readableLen
		for cut > 0 && !utf8.RuneStart(key[cut]) {
			cut--
		}
		readable = key[:cut]
	}
	var b strings.Builder
	b.Grow(len(hashedPrefix) + len(readable) + 1 + 2*len(sum))
	b.WriteString(hashedPrefix)
	for i := 0; i < len(readable); i++ {
		c := readable[i]
		if c <= ' ' || c == 0x7f {
			c = '_'
		}
		b.WriteByte(c)
	}
	b.WriteByte(':')
	b.WriteString(hex.EncodeToString(sum[:]))
	return b.String()
}

// lockKey returns the memcached key of the distributed lock of key. Lock
// keys live under the reserved prefix, so they never meet a stored key.
func lockKey(key string) string {
	sk := storeKey(key)
	if len(lockPrefix)+len(sk) <= maxKeyLen {
		return lockPrefix + sk
	}
	sum := sha256.Sum256([]byte(sk))
	return lockHashedPrefix + hex.EncodeToString(sum[:])
}
