// Package docs holds the gosess user guide: the Markdown pages of this
// directory (start with README.md) and the tests that keep them true.
//
// Every ```go block of the guide is a verbatim slice of the body of an
// Example function that runs (it has an output comment) or of a Test
// function in this package; TestGuideCodeBlocksAreTested fails when a
// block is edited without its test, so the guide cannot drift away from
// the code. The configuration files shown in the guide (```toml and
// ```json blocks) are read back from the Markdown and loaded by the tests
// too. The package has no code of its own.
package docs
