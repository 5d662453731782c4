package cookie

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

func skipOnWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits")
	}
}

func TestLoadOrCreateSecret(t *testing.T) {
	skipOnWindows(t)
	path := filepath.Join(t.TempDir(), "secret")
	key, created, err := LoadOrCreateSecret(path)
	if err != nil || !created || len(key) != SecretSize {
		t.Fatalf("create: %d bytes, created %v, %v", len(key), created, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("mode %04o, want 0600", perm)
	}
	again, created, err := LoadOrCreateSecret(path)
	if err != nil || created || !bytes.Equal(again, key) {
		t.Fatalf("load: created %v, same %v, %v", created, bytes.Equal(again, key), err)
	}
	if _, err := NewKeyring(key); err != nil {
		t.Error(err)
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries", len(entries))
	}
}

func TestSecretPermissions(t *testing.T) {
	skipOnWindows(t)
	dir := t.TempDir()
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o666, 0o700 | 0o070} {
		path := filepath.Join(dir, "wide")
		if err := os.WriteFile(path, keyB, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, _, err := LoadOrCreateSecret(path)
		if !errors.Is(err, ErrSecretFilePerm) {
			t.Errorf("mode %04o: %v, want ErrSecretFilePerm", mode, err)
		}
		os.Remove(path)
	}
	for _, mode := range []os.FileMode{0o600, 0o400} {
		path := filepath.Join(dir, "narrow")
		if err := os.WriteFile(path, keyB, mode); err != nil {
			t.Fatal(err)
		}
		key, created, err := LoadOrCreateSecret(path)
		if err != nil || created || !bytes.Equal(key, keyB) {
			t.Errorf("mode %04o: %v", mode, err)
		}
		os.Remove(path)
	}
}

func TestSecretWeakKey(t *testing.T) {
	skipOnWindows(t)
	dir := t.TempDir()
	for _, content := range [][]byte{nil, []byte("hmac_key"), make([]byte, MinKeySize-1)} {
		path := filepath.Join(dir, "weak")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := LoadOrCreateSecret(path); !errors.Is(err, ErrWeakKey) {
			t.Errorf("%d bytes: %v, want ErrWeakKey", len(content), err)
		}
		os.Remove(path)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, maxSecretFile+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateSecret(big); err == nil {
		t.Error("huge secret file accepted")
	}
}

func TestSecretErrors(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := LoadOrCreateSecret(""); err == nil {
		t.Error("empty path accepted")
	}
	if _, _, err := LoadOrCreateSecret(filepath.Join(dir, "missing", "secret")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing directory: %v", err)
	}
	if _, _, err := LoadOrCreateSecret(dir); err == nil {
		t.Error("directory accepted as a secret file")
	}
	if _, err := WriteSecret("", false); err == nil {
		t.Error("empty path accepted")
	}
}

func TestWriteSecret(t *testing.T) {
	skipOnWindows(t)
	path := filepath.Join(t.TempDir(), "secret")
	key, err := WriteSecret(path, false)
	if err != nil || len(key) != SecretSize {
		t.Fatal(err)
	}
	if _, err := WriteSecret(path, false); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("overwrite without force: %v", err)
	}
	if got, _, _ := LoadOrCreateSecret(path); !bytes.Equal(got, key) {
		t.Fatal("refused overwrite changed the file")
	}
	// force also repairs wide permissions.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	key2, err := WriteSecret(path, true)
	if err != nil || bytes.Equal(key, key2) {
		t.Fatalf("force: %v", err)
	}
	got, created, err := LoadOrCreateSecret(path)
	if err != nil || created || !bytes.Equal(got, key2) {
		t.Fatalf("after force: %v", err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o", fi.Mode().Perm())
	}
}

// Processes racing to create the secret all end up with the same key.
func TestSecretCreateRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	const n = 8
	keys := make([][]byte, n)
	created := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			keys[i], created[i], err = LoadOrCreateSecret(path)
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	winners := 0
	for i := range n {
		if created[i] {
			winners++
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatal("callers got different keys")
		}
	}
	if winners != 1 {
		t.Errorf("%d callers created the file", winners)
	}
}
