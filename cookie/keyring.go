package cookie

import (
	"crypto/rand"
	"fmt"
)

// MinKeySize is the shortest key, in bytes, that NewKeyring accepts.
const MinKeySize = 32

// SecretSize is the size, in bytes, of the keys GenerateKey, WriteSecret
// and LoadOrCreateSecret create.
const SecretSize = 64

// Keyring is an ordered, immutable list of secret keys. The first key signs
// or encrypts new cookies; every key is tried to verify or decrypt, so a key
// can be rotated by putting the new key first and keeping the old one until
// the cookies it issued have expired.
//
// A Keyring never prints its keys: String and GoString only show how many
// it holds. It is safe for concurrent use.
type Keyring struct {
	keys [][]byte
}

// NewKeyring returns a Keyring of copies of keys, in order. Each key must be
// at least MinKeySize bytes and at least one key must be given; otherwise
// the error wraps ErrWeakKey. Keys are used as input key material (sub-keys
// are derived from them with HKDF-SHA256), so they may be any bytes, but
// they must be secret and random: use GenerateKey or a secret file.
func NewKeyring(keys ...[]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no key given", ErrWeakKey)
	}
	ring := &Keyring{keys: make([][]byte, len(keys))}
	for i, k := range keys {
		if len(k) < MinKeySize {
			return nil, fmt.Errorf("%w: key %d is %d bytes, need at least %d", ErrWeakKey, i, len(k), MinKeySize)
		}
		ring.keys[i] = append([]byte(nil), k...)
	}
	return ring, nil
}

// Len returns the number of keys in the ring; 0 for a nil Keyring.
func (k *Keyring) Len() int {
	if k == nil {
		return 0
	}
	return len(k.keys)
}

// String describes the ring without revealing any key.
func (k *Keyring) String() string {
	return fmt.Sprintf("cookie.Keyring(%d keys)", k.Len())
}

// GoString is String, so that %#v does not reveal the keys either.
func (k *Keyring) GoString() string { return k.String() }

// GenerateKey returns SecretSize bytes from crypto/rand, suitable for
// NewKeyring.
func GenerateKey() ([]byte, error) {
	key := make([]byte, SecretSize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("cookie: generating key: %w", err)
	}
	return key, nil
}
