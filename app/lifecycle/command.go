package lifecycle

import (
	"regexp"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// Comment command verbs.
const (
	verbApprove  = "approve"
	verbReject   = "reject"
	verbFreeze   = "freeze"
	verbUnfreeze = "unfreeze"
	verbStatus   = "status"
)

// Command is a `/stepgate …` comment command.
type Command struct {
	Verb     string // approve, reject, freeze, unfreeze, status
	ID       string // request id, "" when the comment names none
	Remember bool   // "approve … remember"
	Reason   string // reject or freeze reason
}

var requestIDRE = regexp.MustCompile(`^sg_[a-z2-7]{1,64}$`)

// maxReason bounds a reason taken from a comment.
const maxReason = 500

// ParseCommand finds the first stepgate command in a comment. The comment
// is parsed as CommonMark (goldmark), the way GitHub renders it, and a
// command counts only as text standing alone in a top-level paragraph: the
// paragraph is one line, plain text (no code span, link, emphasis or inline
// HTML), starting with "/stepgate" (security invariant 11). Commands in
// fenced or indented code, block quotes, lists, headings, HTML blocks or
// HTML comments (invisible once rendered) never count, nor does a command
// on the same paragraph as prose ("LGTM\n/stepgate approve": put it in its
// own paragraph).
func ParseCommand(body string) (Command, bool) {
	if !strings.Contains(body, "/stepgate") {
		return Command{}, false // most comments: spare the parse
	}
	src := []byte(body)
	doc := goldmark.DefaultParser().Parse(text.NewReader(src))
	depth := 0 // HTML elements open around this block (<details>, <div hidden>)
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		p, ok := n.(*ast.Paragraph)
		if !ok {
			if h, ok := n.(*ast.HTMLBlock); ok {
				depth = htmlDepth(depth, blockText(h, src))
			}
			continue
		}
		for c := p.FirstChild(); c != nil; c = c.NextSibling() {
			if r, ok := c.(*ast.RawHTML); ok {
				var b strings.Builder
				for i := range r.Segments.Len() {
					seg := r.Segments.At(i)
					b.Write(seg.Value(src))
				}
				depth = htmlDepth(depth, b.String())
			}
		}
		if depth > 0 || p.Lines().Len() != 1 || !textOnly(p) {
			continue
		}
		seg := p.Lines().At(0)
		if c, ok := parseLine(strings.TrimSpace(string(seg.Value(src)))); ok {
			return c, true
		}
	}
	return Command{}, false
}

func blockText(n ast.Node, src []byte) string {
	var b strings.Builder
	for i := range n.Lines().Len() {
		seg := n.Lines().At(i)
		b.Write(seg.Value(src))
	}
	if h, ok := n.(*ast.HTMLBlock); ok && h.HasClosure() {
		b.Write(h.ClosureLine.Value(src))
	}
	return b.String()
}

var (
	htmlCommentRE = regexp.MustCompile(`(?s)<!--.*?(?:-->|$)`)
	htmlTagRE     = regexp.MustCompile(`<(/?)([A-Za-z][A-Za-z0-9-]*)\b[^>]*?(/?)>`)
	voidElements  = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true, "input": true, "link": true, "meta": true, "param": true, "source": true, "track": true, "wbr": true}
)

// htmlDepth follows how many HTML elements are open after html, so text
// rendered inside <details> or <div hidden> does not count as a command.
func htmlDepth(depth int, html string) int {
	html = htmlCommentRE.ReplaceAllString(html, "")
	for _, m := range htmlTagRE.FindAllStringSubmatch(html, -1) {
		switch name := strings.ToLower(m[2]); {
		case voidElements[name] || m[3] == "/":
		case m[1] == "/":
			depth = max(0, depth-1)
		default:
			depth++
		}
	}
	return depth
}

// textOnly reports whether a paragraph holds nothing but text.
func textOnly(p *ast.Paragraph) bool {
	for c := p.FirstChild(); c != nil; c = c.NextSibling() {
		if _, ok := c.(*ast.Text); !ok {
			return false
		}
	}
	return true
}

func parseLine(t string) (Command, bool) {
	rest, ok := strings.CutPrefix(t, "/stepgate")
	if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\t') {
		return Command{}, false
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return Command{}, false
	}
	c := Command{Verb: strings.ToLower(f[0])}
	args := f[1:]
	if c.Verb == verbApprove || c.Verb == verbReject || c.Verb == verbStatus {
		if len(args) > 0 && requestIDRE.MatchString(strings.ToLower(args[0])) {
			c.ID, args = strings.ToLower(args[0]), args[1:]
		}
	}
	switch c.Verb {
	case verbApprove:
		for _, a := range args {
			if strings.EqualFold(a, "remember") {
				c.Remember = true
			}
		}
	case verbReject, verbFreeze:
		c.Reason = truncate(strings.Join(args, " "), maxReason)
	case verbUnfreeze, verbStatus:
	default:
		return Command{}, false
	}
	return c, true
}

// IsRequestID reports whether id has the form of a request id (the check
// runs the App opens carry one as their external id).
func IsRequestID(id string) bool { return requestIDRE.MatchString(id) }
