package cookie

import (
	"net/http"
	"slices"
	"testing"
)

func TestExtract(t *testing.T) {
	cases := []struct {
		s, name, want string
		ok            bool
	}{
		// bare values
		{"xyz", "session", "xyz", true},
		{"  xyz\t", "session", "xyz", true},
		{`"xyz"`, "session", "xyz", true},
		{"", "session", "", false},
		{"   ", "session", "", false},
		{`""`, "session", "", false},
		// name=value
		{"session=xyz", "session", "xyz", true},
		{"session=\"xyz\"", "session", "xyz", true},
		{"other=xyz", "session", "", false},
		{"Session=xyz", "session", "", false}, // names are case-sensitive
		{"session=", "session", "", false},
		{"session", "session", "session", true}, // a bare value, whatever it says
		// Set-Cookie lines
		{"session=xyz; Path=/; HttpOnly; SameSite=Lax", "session", "xyz", true},
		{"session=xyz; Domain=example.com; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0", "session", "xyz", true},
		{"Set-Cookie: session=xyz; Path=/", "session", "xyz", true},
		{"set-cookie:session=xyz", "session", "xyz", true},
		{"other=1; Path=/; HttpOnly", "session", "", false},
		{"other=1; Path=/; session=xyz", "session", "", false}, // attributes are not cookies
		{"other=1; path=/", "path", "", false},
		{"session=; Path=/; Max-Age=0", "session", "", false}, // a deletion
		// Cookie headers
		{"a=1; session=xyz; b=2", "session", "xyz", true},
		{"a=1;session=xyz;b=2", "session", "xyz", true},
		{"Cookie: a=1; session=xyz", "session", "xyz", true},
		{"a=1; b=2", "session", "", false},
		{"a=1; session=first; session=second", "session", "first", true},
		{"a=1; session=; session=second", "session", "second", true},
		{"a=1; junk; session=xyz", "session", "xyz", true},
		{"a=ü; b=x y; session=xyz", "session", "xyz", true}, // http.ParseCookie refuses this header
		{"a=1; sessionx=1; xsession=2", "session", "", false},
		{"a=b=c; session=x=y", "session", "x=y", true},
		{";;;", "session", "", false},
		{"=;=", "", "", false},
	}
	for _, tc := range cases {
		got, ok := Extract(tc.s, tc.name)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Extract(%q, %q) = %q, %v; want %q, %v", tc.s, tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// The headers that http.ParseCookie refuses whole for one malformed pair,
// which is why Extract does not use it: the session cookie among them is
// still found.
func TestExtractToleratesWhatParseCookieRefuses(t *testing.T) {
	for _, h := range []string{"a=1; junk; session=xyz", "a=ü; session=xyz", "other=1;; session=xyz"} {
		if _, err := http.ParseCookie(h); err == nil {
			t.Errorf("http.ParseCookie(%q) accepts it now: Extract could use it", h)
		}
		if v, ok := Extract(h, "session"); !ok || v != "xyz" {
			t.Errorf("Extract(%q) = %q, %v", h, v, ok)
		}
	}
}

func TestExtractAll(t *testing.T) {
	got := ExtractAll("session=a; x=1; session=b; session=; session=\"c\"", "session")
	if !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("%q", got)
	}
	if got := ExtractAll("x=1", "session"); got != nil {
		t.Errorf("%q", got)
	}
	if got := ExtractAll("session=a; Path=/", "session"); !slices.Equal(got, []string{"a"}) {
		t.Errorf("%q", got)
	}
}

// A cookie made by Options and a codec value survives every shape.
func TestExtractRoundTrip(t *testing.T) {
	c := codec(t, CodecOptions{SignKeys: ring(t, keyA), EncryptKeys: ring(t, keyB)})
	v := mustEncode(t, c, "sid", []byte("data"), t0)
	o := DefaultOptions()
	o.Name, o.Domain, o.MaxAge, o.Secure = "sid", "example.com", 3600e9, true
	ck, err := o.Cookie(v, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{ck.String(), "Set-Cookie: " + ck.String(), "sid=" + v, v, "a=1; sid=" + v + "; b=2"} {
		got, ok := Extract(s, "sid")
		if !ok || got != v {
			t.Fatalf("Extract(%q) = %q, %v", s, got, ok)
		}
		if p, _, err := c.Decode("sid", got, 0, t0); err != nil || string(p) != "data" {
			t.Fatalf("%q %v", p, err)
		}
	}
}
