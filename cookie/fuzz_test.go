package cookie

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Fixed keys and clock for the fuzz targets, so the committed seed corpus
// under testdata/fuzz/FuzzDecode holds valid values (made by
// TestFuzzSeedsValid's codecs with fuzzNow).
var (
	fuzzSign = bytes.Repeat([]byte("fuzz-sign-key-"), 3)
	fuzzEnc  = bytes.Repeat([]byte("fuzz-encryption-key-"), 2)
	fuzzNow  = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
)

func fuzzCodecs(t testing.TB) map[string]*Codec {
	return modes(t, ring(t, fuzzSign), ring(t, fuzzEnc))
}

// FuzzDecode feeds arbitrary values to every mode of Codec.Decode. Decode
// must not panic, must fail with one of the package's sentinels, and when
// it succeeds the value must be exactly what Encode makes of the payload
// (signed mode, deterministic) or decode again to the same payload.
func FuzzDecode(f *testing.F) {
	for _, c := range fuzzCodecs(f) {
		v, err := c.Encode("session", []byte(`{"uid":42}`), fuzzNow)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(v)
		f.Add(v[:len(v)-1])
		f.Add(`"` + v + `"`)
	}
	f.Add("")
	f.Add("=\n")
	codecs := fuzzCodecs(f)
	f.Fuzz(func(t *testing.T, value string) {
		for mode, c := range codecs {
			payload, issued, err := c.Decode("session", value, 0, fuzzNow)
			if err != nil {
				if payload != nil || !issued.IsZero() {
					t.Fatalf("%s: error %v with payload %q issued %v", mode, err, payload, issued)
				}
				if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrSignature) &&
					!errors.Is(err, ErrExpired) && !errors.Is(err, ErrDecrypt) {
					t.Fatalf("%s: error %v matches no sentinel", mode, err)
				}
				continue
			}
			if !c.Encrypted() {
				again, err := c.Encode("session", payload, issued)
				if err != nil {
					t.Fatalf("%s: re-encoding: %v", mode, err)
				}
				if unquote(value) != again {
					t.Fatalf("%s: %q accepted, but Encode makes %q", mode, value, again)
				}
			}
			p2, _, err := c.Decode("session", value, 0, fuzzNow)
			if err != nil || !bytes.Equal(p2, payload) {
				t.Fatalf("%s: second decode: %q, %v", mode, p2, err)
			}
		}
	})
}

// TestFuzzSeedsValid checks that the committed corpus still holds a valid
// value for each mode (a format change must regenerate it).
func TestFuzzSeedsValid(t *testing.T) {
	seeds := map[string]string{
		"signed":                "valid_signed",
		CipherAESGCM:            "valid_aes_gcm",
		CipherXChaCha20Poly1305: "valid_xchacha",
	}
	for mode, c := range fuzzCodecs(t) {
		v := readSeed(t, seeds[mode])
		p, _, err := c.Decode("session", v, 0, fuzzNow)
		if err != nil || string(p) != `{"uid":42}` {
			t.Errorf("%s seed: %q, %v", mode, p, err)
		}
	}
}

// FuzzExtract checks that Extract never panics and that what it returns is
// part of its input and never empty.
func FuzzExtract(f *testing.F) {
	for _, s := range []string{"a=1; session=xyz; b=2", "session=xyz; Path=/", "xyz", `"q"`, "Set-Cookie: session=1", "Cookie:"} {
		f.Add(s, "session")
	}
	f.Fuzz(func(t *testing.T, s, name string) {
		v, ok := Extract(s, name)
		if ok != (v != "") {
			t.Fatalf("Extract(%q, %q) = %q, %v", s, name, v, ok)
		}
		if ok && !bytesContains(s, v) {
			t.Fatalf("Extract(%q, %q) = %q, not in the input", s, name, v)
		}
		all := ExtractAll(s, name)
		if ok != (len(all) > 0) || (ok && all[0] != v) {
			t.Fatalf("ExtractAll(%q, %q) = %q, Extract %q", s, name, all, v)
		}
	})
}

func bytesContains(s, sub string) bool { return bytes.Contains([]byte(s), []byte(sub)) }

// readSeed returns the string of a `go test fuzz v1` corpus file.
func readSeed(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzDecode", file))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" {
		t.Fatalf("%s: not a fuzz corpus file", file)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return s
}
