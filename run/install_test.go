// Package run holds no Go code: its tests check the composite action
// (action.yml) and its installer (install.sh), which CI also runs against
// a snapshot release (scripts/release-check.sh).
package run

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

const asset = "stepgate_1.2.3_linux_amd64"

// release writes a release directory with one asset and its checksums.txt.
func release(t *testing.T, content string, sums func(sum string) string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, asset), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte(content))
	if err := os.WriteFile(filepath.Join(dir, "checksums.txt"), []byte(sums(hex.EncodeToString(h[:]))), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func install(t *testing.T, base, version string) (string, string, error) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("curl is required")
		}
		t.Skip("no curl")
	}
	dest := filepath.Join(t.TempDir(), "bin")
	cmd := exec.Command("bash", "install.sh")
	cmd.Env = append(os.Environ(), "STEPGATE_VERSION="+version, "STEPGATE_RELEASE_URL="+base,
		"STEPGATE_INSTALL_DIR="+dest, "RUNNER_OS=Linux", "RUNNER_ARCH=X64", "GITHUB_OUTPUT=")
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return strings.TrimSpace(out.String()), errOut.String(), err
}

func TestInstall(t *testing.T) {
	t.Parallel()
	good := func(sum string) string {
		return sum + "  " + asset + "\n" + strings.Repeat("0", 64) + "  stepgate_1.2.3_darwin_arm64\n"
	}
	t.Run("good checksum installs", func(t *testing.T) {
		t.Parallel()
		path, stderr, err := install(t, "file://"+release(t, "binary", good), "v1.2.3")
		if err != nil {
			t.Fatalf("%v: %s", err, stderr)
		}
		if b, _ := os.ReadFile(path); string(b) != "binary" {
			t.Errorf("installed %q", b)
		}
		if st, _ := os.Stat(path); st == nil || st.Mode().Perm()&0o100 == 0 {
			t.Errorf("not executable: %v", st)
		}
	})
	refused := []struct {
		name, version, want string
		dir                 func(t *testing.T) string
	}{
		{"tampered binary", "v1.2.3", "checksum mismatch", func(t *testing.T) string {
			d := release(t, "binary", good)
			if err := os.WriteFile(filepath.Join(d, asset), []byte("binarx"), 0o644); err != nil {
				t.Fatal(err)
			}
			return "file://" + d
		}},
		{"no entry", "v1.2.3", "no single entry", func(t *testing.T) string {
			return "file://" + release(t, "binary", func(string) string { return strings.Repeat("1", 64) + "  other\n" })
		}},
		{"two entries", "v1.2.3", "no single entry", func(t *testing.T) string {
			return "file://" + release(t, "binary", func(s string) string { return s + "  " + asset + "\n" + s + "  *" + asset + "\n" })
		}},
		{"not a tag", "1.2.3", "not a release tag", func(t *testing.T) string { return "file://" + release(t, "binary", good) }},
		{"plain http", "v1.2.3", "downloading", func(*testing.T) string { return "http://127.0.0.1:9" }},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path, stderr, err := install(t, tt.dir(t), tt.version)
			if err == nil {
				t.Fatalf("installed %s", path)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q does not say %q", stderr, tt.want)
			}
		})
	}
}

type actionFile struct {
	Inputs  map[string]struct{ Required bool } `yaml:"inputs"`
	Outputs map[string]any                     `yaml:"outputs"`
	Runs    struct {
		Using string `yaml:"using"`
	} `yaml:"runs"`
}

func readAction(t *testing.T, path string) actionFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// The composite form is a drop-in for the container action: the same
// inputs (plus version) and outputs.
func TestCompositeMatchesContainerAction(t *testing.T) {
	t.Parallel()
	comp, cont := readAction(t, "action.yml"), readAction(t, "../action.yml")
	if comp.Runs.Using != "composite" || cont.Runs.Using != "docker" {
		t.Fatalf("runs.using = %q and %q", comp.Runs.Using, cont.Runs.Using)
	}
	keys := func(m map[string]struct{ Required bool }) map[string]bool {
		out := map[string]bool{}
		for k, v := range m {
			out[k] = v.Required
		}
		return out
	}
	want := keys(cont.Inputs)
	want["version"] = false
	if diff := cmp.Diff(want, keys(comp.Inputs)); diff != "" {
		t.Errorf("inputs (-container+version +composite):\n%s", diff)
	}
	var outs []string
	for k := range cont.Outputs {
		if _, ok := comp.Outputs[k]; !ok {
			outs = append(outs, k)
		}
	}
	if len(outs) > 0 || len(comp.Outputs) != len(cont.Outputs) {
		t.Errorf("outputs differ: missing %v", outs)
	}
}
