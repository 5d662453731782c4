package session_test

import (
	"strings"
	"testing"

	"github.com/gosess/gosess/session"
)

// ValidID accepts exactly the ids every backend can store: up to
// MaxIDLength characters, which is what the longest session_id_length
// (128 bytes) gives.
func TestValidIDBoundary(t *testing.T) {
	if !session.ValidID(strings.Repeat("a", session.MaxIDLength)) {
		t.Errorf("an id of MaxIDLength (%d) characters is refused", session.MaxIDLength)
	}
	if session.ValidID(strings.Repeat("a", session.MaxIDLength+1)) {
		t.Errorf("an id of %d characters is accepted", session.MaxIDLength+1)
	}
	// A 256-character id was accepted before, and the file backend
	// cannot name a file after it (NAME_MAX is 255 bytes).
	if session.ValidID(strings.Repeat("a", 256)) {
		t.Error("a 256-character id is accepted")
	}
}

// The longest ids the Maker makes are valid and stored by every backend.
func TestLongestIDsOnEveryBackend(t *testing.T) {
	forEachBackendWithServers(t, func(t *testing.T, bc backendCase) {
		m := newMaker(t, bc, session.Settings{"session_id_length": 128})
		s, c := saveNew(t, m, "k", "v")
		if len(s.ID()) != session.MaxIDLength || !session.ValidID(s.ID()) {
			t.Fatalf("id of %d characters, valid %v", len(s.ID()), session.ValidID(s.ID()))
		}
		if back := load(t, m, c); back.IsNew() || mustGet(t, back, "k") != "v" {
			t.Error("a session with the longest id does not load")
		}
	})
}
