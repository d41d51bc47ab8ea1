package wiring

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepgate/stepgate/internal/memlimit"
	"github.com/stepgate/stepgate/internal/testutil/golden"
)

// README's configuration reference is generated from Vars: a variable
// added, renamed or given another default here shows up there, or this
// test fails (go test ./app/wiring -update rewrites it).
func TestConfigurationReferenceIsVars(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("| variable | default | meaning |\n| --- | --- | --- |\n")
	for _, v := range Vars {
		def := " "
		switch {
		case v.Required:
			def = " (required) "
		case v.Default != "":
			def = " `" + v.Default + "` "
		}
		fmt.Fprintf(&b, "| `%s` |%s| %s |\n", v.Name, def, v.Doc)
	}
	golden.Section(t, filepath.Join("..", "..", "README.md"),
		"<!-- generated from app/wiring.Vars: go test ./app/wiring -update -->", "<!-- end of generated table -->", b.String())
}

// Every variable has a flag, text for --help and README, and a set; names
// and flags are unique; the defaults are what the packages behind them
// default to.
func TestVarsAreComplete(t *testing.T) {
	t.Parallel()
	names, flags := map[string]bool{}, map[string]bool{}
	for _, v := range Vars {
		if !strings.HasPrefix(v.Name, "STEPGATE_") || v.Flag == "" || v.Usage == "" || v.Doc == "" || v.set == nil {
			t.Errorf("%+v: incomplete", v.Name)
		}
		if names[v.Name] || flags[v.Flag] {
			t.Errorf("%s / --%s declared twice", v.Name, v.Flag)
		}
		names[v.Name], flags[v.Flag] = true, true
	}
	c := DefaultConfig()
	if c.MemoryLimit != memlimit.Default || c.SweepInterval != 5*time.Second || c.MaxWait != time.Minute || c.NoParking {
		t.Errorf("DefaultConfig() = %+v", c)
	}
}

func TestLoadConfigNamesTheVariable(t *testing.T) {
	t.Parallel()
	env := map[string]string{"STEPGATE_PUBLIC_URL": "https://x.example", "STEPGATE_GITHUB_APP_ID": "1",
		"STEPGATE_GITHUB_PRIVATE_KEY": "not a key", "STEPGATE_WEBHOOK_SECRET": "s"}
	_, err := LoadConfig(func(k string) string { return env[k] }, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "STEPGATE_GITHUB_PRIVATE_KEY: ") || strings.Contains(err.Error(), "not a key") {
		t.Errorf("err = %v, want one naming STEPGATE_GITHUB_PRIVATE_KEY without its value", err)
	}
}
