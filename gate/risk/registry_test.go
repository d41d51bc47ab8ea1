package risk

import (
	"testing"
)

func TestRegistryRejectsTwoFamiliesForOneCommand(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Fatal("newRegistry accepted two families for the command x")
		}
	}()
	newRegistry([]family{{[]string{"x"}, noRule}}, []family{{[]string{"x"}, noRule}})
}

func TestRegistryLookup(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"python3.12", "gpg2", "mkfs.ext4", "mke2fs", "kafka-topics.sh", "restic", "gh", "rm"} {
		if rulesRegistry.lookup(name) == nil {
			t.Errorf("lookup(%q) found no rule", name)
		}
	}
	for _, name := range []string{"acmectl", "", "1"} {
		if rulesRegistry.lookup(name) != nil {
			t.Errorf("lookup(%q) found a rule, want none", name)
		}
	}
}

// TestTable checks the table matcher on a made-up CLI: alternatives,
// wildcards, prefixes, required flags, first match wins, and the generic
// fallback when no row matches.
func TestTable(t *testing.T) {
	t.Parallel()
	rate := table([]string{"--ctx"},
		subRule{"db drop", []string{"--dry-run"}, CatDatabase, LevelLow, "plans a drop"},
		subRule{"db drop", nil, CatDatabase, LevelCritical, "drops the database"},
		subRule{"cache|queue purge", nil, CatMessaging, LevelHigh, "purges"},
		subRule{"* wipe", nil, CatGeneric, LevelHigh, "wipes"},
		subRule{"snap*", []string{"--all"}, CatBackup, LevelMedium, "acts on every snapshot"},
		subRule{"status", nil, CatGeneric, LevelNone, ""},
	)
	tests := []struct {
		cmd  []string
		want Level
		cat  string
	}{
		{[]string{"db", "drop"}, LevelCritical, CatDatabase},
		{[]string{"--ctx", "prod", "db", "drop"}, LevelCritical, CatDatabase},
		{[]string{"db", "drop", "--dry-run"}, LevelLow, CatDatabase},
		{[]string{"queue", "purge", "orders"}, LevelHigh, CatMessaging},
		{[]string{"anything", "wipe"}, LevelHigh, CatGeneric},
		{[]string{"snapshots", "--all"}, LevelMedium, CatBackup},
		{[]string{"snapshots"}, LevelNone, ""},
		{[]string{"status", "--force"}, LevelNone, ""},
		{[]string{"users", "delete", "bob"}, LevelMedium, CatGeneric},
		{[]string{"users", "list"}, LevelNone, ""},
	}
	for _, tt := range tests {
		a := &assessor{reg: rulesRegistry}
		args := make([]arg, len(tt.cmd))
		for i, s := range tt.cmd {
			args[i] = arg{s: s, static: true}
		}
		rate(a, "tool", args, ctx{})
		got := summarize(a.findings)
		if got.Level != tt.want || tt.cat != "" && (len(got.Categories) == 0 || got.Categories[0] != tt.cat) {
			t.Errorf("tool %v = %s %v, want %s %s", tt.cmd, got.Level, got.Categories, tt.want, tt.cat)
		}
	}
}

func TestGenericFallback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cmd  string
		want Level
	}{
		{"acmectl delete cluster prod", LevelMedium},
		{"acmectl delete cluster prod --force", LevelHigh},
		{"acmectl cluster destroy-all -y", LevelHigh},
		{"acmectl delete-stack prod", LevelMedium},
		{"acmectl DeleteInstance --id 1", LevelNone}, // CamelCase only for the cloud CLIs that use it
		{"acmectl purge --all", LevelHigh},
		{"acmectl --purge", LevelMedium},
		{"acmectl sync --yes-i-really-mean-it", LevelHigh},
		{"acmectl deploy --force", LevelLow},
		{"acmectl deploy --all -y", LevelNone},
		{"acmectl get deleted-items", LevelNone},
		{"acmectl reset", LevelNone},
		{"acmectl ./delete.sh", LevelNone},
		{"echo delete --force", LevelNone},
		{"grep -r drop .", LevelNone},
	}
	for _, tt := range tests {
		if got := Assess(tt.cmd); got.Level != tt.want {
			t.Errorf("Assess(%q) = %s, want %s; %q", tt.cmd, got.Level, tt.want, got.Reasons)
		}
	}
}

// TestEveryRuleSurvivesOddArguments runs every registered command with
// arguments that trip index arithmetic (empty words, lone dashes, "--").
func TestEveryRuleSurvivesOddArguments(t *testing.T) {
	t.Parallel()
	for name := range rulesRegistry.byName {
		for _, rest := range []string{"", " -", " - -", " --", " ''", " -- ''", " -x ''", " api", " delete", " run --"} {
			cmd := shellWord(name) + rest
			for _, f := range Assess(cmd).Findings {
				if f.Category == CatUnparseable && f.Level == LevelHigh && f.Reason == "the command could not be analysed (internal error), so it is treated as high risk" {
					t.Errorf("Assess(%q) panicked inside a rule", cmd)
				}
			}
		}
	}
}

// shellWord quotes names the shell would otherwise read as syntax.
func shellWord(s string) string {
	switch s {
	case "[", "[[", ".", "!":
		return "'" + s + "'"
	}
	return s
}
