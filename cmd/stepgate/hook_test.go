package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestHookHelp(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := runHook(context.Background(), []string{"--help"}, &out, &errb); code != 0 {
		t.Fatalf("--help exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"claude", "codex", "copilot", "gemini", "--timeout", "--server", "id-token: write", "exit 2", "PreToolUse", "BeforeTool", "preToolUse"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help does not mention %q", want)
		}
	}
}

// TestHookBadCommandLineDenies: a broken hook command line must still
// answer in a form the agent reads as a block, not fail open.
func TestHookBadCommandLineDenies(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--agent", "devin"}, {"--nope"}, {"--agent", "claude", "extra"}} {
		var out, errb bytes.Buffer
		code := runHook(context.Background(), args, &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), "denied") || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a one-line reason", args, code, errb.String())
		}
		if args[0] == "--agent" && args[1] == "claude" {
			var v struct {
				HookSpecificOutput struct{ PermissionDecision string } `json:"hookSpecificOutput"`
			}
			if json.Unmarshal(out.Bytes(), &v) != nil || v.HookSpecificOutput.PermissionDecision != "deny" {
				t.Errorf("%q: stdout %q, want Claude's deny JSON", args, out.String())
			}
		}
	}
}
