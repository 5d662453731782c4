package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "f")
	made := 0
	o := Options{TempPrefix: ".tmp-", Mode: 0o640, Sync: true, Lock: true,
		MakeDir: func(d string) error { made++; return os.Mkdir(d, 0o700) }}
	for _, content := range []string{"first", "second, longer"} {
		if err := Write(p, o, []byte(content[:3]), []byte(content[3:])); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(p); err != nil || string(b) != content {
			t.Fatalf("read back %q, %v; want %q", b, err, content)
		}
	}
	if made != 1 {
		t.Errorf("MakeDir called %d times; want once", made)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, %v; want 0640", fi.Mode(), err)
	}
	if err := SyncDir(filepath.Dir(p)); err != nil {
		t.Error(err)
	}
	// A temporary file elsewhere on the same file system.
	tmpDir := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmpDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, Options{TempDir: tmpDir}, []byte("third")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "third" {
		t.Errorf("read back %q; want third", b)
	}
	assertNoTemp(t, tmpDir, filepath.Dir(p))
}

func TestWriteFailureLeavesTarget(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := Write(p, Options{}, []byte("old")); err != nil {
		t.Fatal(err)
	}
	// The rename fails: the target is a non-empty directory's name.
	q := filepath.Join(dir, "d")
	if err := os.MkdirAll(filepath.Join(q, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, lock := range []bool{false, true} {
		if err := Write(q, Options{TempPrefix: ".tmp-", Lock: lock}, []byte("new")); err == nil {
			t.Fatal("rename over a directory succeeded")
		}
	}
	// No directory and no MakeDir.
	if err := Write(filepath.Join(dir, "none", "f"), Options{}, []byte("x")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing directory: %v; want fs.ErrNotExist", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("target changed to %q", b)
	}
	assertNoTemp(t, dir)
}

func assertNoTemp(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		ents, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".tmp-") {
				t.Errorf("temporary file %s left in %s", e.Name(), d)
			}
		}
	}
}
