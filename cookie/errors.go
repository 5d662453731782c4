package cookie

import "errors"

// Sentinel errors, matched with errors.Is. Errors returned by the package
// wrap them with the detail that caused them (a size, a byte, a path).
var (
	// ErrMalformed means a cookie value is not in this package's format:
	// wrong length, characters outside the base64url alphabet, a
	// non-canonical encoding, or a format byte of another version or mode
	// (for example a signed-only value given to an encrypting Codec).
	ErrMalformed = errors.New("cookie: malformed value")

	// ErrSignature means the HMAC of a well-formed value matches none of
	// the keys of the signing Keyring: the value was tampered with, was
	// issued for another cookie name, or was signed by a key that is no
	// longer in the ring.
	ErrSignature = errors.New("cookie: invalid signature")

	// ErrExpired means an authentic value was issued longer than maxAge
	// ago, or claims an issue time further in the future than the
	// Codec's clock skew allows.
	ErrExpired = errors.New("cookie: expired")

	// ErrDecrypt means an authentic value could not be decrypted by any
	// key of the encryption Keyring (typically: the encryption key was
	// rotated out while the signing key stayed).
	ErrDecrypt = errors.New("cookie: decryption failed")

	// ErrTooLarge means a cookie would exceed MaxCookieSize, or a value
	// given to Decode is longer than any cookie a browser would send.
	ErrTooLarge = errors.New("cookie: too large")

	// ErrWeakKey means a key is shorter than MinKeySize bytes, or no key
	// was given at all.
	ErrWeakKey = errors.New("cookie: key too weak")

	// ErrSecretFilePerm means a secret file can be read or written by its
	// group or by others (permission bits wider than 0600).
	ErrSecretFilePerm = errors.New("cookie: secret file permissions too open")

	// ErrInvalidCookie means Options or a value cannot form a cookie that
	// browsers accept: a bad name, value byte, path or domain, a negative
	// MaxAge, SameSite=None or Partitioned without Secure, or a
	// __Secure-/__Host- name whose rules are not met.
	ErrInvalidCookie = errors.New("cookie: invalid cookie")
)
