package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestAgentDefaults(t *testing.T) {
	t.Parallel()
	p, err := Parse("stepgate.yml", []byte("version: 1\ndefaults:\n  agent: { max_commands_per_minute: 30 }\nrules: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Defaults.Agent == nil || p.Defaults.Agent.MaxCommandsPerMinute != 30 {
		t.Fatalf("defaults.agent = %+v, want max 30", p.Defaults.Agent)
	}
	if p, err := Parse("stepgate.yml", []byte("version: 1\nrules: []\n")); err != nil || p.Defaults.Agent != nil {
		t.Fatalf("no defaults.agent: %+v, %v", p.Defaults.Agent, err)
	}
	for _, tc := range []struct{ src, field, msg string }{
		{"agent: {max_commands_per_minute: 0}", "defaults.agent.max_commands_per_minute", "must be from 1 to 600"},
		{"agent: {max_commands_per_minute: lots}", "defaults.agent.max_commands_per_minute", "whole number"},
		{"agent: {max_commands_per_min: 30}", "defaults.agent.max_commands_per_min", "unknown field"},
		{"agent: 30", "defaults.agent", "mapping"},
	} {
		_, err := Parse("stepgate.yml", []byte("version: 1\ndefaults:\n  "+tc.src+"\nrules: []\n"))
		var pe *ParseError
		if !errors.As(err, &pe) || len(pe.Errors) == 0 {
			t.Fatalf("%s: error = %v, want a ParseError", tc.src, err)
		}
		fe := pe.Errors[0]
		if fe.Line != 3 || fe.Field != tc.field || !strings.Contains(fe.Msg, tc.msg) {
			t.Errorf("%s: got %v, want line 3 %s %q", tc.src, err, tc.field, tc.msg)
		}
	}
}
