package hook

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/gate"
)

// fixture reads a documented event from testdata (lines starting with # are
// the source note, not part of the event).
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("#")) {
			out = append(out, line...)
		}
	}
	return out
}

// shellFixtures are each agent's documented shell tool call.
var shellFixtures = map[Agent]string{
	Claude:  "claude/bash.event",
	Codex:   "codex/bash.event",
	Copilot: "copilot/bash.event",
	Gemini:  "gemini/shell.event",
}

type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

func runHook(t *testing.T, cfg Config, ask Asker, stdin []byte) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := Run(context.Background(), cfg, Options{Stdin: bytes.NewReader(stdin), Stdout: &stdout, Stderr: &stderr, Ask: ask})
	return result{code, stdout.String(), stderr.String(), time.Since(start)}
}

// decision reads the agent's documented decision field from stdout.
func decision(t *testing.T, agent Agent, stdout string) (decision, reason string) {
	t.Helper()
	if strings.TrimSpace(stdout) == "" {
		return "", ""
	}
	var out struct {
		HookSpecificOutput *struct {
			HookEventName            string `json:"hookEventName"`
			PermissionDecision       string `json:"permissionDecision"`
			PermissionDecisionReason string `json:"permissionDecisionReason"`
		} `json:"hookSpecificOutput"`
		PermissionDecision       string `json:"permissionDecision"`
		PermissionDecisionReason string `json:"permissionDecisionReason"`
		Decision                 string `json:"decision"`
		Reason                   string `json:"reason"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
	}
	switch agent {
	case Claude, Codex:
		if out.HookSpecificOutput == nil || out.HookSpecificOutput.HookEventName != "PreToolUse" {
			t.Fatalf("%s output lacks hookSpecificOutput.hookEventName PreToolUse: %s", agent, stdout)
		}
		return out.HookSpecificOutput.PermissionDecision, out.HookSpecificOutput.PermissionDecisionReason
	case Copilot:
		return out.PermissionDecision, out.PermissionDecisionReason
	case Gemini:
		return out.Decision, out.Reason
	}
	return "", ""
}

func wantAllow(t *testing.T, agent Agent, r result) {
	t.Helper()
	if r.code != ExitAllow {
		t.Fatalf("exit = %d, want 0 (allow)\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	d, _ := decision(t, agent, r.stdout)
	want := "allow"
	if agent == Codex {
		want = "" // Codex: no output is "proceed"
	}
	if d != want {
		t.Fatalf("decision = %q, want %q: %s", d, want, r.stdout)
	}
}

func wantDeny(t *testing.T, agent Agent, r result, reason string) {
	t.Helper()
	if r.code != ExitDeny {
		t.Fatalf("exit = %d, want 2 (deny)\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	d, why := decision(t, agent, r.stdout)
	if d != "deny" {
		t.Fatalf("decision = %q, want deny: %s", d, r.stdout)
	}
	line := strings.TrimSuffix(r.stderr, "\n")
	if strings.Contains(line, "\n") || line == "" || line != why {
		t.Fatalf("stderr must be the one-line reason %q, got %q", why, r.stderr)
	}
	t.Logf("deny: %s", line)
	if !strings.Contains(strings.ToLower(line), strings.ToLower(reason)) {
		t.Fatalf("reason %q does not mention %q", line, reason)
	}
}

// TestAgentsAgainstApp drives each agent's documented shell event through
// the real App client (gate/action: OIDC token, create, long-poll, binding
// check) against a scripted App.
func TestAgentsAgainstApp(t *testing.T) {
	t.Parallel()
	final := func(v gate.RequestView) func(gate.CreateRequest) gate.RequestView {
		return func(gate.CreateRequest) gate.RequestView { return v }
	}
	pending := final(gate.RequestView{Status: gate.StatusPending})
	cases := []struct {
		name   string
		setup  func(f *fakeApp)
		allow  bool
		reason string
	}{
		{"allowed by policy", func(f *fakeApp) {
			f.create = final(gate.RequestView{Status: gate.StatusAllowed, Rule: "read-only"})
		}, true, "allowed"},
		{"approved by a reviewer", func(f *fakeApp) {
			f.create = pending
			f.pollTo = gate.RequestView{Status: gate.StatusApproved, ApprovedBy: []string{"alice"}}
		}, true, "alice"},
		{"denied by policy", func(f *fakeApp) {
			f.create = final(gate.RequestView{Status: gate.StatusRejected, Rule: "never", Reason: "denied by rule never"})
		}, false, "denied by rule never"},
		{"rejected by a reviewer", func(f *fakeApp) {
			f.create = pending
			f.pollTo = gate.RequestView{Status: gate.StatusRejected, RejectedBy: []string{"alice"}, Reason: "not on a Friday"}
		}, false, "rejected by alice"},
		{"expired", func(f *fakeApp) {
			f.create = pending
			f.pollTo = gate.RequestView{Status: gate.StatusExpired, Reason: "timed out", Pending: []string{"users: alice"}}
		}, false, "no decision in time"},
		{"frozen", func(f *fakeApp) {
			f.create = final(gate.RequestView{Status: gate.StatusRejected, Rule: "freeze", Reason: "repository is frozen by admin: incident"})
		}, false, "frozen"},
		{"over the velocity cap", func(f *fakeApp) {
			f.create = final(gate.RequestView{Status: gate.StatusRejected, Rule: "velocity", Reason: "agent session ran 30 commands in the last minute; defaults.agent.max_commands_per_minute is 30"})
		}, false, "max_commands_per_minute"},
		{"App down", func(f *fakeApp) { f.srv.Close() }, false, "cannot reach the stepgate App"},
		{"App refuses the token", func(f *fakeApp) { f.refuseAuth = true }, false, "invalid OIDC token"},
		{"no OIDC token", func(f *fakeApp) { f.tokenDown = true }, false, "id-token: write"},
	}
	for agent, file := range shellFixtures {
		for _, tc := range cases {
			t.Run(string(agent)+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				f := newFakeApp(t)
				tc.setup(f)
				r := runHook(t, Config{}, f.asker(), fixture(t, file))
				if tc.allow {
					wantAllow(t, agent, r)
				} else {
					wantDeny(t, agent, r, tc.reason)
				}
				if reqs := f.requests(); len(reqs) > 0 {
					checkCreate(t, agent, reqs[0])
				}
			})
		}
	}
}

// checkCreate: the request names the agent and carries the exact command
// and directory of the event, unrewritten.
func checkCreate(t *testing.T, agent Agent, req gate.CreateRequest) {
	t.Helper()
	want := map[Agent][2]string{
		Claude:  {"psql -c 'SELECT * FROM users'", "/home/runner/work/app/app"},
		Codex:   {"kubectl delete namespace staging", "/home/runner/work/app/app"},
		Copilot: {"rm -rf dist", "/home/runner/work/app/app"},
		Gemini:  {"terraform apply -auto-approve", "/home/runner/work/app/app/infra"},
	}[agent]
	if req.Command != want[0] || req.WorkingDirectory != want[1] || req.Shell != "bash" {
		t.Errorf("request command/dir/shell = %q %q %q, want %q %q bash", req.Command, req.WorkingDirectory, req.Shell, want[0], want[1])
	}
	if req.CommandSHA256 != gate.CommandHash(want[0], "bash", want[1]) {
		t.Errorf("command hash is not bound to the event's command and cwd")
	}
	if req.Source != gate.SourceAgent || req.Agent != string(agent) || req.AgentSession == "" || req.ToolCallID == "" {
		t.Errorf("source/agent/session/tool call = %q %q %q %q", req.Source, req.Agent, req.AgentSession, req.ToolCallID)
	}
	if !strings.Contains(req.Step, string(agent)+" tool call ") {
		t.Errorf("step %q does not name the agent's tool call", req.Step)
	}
}

// TestGarbageDenies: whatever arrives on stdin, the answer is a deny that
// the named agent reads as one; nothing asks the App.
func TestGarbageDenies(t *testing.T) {
	t.Parallel()
	inputs := map[string]string{
		"empty":          "",
		"not JSON":       "rm -rf /",
		"truncated":      `{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"`,
		"two objects":    `{"a":1} {"b":2}`,
		"no command":     `{"hook_event_name":"PreToolUse","session_id":"s","cwd":"/w","tool_name":"Bash","tool_input":{"cmd":"ls"},"tool_use_id":"t"}`,
		"command number": `{"hook_event_name":"BeforeTool","session_id":"s","cwd":"/w","tool_name":"run_shell_command","tool_input":{"command":42}}`,
		"toolArgs junk":  `{"timestamp":1,"cwd":"/w","toolName":"bash","toolArgs":"{not json"}`,
		"no cwd":         `{"hook_event_name":"PreToolUse","session_id":"s","tool_name":"Bash","tool_input":{"command":"ls"},"tool_use_id":"t"}`,
		"unknown format": `{"event":"tool","name":"shell","args":{"command":"ls"}}`,
	}
	asked := func(context.Context, Event, time.Duration) Answer {
		t.Error("the App was asked about garbage")
		return Answer{Verdict: Allow}
	}
	for _, agent := range Agents {
		for name, in := range inputs {
			t.Run(string(agent)+"/"+name, func(t *testing.T) {
				t.Parallel()
				wantDeny(t, agent, runHook(t, Config{Agent: agent}, asked, []byte(in)), "denied")
			})
		}
	}
	t.Run("undetected agent", func(t *testing.T) {
		r := runHook(t, Config{}, asked, []byte("garbage"))
		if r.code != ExitDeny || !strings.Contains(r.stderr, "denied") {
			t.Fatalf("exit %d, stderr %q; want 2 and a reason", r.code, r.stderr)
		}
	})
	t.Run("wrong agent's format", func(t *testing.T) {
		wantDeny(t, Copilot, runHook(t, Config{Agent: Copilot}, asked, fixture(t, "claude/bash.event")), "format")
	})
}

// TestNonShellToolsPassThrough: file edits and reads get no decision (the
// agent's own permissions apply) and do not reach the App.
func TestNonShellToolsPassThrough(t *testing.T) {
	t.Parallel()
	asked := func(context.Context, Event, time.Duration) Answer {
		t.Error("the App was asked about a non-shell tool")
		return Answer{Verdict: Deny}
	}
	for agent, file := range map[Agent]string{Claude: "claude/write.event", Codex: "codex/apply_patch.event", Copilot: "copilot/edit.event", Gemini: "gemini/read_file.event"} {
		r := runHook(t, Config{}, asked, fixture(t, file))
		if d, _ := decision(t, agent, r.stdout); r.code != 0 || d != "" || r.stderr != "" {
			t.Errorf("%s: exit %d, decision %q, stderr %q; want 0 and no decision", agent, r.code, d, r.stderr)
		}
	}
}

// TestDeniesBeforeTheAgentsTimeout: an App that never decides is answered
// with a deny before the agent's hook timeout, and the request is cancelled.
func TestDeniesBeforeTheAgentsTimeout(t *testing.T) {
	t.Parallel()
	for agent, file := range shellFixtures {
		t.Run(string(agent), func(t *testing.T) {
			t.Parallel()
			f := newFakeApp(t)
			const agentTimeout = 4 * time.Second
			r := runHook(t, Config{Timeout: agentTimeout}, f.asker(), fixture(t, file))
			wantDeny(t, agent, r, "hook timeout")
			if r.took >= agentTimeout {
				t.Fatalf("answered after %s, not before the agent's timeout of %s", r.took, agentTimeout)
			}
		})
	}
	t.Run("a hung Asker", func(t *testing.T) {
		t.Parallel()
		hang := func(ctx context.Context, _ Event, _ time.Duration) Answer {
			time.Sleep(time.Hour)
			return Answer{Verdict: Allow}
		}
		r := runHook(t, Config{Timeout: 2 * time.Second}, hang, fixture(t, "copilot/bash.event"))
		wantDeny(t, Copilot, r, "hook timeout")
		if r.took >= 2*time.Second {
			t.Fatalf("answered after %s", r.took)
		}
	})
	t.Run("stdin never closed", func(t *testing.T) {
		t.Parallel()
		pr, pw := net.Pipe()
		defer pw.Close()
		var stdout, stderr bytes.Buffer
		start := time.Now()
		code := Run(context.Background(), Config{Agent: Gemini, Timeout: 2 * time.Second}, Options{Stdin: pr, Stdout: &stdout, Stderr: &stderr})
		if code != ExitDeny || time.Since(start) >= 2*time.Second {
			t.Fatalf("exit %d after %s; want a deny before 2s", code, time.Since(start))
		}
	})
}

func TestDeadline(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ timeout, want time.Duration }{
		{600 * time.Second, 570 * time.Second},
		{60 * time.Second, 54 * time.Second},
		{30 * time.Second, 27 * time.Second},
		{10 * time.Second, 7 * time.Second},
		{4 * time.Second, 2 * time.Second},
	} {
		if got := Deadline(tc.timeout); got != tc.want {
			t.Errorf("Deadline(%s) = %s, want %s", tc.timeout, got, tc.want)
		}
	}
}

// TestHookSettingsAreProtected: a file write into an agent's hook settings
// is denied (it could switch the hook off); other writes pass through.
func TestHookSettingsAreProtected(t *testing.T) {
	t.Parallel()
	asked := func(context.Context, Event, time.Duration) Answer {
		t.Error("the App was asked about a non-shell tool")
		return Answer{Verdict: Deny}
	}
	edit := func(file string, change func(map[string]any)) []byte {
		var ev map[string]any
		if err := json.Unmarshal(fixture(t, file), &ev); err != nil {
			t.Fatal(err)
		}
		change(ev)
		b, _ := json.Marshal(ev)
		return b
	}
	cases := []struct {
		agent Agent
		event []byte
	}{
		{Claude, edit("claude/write.event", func(ev map[string]any) {
			ev["tool_input"].(map[string]any)["file_path"] = "/home/runner/.claude/settings.json"
		})},
		{Claude, edit("claude/write.event", func(ev map[string]any) {
			ev["tool_name"] = "Edit"
			ev["tool_input"] = map[string]any{"file_path": "/home/runner/work/app/app/.claude/settings.local.json", "old_string": "a", "new_string": "b"}
		})},
		{Codex, edit("codex/apply_patch.event", func(ev map[string]any) {
			ev["tool_input"] = map[string]any{"command": "*** Begin Patch\n*** Update File: .codex/hooks.json\n@@\n-x\n+y\n*** End Patch\n"}
		})},
		{Copilot, edit("copilot/edit.event", func(ev map[string]any) {
			ev["toolArgs"] = `{"path":".github/hooks/stepgate.json","old_str":"a","new_str":"b"}`
		})},
		{Gemini, edit("gemini/read_file.event", func(ev map[string]any) {
			ev["tool_name"] = "write_file"
			ev["tool_input"] = map[string]any{"file_path": "/home/runner/work/app/app/.gemini/settings.json", "content": "{}"}
		})},
	}
	for _, tc := range cases {
		wantDeny(t, tc.agent, runHook(t, Config{}, asked, tc.event), "hook settings")
	}
	for agent, file := range map[Agent]string{Claude: "claude/write.event", Codex: "codex/apply_patch.event", Copilot: "copilot/edit.event"} {
		if r := runHook(t, Config{}, asked, fixture(t, file)); r.code != 0 {
			t.Errorf("%s: an ordinary write: exit %d %s", agent, r.code, r.stderr)
		}
	}
}

// TestShellLikeTools: input written to a running shell session is gated
// like a command; a tool that looks like a shell but whose format stepgate
// does not know is denied, not passed through; reading a shell's output
// passes.
func TestShellLikeTools(t *testing.T) {
	t.Parallel()
	var asked []Event
	ask := func(_ context.Context, ev Event, _ time.Duration) Answer {
		asked = append(asked, ev)
		return Answer{Verdict: Deny, Reason: "stepgate: rejected by alice; denied"}
	}
	r := runHook(t, Config{}, ask, []byte(`{"sessionId":"s","timestamp":1,"cwd":"/w","toolName":"write_bash","toolArgs":"{\"sessionId\":\"b1\",\"input\":\"rm -rf ~\\n\"}"}`))
	wantDeny(t, Copilot, r, "rejected by alice")
	if len(asked) != 1 || asked[0].Command != "rm -rf ~\n" || !asked[0].Shell {
		t.Fatalf("write_bash asked %+v, want its input gated as a command", asked)
	}
	for _, ev := range []string{
		`{"hook_event_name":"PreToolUse","session_id":"s","cwd":"/w","tool_name":"mcp__shell__exec","tool_input":{"cmd":"id"},"tool_use_id":"t"}`,
		`{"hook_event_name":"BeforeTool","session_id":"s","cwd":"/w","tool_name":"run_terminal_cmd","tool_input":{"command":"id"}}`,
	} {
		wantDeny(t, Detect([]byte(ev)), runHook(t, Config{}, ask, []byte(ev)), "does not know its format")
	}
	if len(asked) != 1 {
		t.Errorf("unknown shell-like tools reached the App: %+v", asked[1:])
	}
	ev := `{"hook_event_name":"PreToolUse","session_id":"s","cwd":"/w","tool_name":"BashOutput","tool_input":{"bash_id":"b1"},"tool_use_id":"t"}`
	if r := runHook(t, Config{}, ask, []byte(ev)); r.code != 0 {
		t.Errorf("BashOutput: exit %d %s, want pass", r.code, r.stderr)
	}
}
