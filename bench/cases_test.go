package bench

import (
	"fmt"
	"testing"
)

// opCase is one side of a comparison: setup builds what the side needs
// (registering its cleanup on tb) and returns the operation measured; op
// gets the iteration number so that it can spread over keys.
type opCase struct {
	impl  string
	setup func(tb testing.TB) func(i int) error
}

// runCases runs each case as the sub-benchmark impl=<impl>.
func runCases(b *testing.B, cases []opCase) {
	for _, c := range cases {
		b.Run("impl="+c.impl, func(b *testing.B) {
			op := c.setup(b)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := op(i); err != nil {
					b.Fatalf("%s: %v", c.impl, err)
				}
				i++
			}
		})
	}
}

// checkCases runs each case's setup and a few operations: the quick check
// `go test` does for every benchmark.
func checkCases(t *testing.T, cases []opCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.impl, func(t *testing.T) {
			op := c.setup(t)
			for i := range 3 {
				if err := op(i); err != nil {
					t.Fatalf("%s op %d: %v", c.impl, i, err)
				}
			}
		})
	}
}

// checkGroups runs checkCases on each named group.
func checkGroups(t *testing.T, groups map[string][]opCase) {
	t.Helper()
	for name, cases := range groups {
		t.Run(name, func(t *testing.T) { checkCases(t, cases) })
	}
}

// keyCount is how many keys the hit-path benchmarks cycle through, so that
// one hot key in a CPU cache does not flatter either side.
const keyCount = 1024

func benchKeys(prefix string) []string {
	keys := make([]string, keyCount)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s:%06d", prefix, i)
	}
	return keys
}

// payload returns n deterministic bytes.
func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}
