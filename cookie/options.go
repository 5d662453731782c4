package cookie

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Options are the attributes of the Set-Cookie header. The zero value is
// the recommended default, each field's stated once below: a host-only
// cookie named "session" for Path "/", HttpOnly, SameSite=Lax, dropped
// when the browser closes, and without Secure so that plain-HTTP
// development works (turn Secure on in production). So a literal that
// sets only what it changes (Options{Domain: "example.com", Secure:
// true}) keeps the safe defaults of the others.
type Options struct {
	// Name of the cookie. Empty means "session". It must be an HTTP token.
	Name string

	// Domain of the cookie. Empty (the default) means a host-only cookie,
	// sent back only to the host that set it.
	Domain string

	// Path of the cookie. Empty means "/".
	Path string

	// MaxAge is the cookie's lifetime in the browser. 0 (the default)
	// means a session cookie, dropped when the browser closes; > 0 sets
	// both Max-Age (rounded up to whole seconds) and Expires (for old
	// clients); negative is an error (use Expired to delete a cookie).
	MaxAge time.Duration

	// Secure sends the cookie over HTTPS only. Default false; required by
	// browsers for SameSite=None, Partitioned and __Secure-/__Host- names.
	Secure bool

	// ScriptReadable leaves out the HttpOnly attribute, so that page
	// scripts can read the cookie. Default false: the cookie is HttpOnly,
	// out of reach of scripts (and of cross-site scripting).
	ScriptReadable bool

	// SameSite restricts cross-site sending. 0 (the default) means
	// http.SameSiteLaxMode; http.SameSiteDefaultMode writes no attribute
	// (the browser's own default).
	SameSite http.SameSite

	// Partitioned asks for a partitioned cookie (CHIPS): one jar per
	// top-level site. Requires Secure. Default false.
	Partitioned bool
}

// DefaultOptions returns the defaults of the zero Options spelt out: Name
// "session", Path "/", SameSite=Lax (HttpOnly, host-only, a session
// cookie and no Secure are the zero values of their fields). It describes
// the same cookie as Options{}.
func DefaultOptions() Options {
	return Options{Name: DefaultName, Path: "/", SameSite: http.SameSiteLaxMode}
}

// DefaultName is the cookie name of an Options without a Name.
const DefaultName = "session"

// Effective returns o with its defaults filled in (Name, Path and
// SameSite as DefaultOptions gives them), describing the same cookie.
func (o Options) Effective() Options {
	o.Name, o.Path, o.SameSite = o.name(), o.path(), o.sameSite()
	return o
}

func (o Options) name() string {
	if o.Name == "" {
		return DefaultName
	}
	return o.Name
}

func (o Options) sameSite() http.SameSite {
	if o.SameSite == 0 {
		return http.SameSiteLaxMode
	}
	return o.SameSite
}

func (o Options) path() string {
	if o.Path == "" {
		return "/"
	}
	return o.Path
}

// base returns the cookie with every attribute but the value and lifetime.
func (o Options) base() *http.Cookie {
	return &http.Cookie{
		Name:        o.name(),
		Domain:      o.Domain,
		Path:        o.path(),
		Secure:      o.Secure,
		HttpOnly:    !o.ScriptReadable,
		SameSite:    o.sameSite(),
		Partitioned: o.Partitioned,
	}
}

// Cookie returns the *http.Cookie carrying value with every attribute of o;
// when MaxAge > 0, Expires is now+MaxAge (the zero now means time.Now()).
//
// It checks what net/http would otherwise drop silently (with only a log
// line) or what browsers would refuse: the error wraps ErrInvalidCookie for
// a value byte outside RFC 6265's cookie-octet, a bad name, path or domain,
// a negative MaxAge, an unknown SameSite, SameSite=None or Partitioned
// without Secure, or a __Secure-/__Host- name whose rules are not met; it
// wraps ErrTooLarge when the cookie's String() exceeds MaxCookieSize.
func (o Options) Cookie(value string, now time.Time) (*http.Cookie, error) {
	c := o.base()
	c.Value = value
	if err := o.check(c); err != nil {
		return nil, err
	}
	for i := 0; i < len(value); i++ {
		if !isCookieOctet(value[i]) {
			return nil, fmt.Errorf("%w: byte %q at %d of the value of %q is not allowed in a cookie", ErrInvalidCookie, value[i], i, c.Name)
		}
	}
	if o.MaxAge < 0 {
		return nil, fmt.Errorf("%w: negative MaxAge %v (use Options.Expired to delete a cookie)", ErrInvalidCookie, o.MaxAge)
	}
	if o.MaxAge > 0 {
		if now.IsZero() {
			now = time.Now()
		}
		secs := (o.MaxAge + time.Second - 1) / time.Second
		c.MaxAge = int(secs)
		c.Expires = now.Add(secs * time.Second)
	}
	if err := c.Valid(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCookie, err)
	}
	if n := len(c.String()); n > MaxCookieSize {
		return nil, fmt.Errorf("%w: cookie %q is %d bytes with its attributes, the limit is %d", ErrTooLarge, c.Name, n, MaxCookieSize)
	}
	return c, nil
}

// Expired returns a cookie that makes the browser delete the cookie named
// by o: an empty value, Max-Age=0 and an Expires in 1970, with o's Domain,
// Path, Secure, SameSite and Partitioned (browsers delete only the cookie
// that matches them).
func (o Options) Expired() *http.Cookie {
	c := o.base()
	c.MaxAge = -1
	c.Expires = time.Unix(0, 0).UTC()
	return c
}

// check applies the rules browsers enforce that http.Cookie.Valid does not.
func (o Options) check(c *http.Cookie) error {
	if !isToken(c.Name) {
		return fmt.Errorf("%w: name %q is not an HTTP token", ErrInvalidCookie, c.Name)
	}
	if c.SameSite < 0 || c.SameSite > http.SameSiteNoneMode {
		return fmt.Errorf("%w: unknown SameSite value %d", ErrInvalidCookie, c.SameSite)
	}
	if c.SameSite == http.SameSiteNoneMode && !c.Secure {
		return fmt.Errorf("%w: SameSite=None requires Secure", ErrInvalidCookie)
	}
	lower := strings.ToLower(c.Name)
	if strings.HasPrefix(lower, "__secure-") && !c.Secure {
		return fmt.Errorf("%w: a __Secure- cookie requires Secure", ErrInvalidCookie)
	}
	if strings.HasPrefix(lower, "__host-") && (!c.Secure || c.Domain != "" || c.Path != "/") {
		return fmt.Errorf("%w: a __Host- cookie requires Secure, no Domain and Path \"/\"", ErrInvalidCookie)
	}
	return nil
}

// isCookieOctet reports whether b may appear unquoted in a cookie value
// (RFC 6265 section 4.1.1: no controls, space, DQUOTE, comma, semicolon or
// backslash).
func isCookieOctet(b byte) bool {
	return b > 0x20 && b < 0x7f && b != '"' && b != ',' && b != ';' && b != '\\'
}

// isToken reports whether s is a non-empty RFC 7230 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b <= 0x20 || b >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, b) >= 0 {
			return false
		}
	}
	return true
}
