package session_test

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/backends/cookie"
	"github.com/gosess/gosess/backends/dogpile"
	"github.com/gosess/gosess/backends/file"
	cookiepkg "github.com/gosess/gosess/cookie"
	"github.com/gosess/gosess/internal/testlog"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
)

// equalMakers fails unless a and b are configured alike: the same Config
// (defaults filled in) but for the Backend, backends of the same kind
// with the same settings, and each loads the other's cookies.
func equalMakers(t *testing.T, a, b *session.Maker) {
	t.Helper()
	ca, cb := a.Config(), b.Config()
	ba, bb := ca.Backend, cb.Backend
	ca.Backend, cb.Backend = nil, nil
	if !reflect.DeepEqual(ca, cb) {
		t.Errorf("configs differ:\n%v\n%v", ca, cb)
	}
	if a.BackendName() != b.BackendName() || reflect.TypeOf(ba) != reflect.TypeOf(bb) {
		t.Fatalf("backends differ: %s %T, %s %T", a.BackendName(), ba, b.BackendName(), bb)
	}
	switch x := ba.(type) {
	case *dogpile.Backend:
		y := bb.(*dogpile.Backend)
		if x.Region() != y.Region() || x.KeyPrefix() != y.KeyPrefix() {
			t.Errorf("dogpile backends: region %s/%s, prefix %q/%q", x.Region().Name(), y.Region().Name(), x.KeyPrefix(), y.KeyPrefix())
		}
	case *file.Backend:
		y := bb.(*file.Backend)
		if x.Dir() != y.Dir() || x.Synced() != y.Synced() {
			t.Errorf("file backends: %s/%s, sync %v/%v", x.Dir(), y.Dir(), x.Synced(), y.Synced())
		}
	case cookie.Backend:
	default:
		t.Fatalf("unexpected backend %T", ba)
	}
	for _, pair := range [][2]*session.Maker{{a, b}, {b, a}} {
		s, c := saveNew(t, pair[0], "n", 7)
		back := load(t, pair[1], c)
		if back.IsNew() || back.ID() != s.ID() || mustGet(t, back, "n") != 7 {
			t.Errorf("a cookie of one maker does not load in the other")
		}
		c2 := save(t, back)
		if got, want := strip(c2.String()), strip(c); got != want {
			t.Errorf("cookies differ:\n%s\n%s", got, want)
		}
	}
}

// strip drops a cookie's value and dates, which differ between saves.
func strip(c string) string {
	var keep []string
	for i, part := range strings.Split(c, "; ") {
		if i == 0 || strings.HasPrefix(part, "Expires=") {
			continue
		}
		keep = append(keep, part)
	}
	return strings.Join(keep, "; ")
}

// The "done means": the typed and the map configurations give
// equal Makers, for every backend, with every general setting changed
// from its default.
func TestTypedAndMapConfigurationsAreEqual(t *testing.T) {
	r := memoryRegion(t)
	dir := filepath.Join(t.TempDir(), "sessions")
	fileBackend, err := file.Open(dir, file.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	general := session.Settings{
		"domain": "example.com", "path": "/app", "name": "sid", "max_age": "1h", "refresh_on_access": false,
		"lifetime": "12h", "touch_interval": 0, "secure": true, "httponly": false, "samesite": "strict",
		"partitioned": true, "session_id_length": 48, "codec": "gob",
		"signature_key": []any{sigKey, sigKey2}, "encryption_key": encKey, "cipher": "xchacha20-poly1305",
	}
	typed := session.Config{
		Options: cookiepkg.Options{Domain: "example.com", Path: "/app", Name: "sid", MaxAge: time.Hour, Secure: true,
			ScriptReadable: true, SameSite: http.SameSiteStrictMode, Partitioned: true},
		MaxAgeFromCreation: true, Lifetime: 12 * time.Hour, TouchInterval: session.TouchEveryRequest,
		IDLength: 48, Codec: session.GobCodec{}, SignatureKeys: [][]byte{sigKey, sigKey2},
		EncryptionKeys: [][]byte{encKey}, Cipher: cookiepkg.CipherXChaCha20Poly1305,
	}
	for _, tc := range []struct {
		name     string
		settings session.Settings
		backend  session.Backend
	}{
		{"dogpile", session.Settings{"backend": "dogpile", "region": r, "key_prefix": "s/"}, dogpile.New(r, dogpile.WithKeyPrefix("s/"))},
		{"file", session.Settings{"backend": "file", "dir": dir, "sync": false}, fileBackend},
		{"cookie", session.Settings{"backend": "cookie"}, cookie.New()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Run("defaults", func(t *testing.T) {
				fromMap := session.NewMaker(session.WithLogger(discard))
				s := session.Settings{"signature_key": sigKey, "encryption_key": encKey}
				for k, v := range tc.settings {
					s[k] = v
				}
				if err := fromMap.Configure(s); err != nil {
					t.Fatal(err)
				}
				fromConfig, err := session.New(session.Config{Backend: tc.backend, SignatureKeys: [][]byte{sigKey},
					EncryptionKeys: [][]byte{encKey}}, session.WithLogger(discard))
				if err != nil {
					t.Fatal(err)
				}
				equalMakers(t, fromMap, fromConfig)
				// The effective Config builds the same Maker again.
				again, err := session.New(fromConfig.Config(), session.WithLogger(discard))
				if err != nil {
					t.Fatal(err)
				}
				equalMakers(t, fromConfig, again)
			})
			t.Run("every setting", func(t *testing.T) {
				fromMap := session.NewMaker(session.WithLogger(discard))
				s := session.Settings{}
				for _, m := range []session.Settings{general, tc.settings} {
					for k, v := range m {
						s[k] = v
					}
				}
				if err := fromMap.Configure(s); err != nil {
					t.Fatal(err)
				}
				cfg := typed
				cfg.Backend = tc.backend
				fromConfig, err := session.New(cfg, session.WithLogger(discard))
				if err != nil {
					t.Fatal(err)
				}
				equalMakers(t, fromMap, fromConfig)
			})
		})
	}
}

// A Config literal that names only a backend and a key gets the same
// defaults as a settings map with nothing else: HttpOnly, SameSite=Lax,
// refresh on access, a one-minute touch interval, 32-byte ids.
func TestZeroConfigIsTheDefaults(t *testing.T) {
	m, err := session.New(session.Config{Backend: dogpile.New(memoryRegion(t)), SignatureKeys: [][]byte{sigKey}},
		session.WithLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	got := m.Config()
	got.Backend, got.SignatureKeys = nil, nil
	if want := session.DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("zero Config in effect:\n%v\nwant DefaultConfig:\n%v", got, want)
	}
	s, c := saveNew(t, m, "a", 1)
	if !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") || strings.Contains(c, "Max-Age") ||
		len(s.ID()) != 43 {
		t.Errorf("cookie %s, id %q", c, s.ID())
	}
	if d := session.DefaultConfig(); d.TouchInterval != time.Minute || d.IDLength != 32 || d.MaxAgeFromCreation ||
		d.Name != "session" || d.Path != "/" || d.SameSite != http.SameSiteLaxMode || d.ScriptReadable {
		t.Errorf("DefaultConfig: %v", d)
	}
}

// SignatureKey is SignatureKeys of one key; both at once is an error.
func TestSignatureKeyIsARingOfOne(t *testing.T) {
	r := memoryRegion(t)
	one, err := session.New(session.Config{Backend: dogpile.New(r), SignatureKey: sigKey}, session.WithLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	ring, err := session.New(session.Config{Backend: dogpile.New(r), SignatureKeys: [][]byte{sigKey}}, session.WithLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	equalMakers(t, one, ring)
	if c := one.Config(); len(c.SignatureKey) != 0 || len(c.SignatureKeys) != 1 {
		t.Errorf("Config in effect: SignatureKey %d bytes, SignatureKeys %d; want the key in the ring", len(c.SignatureKey), len(c.SignatureKeys))
	}
	_, err = session.New(session.Config{Backend: dogpile.New(r), SignatureKey: sigKey, SignatureKeys: [][]byte{sigKey}})
	if !errors.Is(err, session.ErrInvalidSetting) || !strings.Contains(err.Error(), "SignatureKey") {
		t.Fatalf("both SignatureKey and SignatureKeys: %v; want ErrInvalidSetting naming them", err)
	}
}

// New reports every mistake of a Config at once, each naming its
// setting and field.
func TestNewReportsEveryProblem(t *testing.T) {
	_, err := session.New(session.Config{IDLength: 16, Cipher: "rot13", SignatureKeys: [][]byte{[]byte("short")},
		Lifetime: -time.Second}, session.WithLogger(discard))
	for _, want := range []string{"Config.Backend", "Config.IDLength", "Config.Cipher", "Config.Lifetime", `"signature_key"`} {
		if !errors.Is(err, session.ErrInvalidSetting) || !strings.Contains(fmt.Sprint(err), want) {
			t.Errorf("error lacks %s: %v", want, err)
		}
	}
	for name, cfg := range map[string]session.Config{
		"ephemeral and key":     {EphemeralKey: true, SignatureKeys: [][]byte{sigKey}},
		"secret file and key":   {SecretFile: "x", SignatureKeys: [][]byte{sigKey}},
		"ephemeral and file":    {EphemeralKey: true, SecretFile: "x"},
		"must exist and key":    {SecretFileMustExist: true, SignatureKeys: [][]byte{sigKey}},
		"bad cookie attributes": {Options: cookiepkg.Options{SameSite: http.SameSiteNoneMode}, SignatureKeys: [][]byte{sigKey}},
	} {
		cfg.Backend = cookie.New()
		if _, err := session.New(cfg, session.WithLogger(discard)); !errors.Is(err, session.ErrInvalidSetting) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The same contradictions through Settings.
	err = session.NewMaker(session.WithLogger(discard)).Configure(session.Settings{"backend": "cookie",
		"signature_key": sigKey, "secret_file": "x"})
	if !errors.Is(err, session.ErrInvalidSetting) || !strings.Contains(err.Error(), `"secret_file"`) {
		t.Errorf("secret_file with signature_key: %v", err)
	}
}

// Per-call overrides do not rebuild the key rings: a call that changes
// only cookie attributes uses the Maker's codec, and calls with the same
// other keys share one codec.
func TestOverridesReuseKeyRings(t *testing.T) {
	m := newMaker(t, localBackends[0], session.Settings{"encryption_key": encKey})
	before := session.CodecBuilds()
	for range 50 {
		s, err := m.NewWith(ctx, session.Settings{"domain": "other.example.com", "max_age": "1m"})
		if err != nil {
			t.Fatal(err)
		}
		s.Set("a", 1)
		c, err := s.Save(ctx)
		if err != nil || c.Domain != "other.example.com" {
			t.Fatal(c, err)
		}
		if _, err := m.LoadWith(ctx, c.String(), session.Settings{"path": "/x"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := session.CodecBuilds() - before; n != 0 {
		t.Errorf("%d codecs built for overrides of attributes only", n)
	}
	for range 50 {
		s, err := m.NewWith(ctx, session.Settings{"signature_key": sigKey2})
		if err != nil {
			t.Fatal(err)
		}
		s.Set("a", 1)
		c := save(t, s)
		if back := load(t, m, c.String()); !back.IsNew() {
			t.Fatal("a cookie signed with the overriding key loads with the maker's")
		}
	}
	if n := session.CodecBuilds() - before; n != 1 {
		t.Errorf("%d codecs built for 50 calls with one other key, want 1", n)
	}
}

// A typed backend without a clock of its own takes the Maker's (Attach).
func TestTypedBackendTakesTheMakersClock(t *testing.T) {
	clk := newClock()
	m, err := session.New(session.Config{Backend: dogpile.New(memoryRegion(t)), SignatureKeys: [][]byte{sigKey},
		Options: cookiepkg.Options{MaxAge: time.Hour}}, session.WithLogger(discard), session.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	_, c := saveNew(t, m, "a", 1)
	clk.Advance(2 * time.Hour)
	if back := load(t, m, c); !back.IsNew() {
		t.Error("a session past max_age on the maker's clock still loads")
	}
}

// ephemeral_key: a key of this process, accepted where the sessions stay
// in this process, refused where other processes reach them.
func TestEphemeralKey(t *testing.T) {
	var logs testlog.Buffer
	m, err := session.New(session.Config{Backend: dogpile.New(memoryRegion(t)), EphemeralKey: true},
		session.WithLogger(logs.Logger(slog.LevelDebug)))
	if err != nil {
		t.Fatal(err)
	}
	_, c := saveNew(t, m, "a", 1)
	if back := load(t, m, c); back.IsNew() {
		t.Error("ephemeral key: own cookie does not load")
	}
	if !strings.Contains(logs.String(), "ephemeral_key") {
		t.Errorf("log: %s", logs.String())
	}
	other, err := session.New(session.Config{Backend: cookie.New(), EphemeralKey: true}, session.WithLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	if back := load(t, other, c); !back.IsNew() {
		t.Error("another ephemeral key loads the cookie")
	}

	fileRegion := region.New("files")
	if err := fileRegion.Configure("file", region.Config{Arguments: map[string]any{"dir": t.TempDir()}}); err != nil {
		t.Fatal(err)
	}
	defer fileRegion.Close()
	for name, b := range map[string]func(t *testing.T) session.Backend{
		"redis":       func(t *testing.T) session.Backend { return dogpile.New(redisRegion(t)) },
		"memcached":   func(t *testing.T) session.Backend { return dogpile.New(memcachedRegion(t)) },
		"file driver": func(*testing.T) session.Backend { return dogpile.New(fileRegion) },
		"file backend": func(t *testing.T) session.Backend {
			fb, err := file.Open(filepath.Join(t.TempDir(), "s"), file.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return fb
		},
	} {
		t.Run(name, func(t *testing.T) {
			be := b(t)
			_, err := session.New(session.Config{Backend: be, EphemeralKey: true}, session.WithLogger(discard))
			if !errors.Is(err, session.ErrInvalidSetting) || !strings.Contains(err.Error(), "other processes") ||
				!strings.Contains(err.Error(), "secret_file") {
				t.Fatalf("err = %v, want a refusal that says why and what to do", err)
			}
			// The same through Settings.
			s := session.Settings{"backend": "dogpile", "ephemeral_key": true}
			if fb, ok := be.(*file.Backend); ok {
				s = session.Settings{"backend": "file", "dir": fb.Dir(), "ephemeral_key": "true"}
			} else {
				s["region"] = be.(*dogpile.Backend).Region()
			}
			if err := session.NewMaker(session.WithLogger(discard)).Configure(s); !errors.Is(err, session.ErrInvalidSetting) {
				t.Fatalf("settings: %v", err)
			}
		})
	}
}

// secret_file_create=false (SecretFileMustExist): a missing secret file is
// an error that says how to provision it, and nothing is created; an
// existing one is used. Creating one logs a warning about fleets.
func TestSecretFileCreation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret")
	for _, configure := range []func() error{
		func() error {
			_, err := session.New(session.Config{Backend: cookie.New(), SecretFile: path, SecretFileMustExist: true},
				session.WithLogger(discard))
			return err
		},
		func() error {
			return session.NewMaker(session.WithLogger(discard)).Configure(session.Settings{"backend": "cookie",
				"secret_file": path, "secret_file_create": "false"})
		},
	} {
		err := configure()
		if !errors.Is(err, session.ErrInvalidSetting) || !errors.Is(err, fs.ErrNotExist) ||
			!strings.Contains(err.Error(), "secret_file_create=false") || !strings.Contains(err.Error(), "gosess keygen") {
			t.Fatalf("missing secret file: %v", err)
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Fatal("the secret file was created")
		}
	}
	var logs testlog.Buffer
	creator, err := session.New(session.Config{Backend: dogpile.New(memoryRegion(t)), SecretFile: path},
		session.WithLogger(logs.Logger(slog.LevelDebug)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"level=WARN", "created a new secret file", "Every process", "secret_file_create=false", path} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("creation log lacks %q: %s", want, logs.String())
		}
	}
	logs.Reset()
	reader, err := session.New(session.Config{Backend: creator.Config().Backend, SecretFile: path, SecretFileMustExist: true},
		session.WithLogger(logs.Logger(slog.LevelDebug)))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "created") {
		t.Errorf("reading logged a creation: %s", logs.String())
	}
	_, c := saveNew(t, creator, "a", 1)
	if back := load(t, reader, c); back.IsNew() {
		t.Error("two makers on one secret file do not share sessions")
	}
}
