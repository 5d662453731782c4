// Package bench holds gosess's comparative benchmarks: each Benchmark*
// function runs gosess and the library it is measured against (its
// "anchor": raw bigcache, gocache, singleflight, otter, scs, gorilla) as
// sub-benchmarks of the same function, named impl=<name>, so that one
// `go test -bench` run measures both side by side on the same machine.
//
// The package is its own Go module so that the anchors never enter the
// library's go.mod. `go run ./cmd/report` (from this directory) runs the
// benchmarks, summarises them with benchstat's statistics and writes
// REPORT.md and report.svg. The Test* functions only check that every
// benchmark's setup works, so `go test -race` stays fast.
package bench
