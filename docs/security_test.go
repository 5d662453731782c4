package docs_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sessioncookie "github.com/gosess/gosess/backends/cookie"
	"github.com/gosess/gosess/cookie"
	"github.com/gosess/gosess/session"
)

var _ = sessioncookie.Name // the cookie backend registers itself as "cookie"

// quiet is a logger that discards everything.
var quiet = slog.New(slog.DiscardHandler)

// What a signed session cookie holds.
func Example_cookieContents() {
	ctx := context.Background()
	maker, done := newSessions()
	defer done()
	s, _ := maker.New(ctx)
	s.Set("user", "ann")

	c, _ := s.Save(ctx)
	raw, _ := base64.RawURLEncoding.DecodeString(c.Value)
	issued := time.Unix(int64(binary.BigEndian.Uint64(raw[1:9])), 0)
	id := raw[9 : len(raw)-32]
	fmt.Println("format byte:", raw[0])
	fmt.Println("issued in the last minute:", time.Since(issued) < time.Minute)
	fmt.Println("then the session id:", string(id) == s.ID())
	fmt.Println("and a signature of", len(raw)-9-len(id), "bytes")
	fmt.Println("values in the cookie:", bytes.Contains(raw, []byte("ann")))
	// Output:
	// format byte: 1
	// issued in the last minute: true
	// then the session id: true
	// and a signature of 32 bytes
	// values in the cookie: false
}

// What the cookie codec refuses.
func Example_cookieCodec() {
	key, _ := cookie.GenerateKey()
	ring, _ := cookie.NewKeyring(key)
	codec, _ := cookie.NewCodec(cookie.CodecOptions{SignKeys: ring})
	now := time.Now()

	v, _ := codec.Encode("session", []byte("the session id"), now)
	payload, _, err := codec.Decode("session", v, time.Hour, now)
	fmt.Printf("%s %v\n", payload, err)

	tampered := v[:12] + flip(v[12]) + v[13:]
	_, _, err = codec.Decode("session", tampered, time.Hour, now)
	fmt.Println(errors.Is(err, cookie.ErrSignature))

	_, _, err = codec.Decode("other_cookie", v, time.Hour, now) // moved to another cookie name
	fmt.Println(errors.Is(err, cookie.ErrSignature))

	_, _, err = codec.Decode("session", v, time.Hour, now.Add(2*time.Hour)) // too old
	fmt.Println(errors.Is(err, cookie.ErrExpired))
	// Output:
	// the session id <nil>
	// true
	// true
	// true
}

// flip returns another base64url character than c.
func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

// With the cookie backend the values travel in the cookie: readable
// unless encrypted.
func Example_encryption() {
	ctx := context.Background()
	signKey, _ := cookie.GenerateKey()
	encKey, _ := cookie.GenerateKey()

	plain := session.NewMaker(session.WithLogger(quiet))
	_ = plain.Configure(session.Settings{"backend": "cookie", "signature_key": signKey})
	encrypted := session.NewMaker()
	_ = encrypted.Configure(session.Settings{
		"backend":        "cookie",
		"signature_key":  signKey,
		"encryption_key": encKey,
		"cipher":         "xchacha20-poly1305",
	})

	for _, maker := range []*session.Maker{plain, encrypted} {
		s, _ := maker.New(ctx)
		s.Set("email", "ann@example.com")
		c, _ := s.Save(ctx)
		raw, _ := base64.RawURLEncoding.DecodeString(c.Value)
		fmt.Println("readable by the client:", bytes.Contains(raw, []byte("ann@example.com")))
	}
	// Output:
	// readable by the client: true
	// readable by the client: false
}

// Rotating the signing key with a key ring.
func Example_keyRotation() {
	ctx := context.Background()
	r := newRegion()
	defer r.Close()
	oldKey, _ := cookie.GenerateKey()
	newKey, _ := cookie.GenerateKey()

	// Before: one key.
	before := session.NewMaker()
	_ = before.Configure(session.Settings{"backend": "dogpile", "region": r, "signature_key": oldKey})
	s, _ := before.New(ctx)
	s.Set("user", "ann")
	oldCookie, _ := s.Save(ctx)

	// During the rotation: the new key signs, both verify.
	during := session.NewMaker()
	_ = during.Configure(session.Settings{
		"backend":       "dogpile",
		"region":        r,
		"signature_key": [][]byte{newKey, oldKey},
	})
	s, _ = during.Load(ctx, oldCookie.String())
	fmt.Println("old cookie accepted:", !s.IsNew())
	newCookie, _ := s.Save(ctx) // re-signed with the new key

	// After: the old key is gone; cookies it signed no longer load.
	after := session.NewMaker()
	_ = after.Configure(session.Settings{"backend": "dogpile", "region": r, "signature_key": newKey})
	s, _ = after.Load(ctx, oldCookie.String())
	fmt.Println("old cookie accepted after the rotation:", !s.IsNew())
	s, _ = after.Load(ctx, newCookie.String())
	v, _ := s.Get("user")
	fmt.Println("re-signed cookie:", v)
	// Output:
	// old cookie accepted: true
	// old cookie accepted after the rotation: false
	// re-signed cookie: ann
}

// TestSessionFixation runs the login and logout handlers of security.md:
// a session id known before the login (planted by an attacker) is
// worthless after it.
func TestSessionFixation(t *testing.T) {
	ctx := context.Background()
	maker, done := newSessions()
	defer done()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, req *http.Request) {
		s := session.FromContext(req.Context())
		s.Set("theme", "dark")
		fmt.Fprintln(w, "hello")
	})

	mux.HandleFunc("POST /login", func(w http.ResponseWriter, req *http.Request) {
		user := req.FormValue("user")
		if !checkPassword(user, req.FormValue("password")) {
			http.Error(w, "wrong user or password", http.StatusForbidden)
			return
		}
		s := session.FromContext(req.Context())
		// New id, same values: the id the client had before the login,
		// which someone else may know, no longer names this session.
		if err := s.Renew(req.Context()); err != nil {
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		s.Set("user", user)
		fmt.Fprintln(w, "welcome", user)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, req *http.Request) {
		s := session.FromContext(req.Context())
		// Delete the stored session; the middleware removes the cookie.
		if err := s.Invalidate(req.Context()); err != nil {
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "bye")
	})

	srv := httptest.NewServer(maker.Middleware(mux))
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	defer client.CloseIdleConnections()
	get := func(method, path string, form url.Values) string {
		t.Helper()
		var resp *http.Response
		var err error
		if method == "GET" {
			resp, err = client.Get(srv.URL + path)
		} else {
			resp, err = client.PostForm(srv.URL+path, form)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.TrimSpace(string(b))
	}
	u, _ := url.Parse(srv.URL)
	sessionCookie := func() string {
		for _, c := range jar.Cookies(u) {
			if c.Name == "session" {
				return c.Name + "=" + c.Value
			}
		}
		return ""
	}

	get("GET", "/", nil)
	planted := sessionCookie() // the id an attacker could have planted
	if got := get("POST", "/login", url.Values{"user": {"ann"}, "password": {"wrong"}}); got != "wrong user or password" {
		t.Fatalf("bad password: %q", got)
	}
	if got := get("POST", "/login", url.Values{"user": {"ann"}, "password": {"secret"}}); got != "welcome ann" {
		t.Fatalf("login: %q", got)
	}
	loggedIn := sessionCookie()
	if loggedIn == planted || loggedIn == "" {
		t.Fatal("the session id did not change at login")
	}
	s, err := maker.Load(ctx, planted)
	if err != nil {
		t.Fatal(err)
	}
	if !s.IsNew() || s.Has("user") {
		t.Fatal("the cookie from before the login still loads the session")
	}
	s, _ = maker.Load(ctx, loggedIn)
	if v, _ := s.Get("user"); v != "ann" || !s.Has("theme") {
		t.Fatalf("logged-in session: user %v, theme kept %v", v, s.Has("theme"))
	}
	if got := get("POST", "/logout", nil); got != "bye" {
		t.Fatalf("logout: %q", got)
	}
	if c := sessionCookie(); c != "" {
		t.Fatalf("cookie still in the jar after logout: %q", c)
	}
	if s, _ := maker.Load(ctx, loggedIn); !s.IsNew() {
		t.Fatal("the cookie from before the logout still loads the session")
	}
}

func checkPassword(user, password string) bool { return user == "ann" && password == "secret" }

// TestCrossOriginProtection runs the CSRF defence of security.md: a form
// on another site cannot post to the application, same-origin forms can.
func TestCrossOriginProtection(t *testing.T) {
	maker, done := newSessions()
	defer done()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /transfer", func(w http.ResponseWriter, req *http.Request) {
		s := session.FromContext(req.Context())
		s.Set("last_transfer", req.FormValue("amount"))
		fmt.Fprintln(w, "done")
	})

	csrf := http.NewCrossOriginProtection()
	// Other origins allowed to post here, if any:
	// err := csrf.AddTrustedOrigin("https://admin.example.com")
	handler := csrf.Handler(maker.Middleware(mux))

	srv := httptest.NewServer(handler)
	defer srv.Close()
	post := func(headers map[string]string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/transfer", strings.NewReader("amount=100"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, h := range []map[string]string{
		{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://evil.example"},
		{"Sec-Fetch-Site": "same-site"}, // a sibling subdomain is same-site, not same-origin
	} {
		if resp := post(h); resp.StatusCode != http.StatusForbidden || resp.Header.Get("Set-Cookie") != "" {
			t.Errorf("%v: %d, Set-Cookie %q", h, resp.StatusCode, resp.Header.Get("Set-Cookie"))
		}
	}
	if st := maker.Stats(); st.New != 0 {
		t.Errorf("refused requests loaded %d sessions", st.New)
	}
	for _, h := range []map[string]string{
		{"Origin": srv.URL, "Sec-Fetch-Site": "same-origin"},
		{"Origin": srv.URL},
		nil, // not a browser: no ambient cookies to abuse
	} {
		if resp := post(h); resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%v: %d, Cache-Control %q", h, resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	}
}

// Cookie attributes for production.
func Example_productionCookie() {
	ctx := context.Background()
	r := newRegion()
	defer r.Close()
	key, _ := cookie.GenerateKey()

	maker := session.NewMaker()
	err := maker.Configure(session.Settings{
		"backend":       "dogpile",
		"region":        r,
		"signature_key": key,
		"name":          "__Host-session", // Secure, no Domain, Path=/: enforced by browsers
		"secure":        true,
		"httponly":      true,
		"samesite":      "lax",
		"max_age":       "30m",
		"lifetime":      "12h",
	})
	if err != nil {
		log.Fatal(err)
	}
	s, _ := maker.New(ctx)
	s.Set("user", "ann")
	c, _ := s.Save(ctx)
	fmt.Println(c.Name, c.Path, c.Domain == "", c.MaxAge, c.HttpOnly, c.Secure, c.SameSite == http.SameSiteLaxMode)

	err = session.NewMaker().Configure(session.Settings{
		"backend": "dogpile", "region": r, "signature_key": key,
		"name": "__Host-session", "domain": "example.com", "secure": true,
	})
	fmt.Println(errors.Is(err, cookie.ErrInvalidCookie))
	// Output:
	// __Host-session / true 1800 true true true
	// true
}

// TestSecretFiles runs the secret-file snippets of security.md.
func TestSecretFiles(t *testing.T) {
	r := newRegion()
	defer r.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "secret")
	if _, err := cookie.WriteSecret(path, false); err != nil {
		t.Fatal(err)
	}

	maker := session.NewMaker()
	err := maker.Configure(session.Settings{
		"backend":     "dogpile",
		"region":      r,
		"secret_file": path,
	})
	if err != nil {
		log.Fatal(err)
	}

	loose := filepath.Join(dir, "loose")
	if err := os.WriteFile(loose, bytes.Repeat([]byte("k"), 64), 0o644); err != nil {
		t.Fatal(err)
	}
	err = session.NewMaker().Configure(session.Settings{"backend": "dogpile", "region": r, "secret_file": loose})
	if !errors.Is(err, cookie.ErrSecretFilePerm) || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a 0644 secret file: %v", err)
	}
	if _, err := cookie.WriteSecret(path, false); err == nil {
		t.Fatal("WriteSecret replaced an existing file without force")
	}
}

// The cookie backend's sessions expire by default, and rotating the keys
// revokes all of them.
func Example_cookieBackendRevocation() {
	ctx := context.Background()
	oldKey, _ := cookie.GenerateKey()
	newKey, _ := cookie.GenerateKey()
	encKey, _ := cookie.GenerateKey()
	maker := session.NewMaker()
	err := maker.Configure(session.Settings{"backend": "cookie", "signature_key": oldKey, "encryption_key": encKey})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("max_age by default:", maker.Config().MaxAge)
	s, _ := maker.New(ctx)
	s.Set("user", "ann")
	stolen, err := s.Save(ctx)
	if err != nil {
		log.Fatal(err)
	}

	// Revoke every cookie session at once: a new key, without the old one.
	rotated := session.NewMaker()
	err = rotated.Configure(session.Settings{"backend": "cookie", "signature_key": newKey, "encryption_key": encKey})
	if err != nil {
		log.Fatal(err)
	}
	s, err = rotated.Load(ctx, stolen.String())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("the stolen cookie after the rotation loads a new session:", s.IsNew())
	// Output:
	// max_age by default: 24h0m0s
	// the stolen cookie after the rotation loads a new session: true
}

// The cookie backend cannot revoke a cookie, and cannot hold more than a
// cookie holds.
func Example_cookieBackendLimits() {
	ctx := context.Background()
	signKey, _ := cookie.GenerateKey()
	encKey, _ := cookie.GenerateKey()
	maker := session.NewMaker()
	_ = maker.Configure(session.Settings{"backend": "cookie", "signature_key": signKey, "encryption_key": encKey, "max_age": "1h"})

	s, _ := maker.New(ctx)
	s.Set("user", "ann")
	stolen, _ := s.Save(ctx)

	_ = s.Invalidate(ctx) // logout
	s, _ = maker.Load(ctx, stolen.String())
	v, _ := s.Get("user")
	fmt.Println("a copy of the old cookie still works:", v)

	s.Set("history", strings.Repeat("x", 5000))
	_, err := s.Save(ctx)
	fmt.Println(errors.Is(err, cookie.ErrTooLarge))
	// Output:
	// a copy of the old cookie still works: ann
	// true
}
