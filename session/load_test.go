package session_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/testlog"
	"github.com/gosess/gosess/session"
)

// Load accepts every form a cookie comes in.
func TestLoadForms(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		m := newMaker(t, bc, nil)
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
	})
}

// Ports of test_session.test_invalid_signature, test_invalid_sig_on_enc,
// test_invalid_ciphertext and test_cookie_load_error_general: bad client
// input gives a new session, no error, and a debug log line with the
// reason (nothing above debug).
func TestLoadBadInput(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		var logs testlog.Buffer
		clk := newClock()
		m := newMaker(t, bc, session.Settings{"max_age": "1h"}, session.WithLogger(logs.Logger(slog.LevelDebug)), session.WithClock(clk.Now))
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
	s, err := m.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Set("k", 1)
	if _, err := s.Save(ctx); !errors.Is(err, errBackendDown) {
		t.Errorf("Save with a failing backend = %v", err)
	}
}

var errBackendDown = errors.New("backend down")

// failingBackend fails every call; registered for the tests.
type failingBackend struct{}

func (failingBackend) Load(context.Context, string) (session.Record, error) {
	return session.Record{}, errBackendDown
}
func (failingBackend) Save(context.Context, string, session.Record, *session.Record, time.Duration) error {
	return errBackendDown
}
func (failingBackend) Delete(context.Context, string, *session.Record) error { return errBackendDown }
func (failingBackend) Exists(context.Context, string) (bool, error)          { return false, errBackendDown }

func init() {
	session.RegisterBackend("failing", func(cfg session.BackendConfig) (session.Backend, error) {
		return failingBackend{}, nil
	})
}

// FuzzLoad: whatever a client sends, Load returns a session and no error.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{"", "session=", "session=abc", "a=1; session=AQAAAAA", "Set-Cookie: session=x; Path=/",
		`session="quoted"`, strings.Repeat("A", 5000)} {
		f.Add(s)
	}
	m := session.NewMaker(session.WithLogger(discard))
	r := memoryRegionF(f)
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

func memoryRegionF(f *testing.F) *regionT { return memoryRegion(f) }
