package config_test

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/gosess/gosess/backends/file"
	"github.com/gosess/gosess/config"
	_ "github.com/gosess/gosess/region/drivers/file"
	"github.com/gosess/gosess/session"
)

var quiet = slog.New(slog.DiscardHandler)

// Relative paths are relative to the config file, whatever the working
// directory: a secret_file (named, or the default one when the section
// names no key), a file backend's dir and a file driver's dir.
func TestRelativePathsResolveAgainstTheFile(t *testing.T) {
	path := write(t, "gosess.toml", `
[regions.files]
driver = "file"
[regions.files.arguments]
dir = "cache"

[sessions.named]
backend = "file"
dir = "sessions"
secret_file = "keys/secret"

[sessions.default]
backend = "dogpile"
region = "files"

[sessions.keyed]
backend = "dogpile"
region = "files"
signature_key = "0123456789abcdef0123456789abcdef-test-key"
`)
	confDir := filepath.Dir(path)
	os.Mkdir(filepath.Join(confDir, "keys"), 0o700)
	elsewhere := t.TempDir()
	t.Chdir(elsewhere)

	f, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Sessions["named"].Settings["secret_file"]; got != filepath.Join(confDir, "keys", "secret") {
		t.Errorf("named secret_file: %v", got)
	}
	if got := f.Sessions["default"].Settings["secret_file"]; got != filepath.Join(confDir, "secret") {
		t.Errorf("default secret_file: %v", got)
	}
	if _, ok := f.Sessions["keyed"].Settings["secret_file"]; ok {
		t.Error("a section with a signature_key got a secret_file")
	}
	if got := f.Sessions["named"].Settings["dir"]; got != filepath.Join(confDir, "sessions") {
		t.Errorf("file backend dir: %v", got)
	}
	if got := f.Regions["files"].Arguments["dir"]; got != filepath.Join(confDir, "cache") {
		t.Errorf("file driver dir: %v", got)
	}
	set, err := f.Build(config.Options{MakerOptions: []session.MakerOption{session.WithLogger(quiet)}})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	for _, p := range []string{"keys/secret", "secret", "sessions", "cache"} {
		if _, err := os.Stat(filepath.Join(confDir, p)); err != nil {
			t.Errorf("%s not next to the config file: %v", p, err)
		}
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) > 0 {
		t.Errorf("files created in the working directory: %v", entries)
	}
	// Absolute paths are kept as they are.
	abs := filepath.Join(t.TempDir(), "abs-secret")
	p2 := filepath.Join(confDir, "abs.toml")
	os.WriteFile(p2, []byte("[sessions.web]\nbackend = \"file\"\ndir = \"s2\"\nsecret_file = \""+abs+"\"\n"), 0o600)
	if f, err := config.Load(p2); err != nil || f.Sessions["web"].Settings["secret_file"] != abs {
		t.Errorf("absolute secret_file: %v, %v", f, err)
	}
}

// secret_file_create = false in a config file: a missing file is an
// error naming the section and the setting, and nothing is created.
func TestSecretFileCreateFalse(t *testing.T) {
	path := write(t, "gosess.toml", "[sessions.web]\nbackend = \"file\"\ndir = \"s\"\nsecret_file_create = false\n")
	f, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Build(config.Options{MakerOptions: []session.MakerOption{session.WithLogger(quiet)}})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "sessions.web") ||
		!strings.Contains(err.Error(), "secret_file_create=false") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(path), "secret")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("the secret file was created")
	}
}
