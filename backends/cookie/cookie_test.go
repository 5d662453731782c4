package cookie_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/backends/cookie"
	"github.com/gosess/gosess/session"
)

func TestSealOpen(t *testing.T) {
	var b cookie.Backend
	p, err := b.Seal("abcDEF_-", session.Record{Version: 9, Data: []byte("data")})
	if err != nil {
		t.Fatal(err)
	}
	id, rec, err := b.Open(p)
	if err != nil || id != "abcDEF_-" || string(rec.Data) != "data" {
		t.Fatalf("Open = %q %q %v", id, rec.Data, err)
	}
	empty, _ := b.Seal("x", session.Record{})
	if id, rec, err := b.Open(empty); err != nil || id != "x" || len(rec.Data) != 0 {
		t.Errorf("empty data: %q %v", id, err)
	}
	for name, bad := range map[string][]byte{
		"nil": nil, "version": {2, 1, 'a'}, "short": {1}, "length": {1, 50, 'a'},
		"bad varint": append([]byte{1}, bytes.Repeat([]byte{0xff}, 11)...), "bad id": {1, 3, '.', '.', '/'},
		"empty id": {1, 0, 'd'},
	} {
		if _, _, err := b.Open(bad); !errors.Is(err, cookie.ErrBadPayload) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestNoServerState(t *testing.T) {
	var b cookie.Backend
	ctx := context.Background()
	if err := b.Save(ctx, "a", session.Record{}, nil, 0); err != nil {
		t.Error(err)
	}
	if _, err := b.Load(ctx, "a"); !errors.Is(err, session.ErrNotFound) {
		t.Error(err)
	}
	if ok, err := b.Exists(ctx, "a"); ok || err != nil {
		t.Error(ok, err)
	}
	if err := b.Delete(ctx, "a", nil); err != nil {
		t.Error(err)
	}
	var _ session.CookieCarrier = b
}

func TestUnknownSetting(t *testing.T) {
	err := session.NewMaker().Configure(session.Settings{"backend": "cookie", "signature_key": bytes.Repeat([]byte("k"), 32),
		"encryption_key": bytes.Repeat([]byte("e"), 32), "region": "x"})
	if !errors.Is(err, session.ErrInvalidSetting) {
		t.Errorf("%v", err)
	}
}

// Ids up to session.MaxIDLength go through the cookie; longer ones are
// refused, as by every backend.
func TestLongestID(t *testing.T) {
	var b cookie.Backend
	long := strings.Repeat("a", session.MaxIDLength)
	p, _ := b.Seal(long, session.Record{Data: []byte("d")})
	if id, _, err := b.Open(p); err != nil || id != long {
		t.Errorf("%d-character id: %v", len(long), err)
	}
	p, _ = b.Seal(long+"a", session.Record{Data: []byte("d")})
	if _, _, err := b.Open(p); !errors.Is(err, cookie.ErrBadPayload) {
		t.Errorf("%d-character id: %v", len(long)+1, err)
	}
}

// The backend's sessions expire (a finite default max_age), and rotating
// the keys revokes every cookie at once, as the package doc says.
func TestDefaultMaxAgeAndRevocationByKeyRotation(t *testing.T) {
	ctx := context.Background()
	key1, key2, enc := bytes.Repeat([]byte("1"), 32), bytes.Repeat([]byte("2"), 32), bytes.Repeat([]byte("e"), 32)
	m := session.NewMaker()
	if err := m.Configure(session.Settings{"backend": "cookie", "signature_key": key1, "encryption_key": enc}); err != nil {
		t.Fatal(err)
	}
	if m.Config().MaxAge != session.DefaultCookieCarrierMaxAge || m.Config().MaxAge == 0 {
		t.Errorf("max_age %v", m.Config().MaxAge)
	}
	s, _ := m.New(ctx)
	s.Set("user", "ann")
	c, err := s.Save(ctx)
	if err != nil || c.MaxAge != int(session.DefaultCookieCarrierMaxAge/time.Second) {
		t.Fatalf("cookie %v, %v", c, err)
	}
	rotated := session.NewMaker()
	if err := rotated.Configure(session.Settings{"backend": "cookie", "signature_key": key2, "encryption_key": enc}); err != nil {
		t.Fatal(err)
	}
	if back, _ := rotated.Load(ctx, c.String()); !back.IsNew() {
		t.Error("a cookie signed with a removed key still loads")
	}
}

// The settings of the per-user store: a region (and a key prefix), or
// nothing; a key prefix alone, or a region of another type, is refused.
func TestUserStoreSettings(t *testing.T) {
	key := bytes.Repeat([]byte("k"), 32)
	for name, s := range map[string]session.Settings{
		"prefix without region": {"key_prefix": "s:"},
		"not a region":          {"region": "app"},
	} {
		s["backend"], s["signature_key"] = "cookie", key
		err := session.NewMaker().Configure(s)
		if !errors.Is(err, session.ErrInvalidSetting) || !strings.Contains(err.Error(), "cookie") {
			t.Errorf("%s: %v", name, err)
		}
	}
	var b cookie.Backend
	if _, err := b.LoadUser(context.Background(), "ann"); !errors.Is(err, session.ErrUnsupported) {
		t.Errorf("LoadUser without a store: %v", err)
	}
}
