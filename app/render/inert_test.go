package render

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
)

var mentionRE = regexp.MustCompile(`(?:^|[^A-Za-z0-9_\x60])@([A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)?)`)

// checkInert parses md like GitHub (GFM) and fails on any link, image,
// autolink or raw HTML other than the App's own <sub> footer, on any table
// row that is not two cells, and on any @mention outside code not in allowed.
func checkInert(t *testing.T, name, md string, allowed []string) {
	t.Helper()
	for _, p := range inertProblems(md, allowed) {
		t.Errorf("%s: %s", name, p)
	}
}

func inertProblems(md string, allowed []string) []string {
	problems := tableLineProblems(md)
	src := []byte(md)
	doc := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader(src))
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[strings.ToLower(a)] = true
	}
	err := ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		if _, code := n.(*ast.CodeSpan); code || n.Kind() == ast.KindFencedCodeBlock || n.Kind() == ast.KindCodeBlock {
			return ast.WalkSkipChildren, nil
		}
		problems = append(problems, nodeProblems(n, src, ok)...)
		return ast.WalkContinue, nil
	})
	if err != nil {
		problems = append(problems, err.Error())
	}
	return problems
}

// tableLineProblems counts the unescaped '|' of each table line: GitHub
// splits a table row on every one, code spans included (GFM spec,
// tables), which goldmark does not model.
func tableLineProblems(md string) []string {
	var problems []string
	for line := range strings.Lines(md) {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		pipes := 0
		for i := 0; i < len(line); i++ {
			switch line[i] {
			case '\\':
				i++
			case '|':
				pipes++
			}
		}
		if pipes != 3 {
			problems = append(problems, fmt.Sprintf("table line with %d unescaped '|', want 3: %q", pipes, line))
		}
	}
	return problems
}

// nodeProblems is what one rendered node (outside code) must not be: a
// link or image, HTML other than <sub>, a table row of other than two
// cells, or text mentioning someone not in ok.
func nodeProblems(n ast.Node, src []byte, ok map[string]bool) []string {
	var problems []string
	switch n := n.(type) {
	case *ast.Link, *ast.Image, *ast.AutoLink:
		problems = append(problems, "renders a "+n.Kind().String())
	case *ast.HTMLBlock:
		problems = append(problems, "renders an HTML block")
	case *ast.RawHTML:
		var b strings.Builder
		for i := range n.Segments.Len() {
			seg := n.Segments.At(i)
			b.Write(seg.Value(src))
		}
		if h := b.String(); h != "<sub>" && h != "</sub>" {
			problems = append(problems, fmt.Sprintf("renders raw HTML %q", h))
		}
	case *extast.TableRow, *extast.TableHeader:
		if c := n.ChildCount(); c != 2 {
			problems = append(problems, fmt.Sprintf("a table row has %d cells, want 2", c))
		}
	case *ast.Text:
		for _, m := range mentionRE.FindAllStringSubmatch(string(n.Segment.Value(src)), -1) {
			if !ok["@"+strings.ToLower(m[1])] {
				problems = append(problems, "mentions @"+m[1])
			}
		}
	}
	return problems
}

// checkInert itself catches what issue 13 reported (and its relatives).
func TestCheckInertCatchesBreakouts(t *testing.T) {
	t.Parallel()
	for _, md := range []string{
		"| | |\n|---|---|\n| Shell | `bash | " + evilLink + "` |\n", // the reported cell break-out
		"see " + evilLink,
		"hi @everyone",
		"<img src=x>",
		"<details>\n\nx\n\n</details>",
	} {
		if len(inertProblems(md, nil)) == 0 {
			t.Errorf("checkInert passes %q", md)
		}
	}
}
