// Package e2e tests the gosess demo end to end, as a user sees it: the
// gosess command built and run as its own process, driven by Debian's
// chromium (headless) through chromedp. It is a module of its own, as
// bench/ is, so that chromedp never enters the library's go.mod.
//
//	cd e2e && go test ./...
//
// The test skips with a message when chromium is not installed, and fails
// instead under CI=true (scripts/test.sh installs it with apt).
package e2e
