package lifecycle

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestParseCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body   string
		want   Command
		wantOK bool
	}{
		{"/stepgate approve", Command{Verb: "approve"}, true},
		{"  /stepgate approve sg_abc234 remember\n", Command{Verb: "approve", ID: "sg_abc234", Remember: true}, true},
		{"/stepgate approve remember", Command{Verb: "approve", Remember: true}, true},
		{"LGTM\n\n/stepgate reject sg_abc too risky today", Command{Verb: "reject", ID: "sg_abc", Reason: "too risky today"}, true},
		{"LGTM\n/stepgate reject sg_abc too risky today", Command{}, false}, // not alone in its paragraph
		{"/stepgate reject not now", Command{Verb: "reject", Reason: "not now"}, true},
		{"/stepgate freeze incident 42", Command{Verb: "freeze", Reason: "incident 42"}, true},
		{"/stepgate unfreeze", Command{Verb: "unfreeze"}, true},
		{"/stepgate status", Command{Verb: "status"}, true},
		{"/stepgate STATUS sg_xyz", Command{Verb: "status", ID: "sg_xyz"}, true},
		{"> /stepgate approve", Command{}, false},
		{"please /stepgate approve", Command{}, false},
		{"/stepgateapprove", Command{}, false},
		{"/stepgate", Command{}, false},
		{"/stepgate dance", Command{}, false},
		{"```\n/stepgate approve\n```", Command{}, false},
		{"```\ncode\n```\n/stepgate approve", Command{Verb: "approve"}, true},
		{"Looks fine.\n\n/stepgate approve\n\nThanks", Command{Verb: "approve"}, true},
		{"\t/stepgate approve", Command{}, false}, // a tab indents: code block
		{"/stepgate approve sg_NOT-AN-ID", Command{Verb: "approve"}, true},
	}
	for _, tt := range tests {
		got, ok := ParseCommand(tt.body)
		if ok != tt.wantOK {
			t.Errorf("ParseCommand(%q) ok = %v, want %v", tt.body, ok, tt.wantOK)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseCommand(%q) (-want +got):\n%s", tt.body, diff)
		}
	}
}

// Issue 13: a command counts only where a reader sees it as a command of
// its own. Every placement below renders as code, a quote, a list, a
// heading, HTML or nothing at all.
func TestParseCommandIgnoresHostilePlacements(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		"    /stepgate approve sg_abc",                      // indented code block
		"Text\n\n    /stepgate approve sg_abc",              // indented code after a paragraph
		"```\n/stepgate approve sg_abc\n```",                // fenced code
		"~~~sh\n/stepgate approve sg_abc\n~~~",              // tilde fence
		"```\n/stepgate approve sg_abc",                     // unclosed fence runs to the end
		"<!-- /stepgate approve sg_abc -->",                 // HTML comment
		"<!--\n/stepgate approve sg_abc\n-->",               // multi-line HTML comment
		"LGTM <!--\n/stepgate approve sg_abc\n-->",          // inline HTML comment
		"<details>\n\n/stepgate approve sg_abc\n</details>", // HTML block
		"<div hidden>\n/stepgate approve sg_abc\n</div>",    // hidden HTML
		"> /stepgate approve sg_abc",                        // block quote
		">\n> /stepgate approve sg_abc",                     // block quote, own line
		"- /stepgate approve sg_abc",                        // list item
		"1. /stepgate approve sg_abc",                       // ordered list
		"# /stepgate approve sg_abc",                        // heading
		"/stepgate approve sg_abc\n---",                     // setext heading
		"`/stepgate approve sg_abc`",                        // code span
		"**/stepgate approve sg_abc**",                      // emphasis
		"[/stepgate approve sg_abc](https://evil.example)",  // link text
		"\\/stepgate approve sg_abc",                        // escaped
		"&#47;stepgate approve sg_abc",                      // entity
		"LGTM\n/stepgate approve sg_abc",                    // same paragraph as prose
		"/stepgate approve sg_abc\nand more words",          // same paragraph as prose
		"| a |\n|---|\n| /stepgate approve sg_abc |",        // table cell
		"[x]: /stepgate approve sg_abc",                     // link reference definition
		"<span>/stepgate approve sg_abc</span>",             // inline HTML
	} {
		if c, ok := ParseCommand(body); ok {
			t.Errorf("ParseCommand(%q) = %+v, want no command", body, c)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"/stepgate approve", "/stepgate reject sg_abc no", "/stepgate freeze x", "```\n/stepgate approve", "> /stepgate status"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		c, ok := ParseCommand(body)
		if !ok {
			if c != (Command{}) {
				t.Fatalf("no command but %+v", c)
			}
			return
		}
		switch c.Verb {
		case verbApprove, verbReject, verbFreeze, verbUnfreeze, verbStatus:
		default:
			t.Fatalf("unknown verb %q", c.Verb)
		}
		if c.ID != "" && !requestIDRE.MatchString(c.ID) {
			t.Fatalf("bad id %q", c.ID)
		}
		if c.Remember && c.Verb != verbApprove {
			t.Fatalf("remember on %q", c.Verb)
		}
		if utf8.RuneCountInString(c.Reason) > maxReason || strings.Contains(c.Reason, "\n") {
			t.Fatalf("reason not bounded to one line: %q", c.Reason)
		}
		if !strings.Contains(body, "/stepgate") {
			t.Fatalf("command from a body without /stepgate")
		}
	})
}

func TestParseCommandInsideHTMLElements(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		body string
		ok   bool
	}{
		{"<details>\n\n/stepgate approve sg_abc\n\n</details>", false},
		{"<details><summary>x</summary>\n\n/stepgate approve sg_abc\n", false}, // never closed
		{"<div hidden>\n\n/stepgate approve sg_abc\n\n</div>", false},
		{"<details>\nold\n</details>\n\n/stepgate approve sg_abc", true},
		{"<!-- template -->\n\n/stepgate approve sg_abc", true},
		{"a<br>b\n\n/stepgate approve sg_abc", true},
	} {
		if _, ok := ParseCommand(tt.body); ok != tt.ok {
			t.Errorf("ParseCommand(%q) ok = %v, want %v", tt.body, ok, tt.ok)
		}
	}
}

func TestParseCommandUnclosedHTMLComment(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		"<!--\n\n/stepgate approve sg_abc",
		"ok\n\n<!-- hidden\n\n/stepgate approve sg_abc\n\nstill hidden",
		"/stepgate approve sg_abc\r\n<!-- x -->", // CRLF: the command's paragraph ends before the HTML block
	} {
		c, ok := ParseCommand(body)
		want := strings.HasPrefix(body, "/stepgate")
		if ok != want {
			t.Errorf("ParseCommand(%q) = %+v %v, want ok=%v", body, c, ok, want)
		}
	}
}
