package cookie

import "strings"

// Extract finds the value of the cookie called name in s, which may be
//
//   - a Set-Cookie line ("session=xyz; Path=/; HttpOnly"), optionally with
//     its "Set-Cookie:" header name: only the leading name=value counts;
//   - a single "name=value";
//   - a bare value ("xyz": no '=' and no ';');
//   - a whole Cookie request header ("a=1; session=xyz; b=2"), optionally
//     with its "Cookie:" header name.
//
// s is taken for a Set-Cookie line when it starts with "Set-Cookie:" or when
// a part after the first is a Set-Cookie attribute (Path, Domain, Expires,
// Max-Age, Secure, HttpOnly, SameSite, Partitioned, Priority, in any case).
// Names match exactly (cookie names are case-sensitive); white space around
// pairs and one pair of double quotes around the value are removed. ok is
// false when the cookie is absent or its value is empty (an empty value is
// what a deleted cookie carries). When a Cookie header holds the name more
// than once, Extract returns the first, which browsers send for the most
// specific path; ExtractAll returns every one.
//
// Extract is more lenient than http.ParseCookie on purpose: ParseCookie
// refuses a whole Cookie header for one malformed pair (a name without
// "=", a value with a space or a non-ASCII byte), and such pairs come from
// other applications of the same site; the session cookie must still be
// found among them. Values are checked by the codec that verifies them.
func Extract(s, name string) (value string, ok bool) {
	scan(s, name, func(v string) bool {
		value, ok = v, true
		return false
	})
	return value, ok
}

// ExtractAll is Extract returning every non-empty value of the cookie called
// name, in order. A Cookie header may carry several cookies of one name
// (different paths, or one planted by a sibling subdomain), so a caller that
// verifies values should try each rather than trust the first.
func ExtractAll(s, name string) []string {
	var out []string
	scan(s, name, func(v string) bool {
		out = append(out, v)
		return true
	})
	return out
}

// setCookieAttrs are the attribute names of a Set-Cookie line, lower case.
var setCookieAttrs = map[string]bool{
	"expires": true, "max-age": true, "domain": true, "path": true,
	"secure": true, "httponly": true, "samesite": true, "partitioned": true,
	"priority": true,
}

// scan calls yield with each matching value until it returns false.
func scan(s, name string, yield func(string) bool) {
	s = strings.TrimSpace(s)
	setCookie := false
	if rest, found := cutPrefixFold(s, "set-cookie:"); found {
		s, setCookie = strings.TrimSpace(rest), true
	} else if rest, found := cutPrefixFold(s, "cookie:"); found {
		s = strings.TrimSpace(rest)
	}
	if s == "" {
		return
	}
	if !setCookie && strings.IndexByte(s, '=') < 0 && strings.IndexByte(s, ';') < 0 {
		if v := unquote(s); v != "" {
			yield(v)
		}
		return
	}
	first, rest, _ := strings.Cut(s, ";")
	if !setCookie {
		// A Set-Cookie line is recognised by its attributes; then only its
		// leading pair is a cookie ("Path=/x" is not a cookie named Path).
		for part := range strings.SplitSeq(rest, ";") {
			attr, _, _ := strings.Cut(part, "=")
			if setCookieAttrs[strings.ToLower(strings.TrimSpace(attr))] {
				setCookie = true
				break
			}
		}
	}
	if setCookie {
		if k, v, found := strings.Cut(first, "="); found && strings.TrimSpace(k) == name {
			if v = unquote(v); v != "" {
				yield(v)
			}
		}
		return
	}
	for part := range strings.SplitSeq(s, ";") {
		k, v, found := strings.Cut(part, "=")
		if !found || strings.TrimSpace(k) != name {
			continue
		}
		if v = unquote(v); v != "" && !yield(v) {
			return
		}
	}
}

// unquote trims white space and one pair of surrounding double quotes.
func unquote(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	return v
}

// cutPrefixFold is strings.CutPrefix ignoring ASCII case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
