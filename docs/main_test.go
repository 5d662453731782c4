package docs_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test or example leaves a goroutine
// running: every region, server and client the guide starts is closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
