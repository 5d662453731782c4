package cookie

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// maxSecretFile bounds how much of a secret file is read.
const maxSecretFile = 64 << 10

// LoadOrCreateSecret returns the key kept in the file at path, PySess's
// secret file. When the file does not exist it is created, atomically and
// with mode 0600, holding SecretSize random bytes, and created is true (a
// process that loses a creation race loads the winner's key instead).
//
// The whole content of the file is the key, byte for byte (a trailing
// newline is part of it). The error wraps ErrSecretFilePerm when the file's
// permissions give its group or others any access (wider than 0600; not
// checked on Windows), ErrWeakKey when it holds fewer than MinKeySize bytes,
// and fs.ErrNotExist when the directory is missing.
func LoadOrCreateSecret(path string) (key []byte, created bool, err error) {
	if path == "" {
		return nil, false, errors.New("cookie: secret file path is empty")
	}
	key, err = readSecret(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	key, err = GenerateKey()
	if err != nil {
		return nil, false, err
	}
	switch err = writeSecret(path, key, false); {
	case err == nil:
		return key, true, nil
	case errors.Is(err, fs.ErrExist): // another process was faster
		key, err = readSecret(path)
		return key, false, err
	default:
		return nil, false, err
	}
}

// LoadSecret returns the key kept in the file at path, as
// LoadOrCreateSecret does, but never creates the file: a missing file is
// an error wrapping fs.ErrNotExist. It is for processes that must sign
// with a key provisioned for them (a fleet), where creating a key of
// their own would split them from the others.
func LoadSecret(path string) ([]byte, error) {
	if path == "" {
		return nil, errors.New("cookie: secret file path is empty")
	}
	return readSecret(path)
}

// WriteSecret writes a new key of SecretSize random bytes to path with mode
// 0600 and returns it; it backs `gosess keygen`. An existing file is
// replaced, atomically, only when force is true; otherwise the error wraps
// fs.ErrExist and the file is untouched.
func WriteSecret(path string, force bool) ([]byte, error) {
	if path == "" {
		return nil, errors.New("cookie: secret file path is empty")
	}
	key, err := GenerateKey()
	if err != nil {
		return nil, err
	}
	if err := writeSecret(path, key, force); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("cookie: secret file %s already exists (force replaces it, invalidating every cookie signed with it): %w", path, err)
		}
		return nil, err
	}
	return key, nil
}

// readSecret reads and checks the secret file at path.
func readSecret(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cookie: secret file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cookie: secret file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("cookie: secret file %s is not a regular file (%v)", path, fi.Mode().Type())
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("%w: %s has mode %04o, want 0600 or narrower (chmod 600 %s)", ErrSecretFilePerm, path, perm, path)
	}
	key, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return nil, fmt.Errorf("cookie: reading secret file %s: %w", path, err)
	}
	if len(key) > maxSecretFile {
		return nil, fmt.Errorf("cookie: secret file %s is larger than %d bytes", path, maxSecretFile)
	}
	if len(key) < MinKeySize {
		return nil, fmt.Errorf("%w: secret file %s holds %d bytes, need at least %d", ErrWeakKey, path, len(key), MinKeySize)
	}
	return key, nil
}

// writeSecret writes key to a 0600 temporary file next to path, syncs it,
// and then moves it to path: by rename when replace is set, else by a hard
// link, which fails with fs.ErrExist if path exists. Readers never see a
// partial key.
func writeSecret(path string, key []byte, replace bool) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("cookie: creating secret file: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // a no-op once renamed
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return fmt.Errorf("cookie: creating secret file: %w", err)
	}
	if _, err := tmp.Write(key); err != nil {
		tmp.Close()
		return fmt.Errorf("cookie: writing secret file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("cookie: writing secret file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cookie: writing secret file: %w", err)
	}
	if replace {
		err = os.Rename(tmpName, path)
	} else if err = os.Link(tmpName, path); err != nil && !errors.Is(err, fs.ErrExist) {
		// No hard links on this file system: exclusive create instead.
		err = createExclusive(path, key)
	}
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("cookie: installing secret file: %w", err)
	}
	syncDir(dir)
	return nil
}

// createExclusive writes key to a new file at path, failing if it exists.
func createExclusive(path string, key []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(key)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// syncDir makes a new directory entry durable; best effort.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
