package docs_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// layoutPaths returns the directories that the layout block of the
// README ("How the code is laid out") names: each line's names up to the
// description, a name indented under another being inside it.
func layoutPaths(t *testing.T) []string {
	t.Helper()
	var block *fence
	for _, f := range fences(t, "../README.md") {
		if f.lang == "text" && strings.Contains(f.text, "region/") && strings.Contains(f.text, "session/") {
			block = &f
			break
		}
	}
	if block == nil {
		t.Fatal("README.md has no layout block")
	}
	var parents []string // parents[d] is the directory at depth d
	var out []string
	for _, line := range strings.Split(block.text, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		names, _, _ := strings.Cut(trimmed, "  ") // the description follows two spaces or more
		if !strings.HasSuffix(strings.Fields(names + " x")[0], "/") {
			continue // a description carried over to the next line
		}
		depth := (len(line) - len(trimmed)) / 2
		parents = parents[:min(depth, len(parents))]
		prefix := strings.Join(parents, "")
		for _, n := range strings.Fields(names) {
			out = append(out, prefix+n)
		}
		if f := strings.Fields(names); len(f) == 1 {
			parents = append(parents, f[0])
		}
	}
	return out
}

// TestLayoutMatchesTheTree checks the README's layout against the tree:
// every directory it names exists, and every package of the two layers
// (region/, session/ and backends/, with their subpackages) is named.
func TestLayoutMatchesTheTree(t *testing.T) {
	named := map[string]bool{}
	for _, p := range layoutPaths(t) {
		named[strings.TrimSuffix(p, "/")] = true
		if fi, err := os.Stat(filepath.Join("..", p)); err != nil || !fi.IsDir() {
			t.Errorf("README layout names %s, which is not a directory of the tree", p)
		}
	}
	for _, layer := range []string{"region", "session", "backends"} {
		filepath.WalkDir(filepath.Join("..", layer), func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			goFiles, _ := filepath.Glob(filepath.Join(path, "*.go"))
			rel, _ := filepath.Rel("..", path)
			if len(goFiles) > 0 && !named[filepath.ToSlash(rel)] {
				t.Errorf("package %s is not in the README's layout", rel)
			}
			return nil
		})
	}
	if len(named) < 20 {
		t.Errorf("read %d directories from the layout: %v", len(named), named)
	}
}
