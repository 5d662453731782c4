package docs_test

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// fence is one fenced code block of a Markdown page.
type fence struct {
	page string // file name
	line int    // line of the opening fence, 1-based
	lang string // info string ("go", "toml", ...)
	text string
}

// fences returns the fenced code blocks of the Markdown page at path.
// Fences are lines starting with ``` (after indentation); a block ends at
// the next such line.
func fences(t testing.TB, path string) []fence {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		out  []fence
		cur  *fence
		body []string
	)
	for i, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if !strings.HasPrefix(trimmed, "```") {
			if cur != nil {
				body = append(body, line)
			}
			continue
		}
		if cur == nil {
			cur = &fence{page: filepath.Base(path), line: i + 1, lang: strings.TrimSpace(strings.TrimPrefix(trimmed, "```"))}
			body = nil
			continue
		}
		cur.text = strings.Join(body, "\n")
		out = append(out, *cur)
		cur = nil
	}
	if cur != nil {
		t.Fatalf("%s:%d: code block never closed", path, cur.line)
	}
	return out
}

// pageBlocks returns the blocks of language lang on one page.
func pageBlocks(t testing.TB, page, lang string) []fence {
	t.Helper()
	var out []fence
	for _, f := range fences(t, page) {
		if f.lang == lang {
			out = append(out, f)
		}
	}
	return out
}

// normalize makes code comparable whatever its indentation and alignment:
// every run of white space becomes one space, and blank lines go.
func normalize(code string) string {
	var lines []string
	for _, l := range strings.Split(code, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			lines = append(lines, strings.Join(f, " "))
		}
	}
	return strings.Join(lines, "\n")
}

// testedCode returns, normalized, the source text that runs under go
// test in this package: the bodies of Test functions and of Example
// functions that have an output comment (examples without one are only
// compiled), and the import declarations of the test files (so that a
// page may show the imports its examples use).
func testedCode(t *testing.T) (bodies []string, names []string) {
	t.Helper()
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		runs := map[string]bool{}
		for _, ex := range doc.Examples(f) {
			runs["Example"+ex.Name] = ex.Output != "" || ex.EmptyOutput
		}
		slice := func(n ast.Node) string {
			return string(src[fset.Position(n.Pos()).Offset:fset.Position(n.End()).Offset])
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				n := d.Name.Name
				tested := strings.HasPrefix(n, "Test") && n != "TestMain" && n != "TestGuideCodeBlocksAreTested"
				if strings.HasPrefix(n, "Example") {
					tested = runs[n]
				}
				if tested && d.Body != nil {
					bodies = append(bodies, normalize(slice(d.Body)))
					names = append(names, name+":"+n)
				}
			case *ast.GenDecl:
				if d.Tok == token.IMPORT {
					bodies = append(bodies, normalize(slice(d)))
					names = append(names, name+":imports")
				}
			}
		}
	}
	return bodies, names
}

// TestGuideCodeBlocksAreTested fails for any ```go block of the guide
// that is not, up to white space, a slice of a test that runs: so no code
// in the guide can rot without a failing test.
func TestGuideCodeBlocksAreTested(t *testing.T) {
	pages, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) < 8 {
		t.Fatalf("found %d pages, want the whole guide", len(pages))
	}
	bodies, names := testedCode(t)
	total := 0
	for _, page := range pages {
		for _, b := range fences(t, page) {
			if b.lang != "go" {
				continue
			}
			total++
			want := normalize(b.text)
			if want == "" {
				t.Errorf("%s:%d: empty go block", b.page, b.line)
				continue
			}
			found := false
			for _, body := range bodies {
				if strings.Contains(body, want) {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("%s:%d: this go block is not part of any test that runs (bodies of Test functions, or Example functions with an output comment, in docs/*_test.go):\n%s", b.page, b.line, b.text)
			}
		}
	}
	if total == 0 {
		t.Fatal("no go blocks found")
	}
	t.Logf("%d go blocks checked against %d test bodies", total, len(names))
}

// TestGuideLinks checks that relative links between pages of the guide
// (and to files of the repository) point at files that exist, and that
// links to a heading (#anchor) name a heading of the target page.
func TestGuideLinks(t *testing.T) {
	pages, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`\]\(([^)#\s]*)(?:#([^)\s]*))?\)`)
	code := regexp.MustCompile("`[^`\n]*`")
	for _, page := range pages {
		for _, line := range proseLines(t, page) {
			for _, m := range link.FindAllStringSubmatch(code.ReplaceAllString(line, ""), -1) {
				target, anchor := m[1], m[2]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				if target == "" {
					target = page
				}
				path := filepath.Join(filepath.Dir(page), target)
				if _, err := os.Stat(path); err != nil {
					t.Errorf("%s: broken link %q: %v", page, m[0], err)
					continue
				}
				if anchor != "" && strings.HasSuffix(path, ".md") && !anchors(t, path)[anchor] {
					t.Errorf("%s: link %q: %s has no heading with anchor #%s", page, m[0], target, anchor)
				}
			}
		}
	}
}

// proseLines returns the lines of a page outside fenced code blocks.
func proseLines(t testing.TB, page string) []string {
	t.Helper()
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	in := false
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			in = !in
			continue
		}
		if !in {
			out = append(out, l)
		}
	}
	return out
}

// anchors returns the anchors GitHub makes for the headings of a page:
// lower case, punctuation other than '-' and '_' dropped, spaces as '-'.
func anchors(t testing.TB, page string) map[string]bool {
	out := map[string]bool{}
	for _, l := range proseLines(t, page) {
		if !strings.HasPrefix(l, "#") {
			continue
		}
		h := strings.TrimSpace(strings.TrimLeft(l, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(h) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		out[b.String()] = true
	}
	return out
}

// TestGuideMermaidDiagrams checks that the dogpile page has its diagrams.
func TestGuideMermaidDiagrams(t *testing.T) {
	n := len(pageBlocks(t, "dogpile-lock.md", "mermaid"))
	if n < 4 {
		t.Fatalf("dogpile-lock.md has %d mermaid diagrams, want at least 4", n)
	}
	for _, b := range pageBlocks(t, "dogpile-lock.md", "mermaid") {
		if !strings.HasPrefix(strings.TrimSpace(b.text), "sequenceDiagram") {
			t.Errorf("%s:%d: mermaid block is not a sequenceDiagram", b.page, b.line)
		}
	}
}
