package cookie

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDefaultOptions(t *testing.T) {
	o := DefaultOptions()
	if o.Name != "session" || o.Path != "/" || o.ScriptReadable || o.SameSite != http.SameSiteLaxMode ||
		o.Secure || o.Partitioned || o.Domain != "" || o.MaxAge != 0 {
		t.Fatalf("%+v", o)
	}
	c, err := o.Cookie("abc", t0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.String(), "session=abc; Path=/; HttpOnly; SameSite=Lax"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCookieAllAttributes(t *testing.T) {
	o := Options{
		Name: "sid", Domain: "example.com", Path: "/app", MaxAge: 90 * time.Minute,
		Secure: true, SameSite: http.SameSiteLaxMode, Partitioned: true,
	}
	c, err := o.Cookie("v4lue", t0)
	if err != nil {
		t.Fatal(err)
	}
	s := c.String()
	for _, want := range []string{
		"sid=v4lue", "; Domain=example.com", "; Path=/app", "; Max-Age=5400",
		"; Expires=Fri, 14 Mar 2025 16:39:26 GMT", "; Secure", "; HttpOnly",
		"; SameSite=Lax", "; Partitioned",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("%q lacks %q", s, want)
		}
	}
	if !c.Expires.Equal(t0.Add(90*time.Minute)) || c.MaxAge != 5400 {
		t.Errorf("Expires %v MaxAge %d", c.Expires, c.MaxAge)
	}
	// The cookie parses back with net/http.
	parsed, err := http.ParseSetCookie(s)
	if err != nil || parsed.Value != "v4lue" || parsed.Domain != "example.com" || !parsed.Partitioned {
		t.Errorf("ParseSetCookie: %+v, %v", parsed, err)
	}
}

func TestCookieSameSiteModes(t *testing.T) {
	for mode, want := range map[http.SameSite]string{
		0: "SameSite=Lax", http.SameSiteDefaultMode: "", http.SameSiteLaxMode: "SameSite=Lax",
		http.SameSiteStrictMode: "SameSite=Strict", http.SameSiteNoneMode: "SameSite=None",
	} {
		c, err := Options{SameSite: mode, Secure: true}.Cookie("x", t0)
		if err != nil {
			t.Fatal(err)
		}
		if s := c.String(); (want == "") == strings.Contains(s, "SameSite") || !strings.Contains(s, want) {
			t.Errorf("mode %d: %q", mode, s)
		}
	}
}

// The zero Options are the defaults: the same cookie as DefaultOptions,
// HttpOnly and SameSite=Lax included; ScriptReadable drops HttpOnly.
func TestCookieZeroOptions(t *testing.T) {
	c, err := Options{}.Cookie("x", t0)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.String(); got != "session=x; Path=/; HttpOnly; SameSite=Lax" {
		t.Errorf("%q", got)
	}
	d, _ := DefaultOptions().Cookie("x", t0)
	if c.String() != d.String() || (Options{}).Effective() != DefaultOptions() {
		t.Errorf("zero %q, default %q, effective %+v", c, d, (Options{}).Effective())
	}
	c, _ = Options{ScriptReadable: true, SameSite: http.SameSiteDefaultMode}.Cookie("x", t0)
	if got := c.String(); got != "session=x; Path=/" {
		t.Errorf("script readable, no SameSite: %q", got)
	}
}

func TestCookieMaxAgeRoundsUp(t *testing.T) {
	c, err := Options{MaxAge: 1500 * time.Millisecond}.Cookie("x", t0)
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxAge != 2 || !c.Expires.Equal(t0.Add(2*time.Second)) {
		t.Errorf("MaxAge %d Expires %v", c.MaxAge, c.Expires)
	}
	c, _ = Options{MaxAge: time.Millisecond}.Cookie("x", t0)
	if c.MaxAge != 1 {
		t.Errorf("1ms gave Max-Age %d (0 would make a session cookie)", c.MaxAge)
	}
}

// Port of PySess's test_util.test_max_age_to_expires: Expires is now+max age
// in GMT, whatever the time zone of now. (PySess wrote the obsolete
// "01-Jan-2013" form; net/http writes RFC 1123 dates.)
func TestExpiresFormat(t *testing.T) {
	base := time.Date(2013, 1, 1, 14, 35, 23, 0, time.UTC)
	for _, now := range []time.Time{base, base.In(time.FixedZone("UTC+5", 5*3600))} {
		c, err := Options{MaxAge: time.Second}.Cookie("x", now)
		if err != nil {
			t.Fatal(err)
		}
		if s := c.String(); !strings.Contains(s, "Expires=Tue, 01 Jan 2013 14:35:24 GMT") {
			t.Errorf("%q", s)
		}
	}
}

func TestCookieInvalid(t *testing.T) {
	cases := []struct {
		o     Options
		value string
		what  string
	}{
		{Options{}, "a b", "space in value"},
		{Options{}, "a;b", "semicolon in value"},
		{Options{}, "a,b", "comma in value"},
		{Options{}, `a"b`, "quote in value"},
		{Options{}, `a\b`, "backslash in value"},
		{Options{}, "é", "non-ASCII value"},
		{Options{}, "a\x00", "control in value"},
		{Options{Name: "bad name"}, "x", "space in name"},
		{Options{Name: "a=b"}, "x", "= in name"},
		{Options{Path: "/a;b"}, "x", "semicolon in path"},
		{Options{Domain: "exa mple.com"}, "x", "bad domain"},
		{Options{MaxAge: -time.Second}, "x", "negative MaxAge"},
		{Options{SameSite: 9}, "x", "unknown SameSite"},
		{Options{SameSite: http.SameSiteNoneMode}, "x", "SameSite=None without Secure"},
		{Options{Partitioned: true}, "x", "Partitioned without Secure"},
		{Options{Name: "__Secure-id"}, "x", "__Secure- without Secure"},
		{Options{Name: "__Host-id", Secure: true, Domain: "example.com"}, "x", "__Host- with Domain"},
		{Options{Name: "__host-id", Secure: true, Path: "/a"}, "x", "__Host- with a path"},
		{Options{Name: "__Host-id"}, "x", "__Host- without Secure"},
	}
	for _, tc := range cases {
		if c, err := tc.o.Cookie(tc.value, t0); !errors.Is(err, ErrInvalidCookie) {
			t.Errorf("%s: %v, %v; want ErrInvalidCookie", tc.what, c, err)
		}
	}
	if _, err := (Options{Name: "__Host-id", Secure: true}).Cookie("x", t0); err != nil {
		t.Errorf("valid __Host- cookie: %v", err)
	}
}

func TestCookieTooLarge(t *testing.T) {
	o := DefaultOptions()
	o.Domain = "example.com"
	// A value that fits alone but not with the attributes.
	value := strings.Repeat("v", MaxCookieSize-len("session="))
	if _, err := (Options{Name: "session", Path: "", ScriptReadable: true, SameSite: http.SameSiteDefaultMode}).Cookie(value[:len(value)-len("; Path=/")], t0); err != nil {
		t.Fatalf("exactly %d bytes: %v", MaxCookieSize, err)
	}
	_, err := o.Cookie(value, t0)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "4096") {
		t.Fatalf("err %v, want ErrTooLarge", err)
	}
	if _, err := o.Cookie(strings.Repeat("v", 5000), t0); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("5000 bytes: %v", err)
	}
	// A codec value at the size limit plus attributes is refused too.
	c := codec(t, CodecOptions{SignKeys: ring(t, keyA)})
	v := mustEncode(t, c, "session", make([]byte, c.MaxPayloadSize("session")), t0)
	if _, err := o.Cookie(v, t0); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("codec value with attributes: %v", err)
	}
}

func TestExpired(t *testing.T) {
	o := Options{Name: "sid", Domain: "example.com", Path: "/app", Secure: true,
		SameSite: http.SameSiteNoneMode, Partitioned: true, MaxAge: time.Hour}
	c := o.Expired()
	s := c.String()
	for _, want := range []string{"sid=;", "Path=/app", "Domain=example.com", "Max-Age=0",
		"Expires=Thu, 01 Jan 1970 00:00:00 GMT", "Secure", "SameSite=None", "Partitioned"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q lacks %q", s, want)
		}
	}
	if c.MaxAge >= 0 || c.Value != "" {
		t.Errorf("%+v", c)
	}
	if d := (Options{}).Expired(); d.Name != "session" || d.Path != "/" {
		t.Errorf("zero options: %+v", d)
	}
	if err := c.Valid(); err != nil {
		t.Error(err)
	}
}
