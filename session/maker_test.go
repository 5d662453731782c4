package session_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/cookie"
	"github.com/gosess/gosess/internal/testlog"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
	"github.com/gosess/gosess/session/sessiontest"
)

// Port of test_sessionmaker.test_sessionmaker_no_backend.
func TestMakerNoBackend(t *testing.T) {
	m := session.NewMaker(session.WithLogger(discard))
	err := m.Configure(session.Settings{"signature_key": sigKey})
	if !errors.Is(err, session.ErrInvalidSetting) || !strings.Contains(err.Error(), `"backend"`) {
		t.Fatalf("err = %v, want ErrInvalidSetting naming backend", err)
	}
	if _, err := m.New(ctx); !errors.Is(err, session.ErrNotConfigured) {
		t.Fatalf("New after failed Configure: %v", err)
	}
}

// Port of test_sessionmaker.test_session_unknown_backend.
func TestMakerUnknownBackend(t *testing.T) {
	m := session.NewMaker(session.WithLogger(discard))
	err := m.Configure(session.Settings{"backend": "doesnotexist", "signature_key": sigKey})
	if !errors.Is(err, session.ErrUnknownBackend) || !errors.Is(err, session.ErrInvalidSetting) {
		t.Fatalf("err = %v, want ErrUnknownBackend", err)
	}
	if !strings.Contains(err.Error(), "dogpile") {
		t.Errorf("error should list the registered backends: %v", err)
	}
}

func TestMakerNotConfigured(t *testing.T) {
	m := session.NewMaker()
	if _, err := m.New(ctx); !errors.Is(err, session.ErrNotConfigured) {
		t.Errorf("New: %v", err)
	}
	if _, err := m.Load(ctx, "x"); !errors.Is(err, session.ErrNotConfigured) {
		t.Errorf("Load: %v", err)
	}
	if _, err := m.Cleanup(ctx); !errors.Is(err, session.ErrNotConfigured) {
		t.Errorf("Cleanup: %v", err)
	}
	if m.Backend() != nil {
		t.Error("Backend before Configure")
	}
}

func TestMakerConfigureTwice(t *testing.T) {
	m := newMaker(t, localBackends[0], nil)
	err := m.Configure(session.Settings{"backend": "cookie", "signature_key": sigKey})
	if !errors.Is(err, session.ErrAlreadyConfigured) {
		t.Fatalf("second Configure: %v", err)
	}
}

func TestMakerUnknownSettingNamed(t *testing.T) {
	for _, bc := range localBackends {
		t.Run(bc.name, func(t *testing.T) {
			s := bc.settings(t)
			s["signature_key"] = sigKey
			s["max_aeg"] = 30
			err := session.NewMaker(session.WithLogger(discard)).Configure(s)
			if !errors.Is(err, session.ErrInvalidSetting) || !strings.Contains(err.Error(), `"max_aeg"`) {
				t.Fatalf("err = %v, want one naming max_aeg", err)
			}
		})
	}
	// A backend setting given to another backend is unknown too.
	err := session.NewMaker(session.WithLogger(discard)).Configure(session.Settings{
		"backend": "cookie", "signature_key": sigKey, "dir": "/tmp/x"})
	if !errors.Is(err, session.ErrInvalidSetting) || !strings.Contains(err.Error(), `"dir"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestMakerBackendSettingsRequired(t *testing.T) {
	for _, s := range []session.Settings{
		{"backend": "dogpile"},
		{"backend": "dogpile", "region": "not a region"},
		{"backend": "file"},
	} {
		s["signature_key"] = sigKey
		err := session.NewMaker(session.WithLogger(discard)).Configure(s)
		if !errors.Is(err, session.ErrInvalidSetting) {
			t.Errorf("%v: err = %v", s["backend"], err)
		}
	}
}

// Port of test_sessionmaker.test_sessionmaker_new_conf and
// test_session.test_session_default_params / test_session_custom_params.
func TestMakerDefaults(t *testing.T) {
	m := newMaker(t, localBackends[0], nil)
	c := m.Config()
	want := session.DefaultConfig()
	if c.Path != "/" || c.Name != "session" || c.MaxAgeFromCreation || c.MaxAge != 0 || c.Secure ||
		c.ScriptReadable || c.SameSite != http.SameSiteLaxMode || c.IDLength != 32 || c.Cipher != "aes-256-gcm" ||
		c.TouchInterval != time.Minute || c.Lifetime != 0 || c.Partitioned || len(c.EncryptionKeys) != 0 {
		t.Errorf("defaults: %v", c)
	}
	if want.Domain != "" || c.Domain != "example.com" {
		t.Errorf("domain: default %q, configured %q", want.Domain, c.Domain)
	}
	if strings.Contains(c.String(), string(sigKey)) {
		t.Error("Config.String shows the key")
	}
	s := newSession(t, m)
	if !s.IsNew() || len(s.ID()) != 43 {
		t.Errorf("new session: new %v, id %q", s.IsNew(), s.ID())
	}
}

func TestMakerCustomParams(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		m := newMaker(t, bc, session.Settings{
			"session_id_length": 40, "name": "testsession", "path": "/foo", "secure": true,
			"httponly": true, "max_age": 30, "samesite": "strict", "partitioned": "true", "codec": "gob",
		})
		s := newSession(t, m)
		if len(s.ID()) != 54 { // 40 bytes in unpadded base64
			t.Errorf("id %q has %d chars", s.ID(), len(s.ID()))
		}
		s.Set("n", 7)
		c := save(t, s)
		if c.Name != "testsession" || c.Path != "/foo" || c.MaxAge != 30 || !c.Secure || !c.HttpOnly ||
			c.SameSite != http.SameSiteStrictMode || !c.Partitioned || c.Domain != "example.com" {
			t.Errorf("cookie attributes: %s", c)
		}
		back := load(t, m, c.String())
		if v := mustGet(t, back, "n"); v != 7 {
			t.Errorf("gob codec: %#v", v)
		}
	})
}

func TestMakerStringForms(t *testing.T) {
	m := newMaker(t, localBackends[0], session.Settings{
		"max_age": "300", "lifetime": "2h", "refresh_on_access": "false", "secure": "yes",
		"httponly": "0", "samesite": "None", "session_id_length": "48", "touch_interval": 10.5,
		"signature_key": "hex:" + strings.Repeat("ab", 32), "encryption_key": []string{string(encKey)},
		"cipher": "xchacha20-poly1305",
	})
	c := m.Config()
	if c.MaxAge != 300*time.Second || c.Lifetime != 2*time.Hour || !c.MaxAgeFromCreation || !c.Secure ||
		!c.ScriptReadable || c.SameSite != http.SameSiteNoneMode || c.IDLength != 48 ||
		c.TouchInterval != 10500*time.Millisecond || len(c.SignatureKeys[0]) != 32 || c.Cipher != "xchacha20-poly1305" {
		t.Errorf("parsed: %v", c)
	}
	_, ck := saveNew(t, m, "a", 1)
	wantStored(t, m, ck, "a", 1, "after a round trip")
}

func TestMakerBadValues(t *testing.T) {
	cases := map[string]session.Settings{
		"max_age":           {"max_age": "soon"},
		"negative":          {"max_age": -time.Second},
		"secure":            {"secure": "maybe"},
		"samesite":          {"samesite": "sideways"},
		"session_id_length": {"session_id_length": 16},
		"codec":             {"codec": "pickle"},
		"signature_key":     {"signature_key": []byte("short")},
		"encryption_key":    {"encryption_key": "short"},
		"cipher":            {"cipher": "rot13"},
		"samesite none":     {"samesite": "none", "secure": false},
		"name":              {"name": "bad name;"},
		"enable_encryption": {"enable_encryption": false, "encryption_key": encKey},
	}
	for name, extra := range cases {
		t.Run(name, func(t *testing.T) {
			s := session.Settings{"backend": "cookie", "signature_key": sigKey}
			for k, v := range extra {
				s[k] = v
			}
			err := session.NewMaker(session.WithLogger(discard)).Configure(s)
			if !errors.Is(err, session.ErrInvalidSetting) {
				t.Fatalf("err = %v, want ErrInvalidSetting", err)
			}
			for k := range extra {
				if k == "secure" && name == "samesite none" {
					continue
				}
				if !strings.Contains(err.Error(), k) && name != "samesite none" && name != "name" {
					t.Errorf("error does not name %q: %v", k, err)
				}
			}
			if strings.Contains(err.Error(), "short") && (name == "signature_key" || name == "encryption_key") {
				t.Errorf("error shows the secret value: %v", err)
			}
		})
	}
}

// Port of test_sessionmaker.test_sessionmaker_new_conf: per-call
// overrides, as Session(cookie, **overrides).
func TestMakerOverrides(t *testing.T) {
	forEachBackend(t, withMaker(func(t *testing.T, m *session.Maker) {
		other := session.Settings{"signature_key": sigKey2, "name": "other", "max_age": "1h"}
		s, err := m.NewWith(ctx, other)
		if err != nil {
			t.Fatal(err)
		}
		s.Set("k", "v")
		c := save(t, s)
		if c.Name != "other" || c.MaxAge != 3600 {
			t.Errorf("override cookie: %s", c)
		}
		// The maker's own settings (name, key) do not accept it...
		if back := load(t, m, c.Value); !back.IsNew() {
			t.Error("cookie signed with the override key loaded with the maker's key")
		}
		// ...the same overrides do.
		back, err := m.LoadWith(ctx, c.String(), other)
		if err != nil {
			t.Fatal(err)
		}
		if back.IsNew() || mustGet(t, back, "k") != "v" {
			t.Error("override load failed")
		}
		// Maker-only and backend settings cannot be overridden.
		for _, bad := range []session.Settings{{"backend": "file"}, {"dir": "/tmp"}, {"region": nil}, {"nope": 1}} {
			if _, err := m.NewWith(ctx, bad); !errors.Is(err, session.ErrInvalidSetting) {
				t.Errorf("override %v: %v", bad, err)
			}
		}
		if _, err := m.LoadWith(ctx, c.String(), session.Settings{"max_age": "x"}); !errors.Is(err, session.ErrInvalidSetting) {
			t.Errorf("bad override value: %v", err)
		}
	}))
}

func TestMakerKeyRotation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		oldM := newMaker(t, bc, nil)
		_, c := saveNew(t, oldM, "k", "v")
		// The same store, a maker whose ring signs with a new key and still
		// verifies the old one.
		rotated := newMakerSharing(t, oldM, bc, session.Settings{"signature_key": [][]byte{sigKey2, sigKey}})
		back := load(t, rotated, c)
		if back.IsNew() || mustGet(t, back, "k") != "v" {
			t.Fatal("old cookie not accepted by the rotated ring")
		}
		c2 := save(t, back)
		// Signed with the new key: the old maker no longer accepts it.
		if !load(t, oldM, c2.String()).IsNew() {
			t.Error("cookie signed with the new key accepted by a maker without it")
		}
		dropped := newMakerSharing(t, oldM, bc, session.Settings{"signature_key": sigKey2})
		if !load(t, dropped, c).IsNew() {
			t.Error("cookie of a key removed from the ring still accepted")
		}
	})
}

// newMakerSharing returns a maker on the same store as m with extra
// settings.
func newMakerSharing(t *testing.T, m *session.Maker, bc backendCase, extra session.Settings) *session.Maker {
	t.Helper()
	s := session.Settings{"backend": bc.name, "domain": "example.com", "signature_key": sigKey}
	switch b := m.Backend().(type) {
	case interface{ Dir() string }:
		s["dir"] = b.Dir()
	case interface{ Region() *region.Region }:
		s["region"] = b.Region()
	default:
		s["encryption_key"] = encKey
	}
	for k, v := range extra {
		s[k] = v
	}
	m2 := session.NewMaker(session.WithLogger(discard))
	if err := m2.Configure(s); err != nil {
		t.Fatal(err)
	}
	return m2
}

func TestMakerSecretFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret")
	var logs testlog.Buffer
	m := session.NewMaker(session.WithLogger(logs.Logger(slog.LevelDebug)))
	if err := m.Configure(session.Settings{"backend": "cookie", "secret_file": path, "enable_encryption": true}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode %#o", fi.Mode().Perm())
	}
	if !strings.Contains(logs.String(), "created a new secret file") {
		t.Errorf("creation not logged: %q", logs.String())
	}
	if strings.Contains(logs.String(), "UNENCRYPTED") {
		t.Error("enable_encryption did not encrypt")
	}
	_, c := saveNew(t, m, "k", "v")

	// A second maker on the same file accepts the cookie, and logs no creation.
	logs.Reset()
	m2 := session.NewMaker(session.WithLogger(logs.Logger(slog.LevelDebug)))
	if err := m2.Configure(session.Settings{"backend": "cookie", "secret_file": path, "enable_encryption": "true"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "created") {
		t.Errorf("reuse logged as creation: %q", logs.String())
	}
	if back := load(t, m2, c); back.IsNew() || mustGet(t, back, "k") != "v" {
		t.Error("cookie not accepted with the same secret file")
	}

	// Wider permissions are refused.
	os.Chmod(path, 0o644)
	err = session.NewMaker(session.WithLogger(discard)).Configure(session.Settings{"backend": "cookie", "secret_file": path})
	if !errors.Is(err, cookie.ErrSecretFilePerm) || !errors.Is(err, session.ErrInvalidSetting) {
		t.Fatalf("0644 secret file: %v", err)
	}
}

func TestMakerDefaultSecretFile(t *testing.T) {
	t.Chdir(t.TempDir())
	m := session.NewMaker(session.WithLogger(discard))
	if err := m.Configure(session.Settings{"backend": "cookie", "encryption_key": encKey}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(session.DefaultSecretFile); err != nil {
		t.Fatalf("default secret file: %v", err)
	}
}

func TestCookieBackendWarnsWithoutEncryption(t *testing.T) {
	var logs testlog.Buffer
	m := session.NewMaker(session.WithLogger(logs.Logger(slog.LevelDebug)))
	if err := m.Configure(session.Settings{"backend": "cookie", "signature_key": sigKey}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "UNENCRYPTED") {
		t.Errorf("no loud warning: %q", logs.String())
	}
}

func TestRegisterBackendPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"dup": func() {
			session.RegisterBackend("dogpile", func(session.BackendConfig) (session.Backend, error) { return nil, nil })
		},
		"empty": func() { session.RegisterBackend("", nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	got := strings.Join(session.Backends(), ",")
	if !strings.Contains(got, "cookie,dogpile") || !strings.Contains(got, "file") {
		t.Errorf("Backends() = %v", got)
	}
}

func TestMapBackendContract(t *testing.T) {
	sessiontest.Backend(t, newMapBackend())
}

func TestSettingsFromConfig(t *testing.T) {
	r := memoryRegion(t)
	k1, k2 := strings.Repeat("ab", 32), strings.Repeat("cd", 32)
	s := session.SettingsFromConfig(map[string]string{
		"session.backend": "dogpile", "session.max_age": "3600", "session.secure": "false",
		"session.signature_key": "hex:" + k1 + ", hex:" + k2, "session.samesite": "strict",
		"cache.backend": "memcached", "session.": "ignored",
	}, "session.")
	if len(s) != 5 || s["max_age"] != "3600" {
		t.Fatalf("settings %v", s)
	}
	s["region"] = r
	m := session.NewMaker(session.WithLogger(discard))
	if err := m.Configure(s); err != nil {
		t.Fatal(err)
	}
	c := m.Config()
	if c.MaxAge != time.Hour || len(c.SignatureKeys) != 2 || c.SignatureKeys[1][0] != 0xcd || c.SameSite != http.SameSiteStrictMode {
		t.Errorf("config %v", c)
	}
	if strings.Contains(fmt.Sprintf("%v %+v %#v", c, c, c), "\xab\xab") {
		t.Error("keys printed")
	}
}

// A new id that turns out to be taken is replaced at Save.
func TestSaveRetriesTakenID(t *testing.T) {
	m := session.NewMaker(session.WithLogger(discard))
	if err := m.Configure(session.Settings{"backend": "collide-once", "signature_key": sigKey}); err != nil {
		t.Fatal(err)
	}
	s, _ := m.New(ctx)
	first := s.ID()
	s.Set("k", 1)
	c := save(t, s)
	if s.ID() == first {
		t.Error("id kept although taken")
	}
	if back := load(t, m, c.String()); back.ID() != s.ID() || mustGet(t, back, "k") != 1 {
		t.Error("cookie does not name the stored id")
	}
}

// A settings map with several mistakes reports them all in one round:
// general settings, backend settings, unknown keys and cookie attributes.
func TestMakerReportsEveryProblemAtOnce(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name     string
		settings session.Settings
		want     []string
	}{
		{"value and unknown key", session.Settings{"backend": "dogpile", "region": memoryRegion(t),
			"signature_key": sigKey, "max_age": "soon", "colour": "blue"},
			[]string{`"max_age"`, `"colour"`}},
		{"unknown backend and bad value", session.Settings{"backend": "dogpil", "signature_key": sigKey,
			"httponly": "maybe"}, []string{`"dogpil"`, `"httponly"`}},
		{"backend setting and general setting", session.Settings{"backend": "dogpile", "region": "app",
			"signature_key": sigKey, "lifetime": "-5m"}, []string{`"region"`, `"lifetime"`}},
		{"short key and cookie attributes", session.Settings{"backend": "dogpile", "region": memoryRegion(t),
			"signature_key": "short", "samesite": "none", "touch_interval": "x"},
			[]string{"signature_key", "SameSite=None", `"touch_interval"`}},
		{"no key given: secret file untouched", session.Settings{"backend": "dogpile", "region": memoryRegion(t),
			"secret_file": filepath.Join(dir, "secret"), "max_age": "soon", "domian": "example.com"},
			[]string{`"max_age"`, `"domian"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := session.NewMaker(session.WithLogger(discard)).Configure(tc.settings)
			if !errors.Is(err, session.ErrInvalidSetting) {
				t.Fatalf("err = %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %s:\n%v", w, err)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "secret")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed Configure created the secret file: %v", err)
	}
	// Per-call overrides too.
	m := newMaker(t, localBackends[0], nil)
	_, err := m.NewWith(ctx, session.Settings{"max_age": "soon", "backend": "file"})
	if err == nil || !strings.Contains(err.Error(), `"max_age"`) || !strings.Contains(err.Error(), `"backend"`) {
		t.Errorf("NewWith: %v", err)
	}
}

// The cookie backend cannot revoke a cookie, so its sessions get a finite
// max_age unless the settings say otherwise; other backends keep 0.
func TestCookieBackendDefaultMaxAge(t *testing.T) {
	clk := newClock()
	m := session.NewMaker(session.WithLogger(discard), session.WithClock(clk.Now))
	if err := m.Configure(session.Settings{"backend": "cookie", "signature_key": sigKey, "encryption_key": encKey}); err != nil {
		t.Fatal(err)
	}
	if got := m.Config().MaxAge; got != session.DefaultCookieCarrierMaxAge || got <= 0 {
		t.Fatalf("cookie backend max_age = %v, want %v", got, session.DefaultCookieCarrierMaxAge)
	}
	s, c := saveNew(t, m, "user", "ann")
	if want := int(session.DefaultCookieCarrierMaxAge / time.Second); s == nil || !strings.Contains(c, fmt.Sprintf("Max-Age=%d", want)) {
		t.Errorf("cookie %s, want Max-Age=%d", c, want)
	}
	// A copy of the cookie kept after logout stops working at max_age.
	clk.Advance(session.DefaultCookieCarrierMaxAge + time.Second)
	if back := load(t, m, c); !back.IsNew() {
		t.Error("a cookie older than the default max_age still loads")
	}
	// Explicit settings win, 0 included (NoMaxAge: none, not the default).
	for _, v := range []any{0, "1h"} {
		m := session.NewMaker(session.WithLogger(discard))
		if err := m.Configure(session.Settings{"backend": "cookie", "signature_key": sigKey, "max_age": v}); err != nil {
			t.Fatal(err)
		}
		if got, want := m.Config().MaxAge, map[any]time.Duration{0: session.NoMaxAge, "1h": time.Hour}[v]; got != want {
			t.Errorf("max_age %v: got %v", v, got)
		}
	}
	if got := newMaker(t, localBackends[0], nil).Config().MaxAge; got != 0 {
		t.Errorf("dogpile backend default max_age = %v", got)
	}
}

func TestMakerStats(t *testing.T) {
	ctx := context.Background()
	m := session.NewMaker()
	if err := m.Configure(session.Settings{"backend": "cookie", "signature_key": make([]byte, 32)}); err != nil {
		t.Fatal(err)
	}
	s, _ := m.New(ctx)
	s.Set("k", 1)
	c := save(t, s)
	if _, err := m.Load(ctx, c.String()); err != nil {
		t.Fatal(err)
	}
	tampered := c.Value[:len(c.Value)-2] + "AA"
	if c.Value[len(c.Value)-2:] == "AA" {
		tampered = c.Value[:len(c.Value)-2] + "BB"
	}
	m.Load(ctx, "session="+tampered)
	m.Load(ctx, "session=%%%garbage")
	s.Set("bad", make(chan int))
	s.Save(ctx)
	st := m.Stats()
	if st.Loads != 1 || st.New != 3 || st.Saves != 1 || st.SaveErrors != 1 {
		t.Fatalf("%+v", st)
	}
	if st.Rejected[session.RejectSignature]+st.Rejected[session.RejectMalformed] != 2 || len(st.Rejected) != 9 {
		t.Fatalf("rejected %v", st.Rejected)
	}
}

// Load accepts every form a cookie comes in.
func TestLoadForms(t *testing.T) {
	forEachBackend(t, withMaker(func(t *testing.T, m *session.Maker) {
		s, _ := saveNew(t, m, "k", "v")
		c, err := load(t, m, "").Save(ctx) // a second, unrelated session
		if err != nil {
			t.Fatal(err)
		}
		_ = c
		ck := save(t, s)
		forms := map[string]string{
			"Set-Cookie line":   ck.String(),
			"with header name":  "Set-Cookie: " + ck.String(),
			"name=value":        "session=" + ck.Value,
			"bare value":        ck.Value,
			"quoted":            `session="` + ck.Value + `"`,
			"Cookie header":     "theme=dark; session=" + ck.Value + "; lang=en",
			"Cookie: header":    "Cookie: a=1; session=" + ck.Value,
			"bad one first":     "session=garbage; session=" + ck.Value,
			"stale cookie next": "session=" + ck.Value + "; session=" + c.Value,
		}
		for name, in := range forms {
			back := load(t, m, in)
			if back.IsNew() || back.ID() != s.ID() || mustGet(t, back, "k") != "v" {
				t.Errorf("%s: not loaded", name)
			}
		}
	}))
}

// Ports of test_session.test_invalid_signature, test_invalid_sig_on_enc,
// test_invalid_ciphertext and test_cookie_load_error_general: bad client
// input gives a new session, no error, and a debug log line with the
// reason (nothing above debug).
func TestLoadBadInput(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		var logs testlog.Buffer
		m, clk := clockedMaker(t, bc, session.Settings{"max_age": "1h"}, session.WithLogger(logs.Logger(slog.LevelDebug)))
		_, good := saveNew(t, m, "k", "v")
		value := strings.TrimPrefix(strings.SplitN(good, ";", 2)[0], "session=")
		other := newMakerSharing(t, m, bc, session.Settings{"signature_key": sigKey2})
		_, foreign := saveNew(t, other, "k", "v")
		junk := make([]byte, 10<<10)
		rand.Read(junk)
		flip := []byte(value)
		flip[len(flip)/2] ^= 1
		if flip[len(flip)/2] == value[len(value)/2] {
			t.Fatal("no flip")
		}
		inputs := map[string]struct{ in, reason string }{
			"tampered":       {"session=" + string(flip), "cookie refused"},
			"truncated":      {"session=" + value[:len(value)-5], "cookie refused"},
			"wrong key":      {foreign, "invalid signature"},
			"garbage":        {"session=%%%not base64%%%", "cookie refused"},
			"10 kB junk":     {"session=" + base64.RawURLEncoding.EncodeToString(junk), "too large"},
			"raw junk":       {string(junk), ""},
			"empty":          {"", "no session cookie"},
			"other cookies":  {"a=1; b=2", "no session cookie"},
			"pysess fixture": {"Set-Cookie: session=" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("0", 64)+`"a5eb44559a9ecf64ca7c5cf04df006b"`)) + "; Domain=example.com; Path=/", "cookie refused"},
		}
		for name, tc := range inputs {
			logs.Reset()
			s, err := m.Load(ctx, tc.in)
			if err != nil || s == nil || !s.IsNew() || s.Len() != 0 {
				t.Errorf("%s: Load = %v, %v", name, s, err)
				continue
			}
			out := logs.String()
			if !strings.Contains(out, "level=DEBUG") || !strings.Contains(out, tc.reason) {
				t.Errorf("%s: log %q lacks a debug line with %q", name, out, tc.reason)
			}
			if strings.Contains(out, "level=WARN") || strings.Contains(out, "level=ERROR") || strings.Contains(out, "level=INFO") {
				t.Errorf("%s: bad client input logged above debug: %q", name, out)
			}
			if strings.Contains(out, value) {
				t.Errorf("%s: a cookie value was logged", name)
			}
		}
		// Expired cookie.
		logs.Reset()
		clk.Advance(2 * time.Hour)
		if s := load(t, m, good); !s.IsNew() || !strings.Contains(logs.String(), "expired") {
			t.Errorf("expired: new=%v log %q", s.IsNew(), logs.String())
		}
	})
}

// A failing backend is an error, wrapped, not a new session.
func TestLoadBackendFailure(t *testing.T) {
	m := session.NewMaker(session.WithLogger(discard))
	if err := m.Configure(session.Settings{"backend": "failing", "signature_key": sigKey}); err != nil {
		t.Fatal(err)
	}
	good := session.NewMaker(session.WithLogger(discard))
	if err := good.Configure(session.Settings{"backend": "dogpile", "region": memoryRegion(t), "signature_key": sigKey}); err != nil {
		t.Fatal(err)
	}
	_, c := saveNew(t, good)
	if _, err := m.Load(ctx, c); !errors.Is(err, errBackendDown) {
		t.Errorf("Load with a failing backend = %v", err)
	}
	s := newSession(t, m)
	s.Set("k", 1)
	if _, err := s.Save(ctx); !errors.Is(err, errBackendDown) {
		t.Errorf("Save with a failing backend = %v", err)
	}
}

// FuzzLoad: whatever a client sends, Load returns a session and no error.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{"", "session=", "session=abc", "a=1; session=AQAAAAA", "Set-Cookie: session=x; Path=/",
		`session="quoted"`, strings.Repeat("A", 5000)} {
		f.Add(s)
	}
	m := session.NewMaker(session.WithLogger(discard))
	r := memoryRegion(f)
	if err := m.Configure(session.Settings{"backend": "dogpile", "region": r, "signature_key": sigKey}); err != nil {
		f.Fatal(err)
	}
	s, _ := m.New(ctx)
	c, _ := s.Save(ctx)
	f.Add(c.String())
	f.Fuzz(func(t *testing.T, in string) {
		s, err := m.Load(ctx, in)
		if err != nil || s == nil {
			t.Fatalf("Load(%q) = %v, %v", in, s, err)
		}
	})
}
