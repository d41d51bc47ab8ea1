package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stepgate/stepgate/gate/risk"
)

func TestParseTestdata(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Parse(f, data); err != nil {
				t.Errorf("Parse: %v", err)
			}
		})
	}
}

func mustParse(t *testing.T, src string) *Policy {
	t.Helper()
	p, err := Parse("stepgate.yml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func TestParseExample(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/example.yml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse("example.yml", data)
	if err != nil {
		t.Fatal(err)
	}
	wantDefaults := Defaults{Timeout: 30 * time.Minute, Learn: &Learn{After: 3, MaxRisk: risk.LevelLow, TTL: 30 * 24 * time.Hour}}
	if diff := cmp.Diff(wantDefaults, p.Defaults); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	type row struct {
		Name     string
		Line     int
		Then     Decision
		Require  string
		Remember time.Duration
		Timeout  time.Duration
	}
	var got []row
	for _, r := range p.Rules {
		got = append(got, row{r.Name, r.Line, r.Then, r.Require.String(), r.Remember, r.Timeout})
	}
	want := []row{
		{"read-only", 5, Allow, "nothing", 0, 0},
		{"never", 8, Deny, "nothing", 0, 0},
		{"prod-db", 11, Require, "all of: (team acme/dba) and (an owner of db/migrations/)", 24 * time.Hour, time.Hour},
		{"default", 19, Require, "any of: (2 approvals from users with maintain or higher) or (alice)", 0, 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
}

func TestParseLearnAndSelfApproval(t *testing.T) {
	t.Parallel()
	p := mustParse(t, `
version: 1
defaults: {self_approval: true, learn: {after: 2}}
rules:
  - name: a
    if: {environment: x}
    require: {team: o/t}
    learn: false
  - name: b
    if: {environment: y}
    require: {team: o/t}
    self_approval: false
    learn: {ttl: 1d12h, max_risk: medium}
  - name: c
    require: {team: o/t}
`)
	type row struct {
		Learn        *Learn
		SelfApproval bool
	}
	var got []row
	for _, env := range []string{"x", "y", "z"} {
		m := p.Evaluate(Facts{Environment: env})
		got = append(got, row{m.Learn, m.SelfApproval})
	}
	want := []row{
		{nil, true},
		{&Learn{After: 3, MaxRisk: risk.LevelMedium, TTL: 36 * time.Hour}, false},
		{&Learn{After: 2, MaxRisk: risk.LevelLow, TTL: 30 * 24 * time.Hour}, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Every invalid policy must name the line and field of the problem.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	const head = "version: 1\nrules:\n"
	tests := []struct {
		name      string
		src       string
		wantLine  int
		wantField string
		wantMsg   string
	}{
		{"typo in leaf", head + "  - name: a\n    require:\n      all_of:\n        - teem: acme/dba\n", 6, "rules[0].require.all_of[0].teem", `did you mean "team"`},
		{"unknown top field", "version: 1\nrulez: []\n", 2, "rulez", `did you mean "rules"`},
		{"version 2", "version: 2\nrules: []\n", 1, "version", "unsupported version 2"},
		{"version string", "version: one\nrules: []\n", 1, "version", "expected a whole number"},
		{"missing version", "rules: []\n", 1, "version", "required"},
		{"missing rules", "version: 1\n", 1, "rules", "required"},
		{"rules not a list", "version: 1\nrules: {}\n", 2, "rules", "expected a list"},
		{"empty name", head + "  - name: \"\"\n    then: allow\n", 3, "rules[0].name", "must not be empty"},
		{"missing name", head + "  - then: allow\n", 3, "rules[0].name", "required"},
		{"duplicate names", head + "  - name: a\n    if: {actor: x}\n    then: allow\n  - name: a\n    then: deny\n", 6, "rules[1].name", `duplicate rule name "a" (first at line 3)`},
		{"unknown decision", head + "  - name: a\n    then: maybe\n", 4, "rules[0].then", "unknown decision"},
		{"no then", head + "  - name: a\n", 3, "rules[0].then", "required"},
		{"then require without require", head + "  - name: a\n    then: require\n", 4, "rules[0].then", "needs a `require:`"},
		{"allow with require", head + "  - name: a\n    then: allow\n    require: {team: a/b}\n", 5, "rules[0].require", "cannot have a require"},
		{"unknown role", head + "  - name: a\n    require: {role: owner}\n", 4, "rules[0].require.role", "unknown role"},
		{"count zero", head + "  - name: a\n    require: {role: write, count: 0}\n", 4, "rules[0].require.count", "must be from 1"},
		{"count string", head + "  - name: a\n    require: {role: write, count: two}\n", 4, "rules[0].require.count", "expected a whole number"},
		{"count over users", head + "  - name: a\n    require:\n      users: [a, b]\n      count: 3\n", 6, "rules[0].require.count", "more than the 2 users"},
		{"count on node", head + "  - name: a\n    require:\n      any_of: [{team: a/b}]\n      count: 2\n", 6, "rules[0].require.count", "not to any_of"},
		{"two kinds", head + "  - name: a\n    require:\n      team: a/b\n      role: admin\n", 6, "rules[0].require", "one requirement per entry"},
		{"empty requirement", head + "  - name: a\n    require: {}\n", 4, "rules[0].require", "empty requirement"},
		{"empty all_of", head + "  - name: a\n    require: {all_of: []}\n", 4, "rules[0].require.all_of", "non-empty list"},
		{"bad team", head + "  - name: a\n    require: {team: dba}\n", 4, "rules[0].require.team", "org/team-slug"},
		{"bad duration", head + "  - name: a\n    require: {team: a/b}\n    remember: 5 minutes\n", 5, "rules[0].remember", "invalid duration"},
		{"duration without unit", "version: 1\ndefaults:\n  timeout: 30\nrules: []\n", 3, "defaults.timeout", "invalid duration"},
		{"negative duration", head + "  - name: a\n    require: {team: a/b}\n    timeout: -5m\n", 5, "rules[0].timeout", "out of range"},
		{"bad risk", head + "  - name: a\n    if: {risk: extreme}\n    then: deny\n", 4, "rules[0].if.risk", "unknown risk level"},
		{"bad max_risk", "version: 1\ndefaults:\n  learn: {max_risk: huge}\nrules: []\n", 3, "defaults.learn.max_risk", "unknown risk level"},
		{"learn after zero", "version: 1\ndefaults:\n  learn:\n    after: 0\nrules: []\n", 4, "defaults.learn.after", "must be from 1"},
		{"learn true", "version: 1\ndefaults:\n  learn: true\nrules: []\n", 3, "defaults.learn", "use a mapping"},
		{"self_approval string", "version: 1\ndefaults:\n  self_approval: \"yes\"\nrules: []\n", 3, "defaults.self_approval", "expected true or false"},
		{"bad glob", head + "  - name: a\n    if: {command: \"ls [a-\"}\n    then: allow\n", 4, "rules[0].if.command", "unterminated character class"},
		{"empty glob", head + "  - name: a\n    if: {command: [\"\"]}\n    then: allow\n", 4, "rules[0].if.command[0]", "must not be empty"},
		{"bad timezone", head + "  - name: a\n    if: {outside_hours: \"Mon-Fri 09:00-18:00 Mars/Olympus\"}\n    then: deny\n", 4, "rules[0].if.outside_hours", "unknown time zone"},
		{"bad glob in list", head + "  - name: a\n    if:\n      command:\n        - ls *\n        - \"ls [\"\n    then: allow\n", 7, "rules[0].if.command[1]", "unterminated"},
		{"bad window in list", head + "  - name: a\n    if:\n      outside_hours:\n        - Mon-Fri 09:00-17:00\n        - Sat 10:00-10:00\n    then: deny\n", 7, "rules[0].if.outside_hours[1]", "start and end are equal"},
		{"bad window day", head + "  - name: a\n    if: {outside_hours: \"Mon-Fry 09:00-18:00\"}\n    then: deny\n", 4, "rules[0].if.outside_hours", "unknown day"},
		{"bad window hours", head + "  - name: a\n    if: {outside_hours: \"Mon-Fri 9-18\"}\n    then: deny\n", 4, "rules[0].if.outside_hours", "want HH:MM"},
		{"unknown if key", head + "  - name: a\n    if: {comand: ls}\n    then: allow\n", 4, "rules[0].if.comand", `did you mean "command"`},
		{"if not mapping", head + "  - name: a\n    if: [ls]\n    then: allow\n", 4, "rules[0].if", "expected a mapping"},
		{"command is mapping", head + "  - name: a\n    if:\n      command: {a: b}\n    then: allow\n", 5, "rules[0].if.command", "expected a string or a list"},
		{"remember on allow", head + "  - name: a\n    then: allow\n    remember: 1h\n", 5, "rules[0].remember", "only applies to rules that require"},
		{"duplicate field", head + "  - name: a\n    then: allow\n    then: deny\n", 5, "rules[0].then", "duplicate field (first at line 4)"},
		{"unreachable", head + "  - name: all\n    then: allow\n  - name: b\n    then: deny\n", 5, "rules[1]", `unreachable: rule "all"`},
		{"too deep", head + "  - name: a\n    require: " + strings.Repeat("{all_of: [", 17) + "{team: a/b}" + strings.Repeat("]}", 17) + "\n", 4, "rules[0].require" + strings.Repeat(".all_of[0]", 16), "nested deeper than 16"},
		{"alias", "version: 1\nx: &a {}\nrules: []\n", 2, "", "anchors and aliases"},
		{"syntax error", "version: 1\nrules:\n  - name: a\n    then: [allow\n", 3, "", "invalid YAML"},
		{"two documents", "version: 1\nrules: []\n---\nversion: 1\n", 3, "", "more than one YAML document"},
		{"root is list", "- a\n", 1, "", "expected a mapping"},
		{"custom tag", head + "  - name: !secret a\n    then: allow\n", 3, "rules[0].name", "unsupported YAML tag !secret"},
		{"users with null", head + "  - name: a\n    require: {users: [alice, null]}\n", 4, "rules[0].require.users[1]", "expected a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("stepgate.yml", []byte(tt.src))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error = %v, want *ParseError", err)
			}
			for _, fe := range pe.Errors {
				if fe.Line == tt.wantLine && fe.Field == tt.wantField && strings.Contains(fe.Msg, tt.wantMsg) {
					return
				}
			}
			t.Errorf("errors:\n%v\nwant line %d field %q msg containing %q", err, tt.wantLine, tt.wantField, tt.wantMsg)
		})
	}
}

func TestParseErrorText(t *testing.T) {
	t.Parallel()
	src := "version: 1\nrules:\n  - name: prod\n    require:\n      all_of:\n        - team: a/b\n        - teem: acme/dba\n    remember: soon\n"
	_, err := Parse(".github/stepgate.yml", []byte(src))
	want := `.github/stepgate.yml:7: rules[0].require.all_of[1].teem: unknown field (did you mean "team"?)
.github/stepgate.yml:7: rules[0].require.all_of[1]: empty requirement: want one of users, team, role, codeowners, all_of, any_of
.github/stepgate.yml:8: rules[0].remember: invalid duration "soon" (want e.g. 30m, 24h, 30d, 1d12h)`
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}

func TestParseHostileInput(t *testing.T) {
	t.Parallel()
	bomb := "version: 1\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nrules: []\n"
	tests := map[string]string{
		"10 MB":         "version: 1\nrules: []\n#" + strings.Repeat("x", 10<<20),
		"deep flow":     strings.Repeat("[", 100000) + strings.Repeat("]", 100000),
		"deep mappings": "version: 1\nrules:\n  - name: a\n    require: " + strings.Repeat("{all_of: [", 5000) + strings.Repeat("]}", 5000),
		"alias bomb":    bomb,
		"many errors":   "version: 1\nrules:\n" + strings.Repeat("  - nam: x\n", 5000),
		"binary":        "\x00\xff\xfe version: [",
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			_, err := Parse("stepgate.yml", []byte(src))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error = %v, want *ParseError", err)
			}
			if len(pe.Errors) > maxErrors+1 {
				t.Errorf("%d errors, want at most %d", len(pe.Errors), maxErrors+1)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30m", 30 * time.Minute, true},
		{"30d", 30 * 24 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"1h30m", 90 * time.Minute, true},
		{"0s", 0, false},
		{"d", 0, false},
		{"1.5d", 0, false},
		{"-1d", 0, false},
		{"99999d", 0, false},
		{"1d-1h", 0, false},
		{"30", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// Errors come in line order, and a rule whose `if` was broken is not also
// reported as swallowing every later rule.
func TestParseErrorsSortedAndQuiet(t *testing.T) {
	t.Parallel()
	src := "version: 1\nrules:\n  - name: a\n    if: {comand: x}\n    then: allow\n  - name: b\n    require:\n      team: nope\n    timeout: 5\n  - name: c\n    then: deny\n"
	_, err := Parse("p.yml", []byte(src))
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v", err)
	}
	var lines []int
	for _, fe := range pe.Errors {
		lines = append(lines, fe.Line)
		if strings.Contains(fe.Msg, "unreachable") {
			t.Errorf("spurious %q", fe.Msg)
		}
	}
	if diff := cmp.Diff([]int{4, 8, 9}, lines); diff != "" {
		t.Errorf("lines (-want +got):\n%s\n%v", diff, err)
	}
	many := "version: 1\nrules:\n" + strings.Repeat("  - nam: x\n", 300)
	_, err = Parse("p.yml", []byte(many))
	if !errors.As(err, &pe) || len(pe.Errors) != maxErrors+1 || !strings.Contains(pe.Errors[maxErrors].Msg, "more than 100 errors") {
		t.Errorf("truncation: %d errors, last %+v", len(pe.Errors), pe.Errors[len(pe.Errors)-1])
	}
}
