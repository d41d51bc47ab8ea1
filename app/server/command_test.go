package server

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
		{"LGTM\n/stepgate reject sg_abc too risky today", Command{Verb: "reject", ID: "sg_abc", Reason: "too risky today"}, true},
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
