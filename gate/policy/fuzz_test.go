package policy

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParse: Parse never panics, and whatever it accepts evaluates and
// describes itself without panicking either.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("version: 1\nrules:\n  - name: a\n    require: {all_of: [{any_of: [{team: a/b}]}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yml", data)
		if err != nil {
			if err.Error() == "" {
				t.Error("empty error text")
			}
			return
		}
		for _, cmd := range []string{"kubectl get pods", "rm -rf / ; echo 'x'", ""} {
			m := p.Evaluate(Facts{Command: cmd, Environment: "production", Time: time.Unix(0, 0)})
			_ = m.Require.String()
			_ = Check(m.Require, []Vote{{Approver: Approver{Login: "a", Permission: PermAdmin}, Approve: true}}, false)
		}
	})
}

func FuzzNormalizeCommand(f *testing.F) {
	for _, s := range []string{"kubectl   get 'pods'", `echo "a b" $(x)`, "a;b&&c|d", "cat <<EOF\nx\nEOF",
		`echo $'a\'b'`, `'X'=1 cmd`, `X='a=b' y 'c=d'`, `a''b "" 'x y'"z"`, "if x", "time  ls"} {
		f.Add(s, "kubectl get *")
	}
	f.Fuzz(func(t *testing.T, cmd, pattern string) {
		// (The fast path's agreement with the parser: shellcmd.FuzzCanonical.)
		n, valid := normalize(cmd)
		if g, err := compileGlob(normalizePattern(pattern)); err == nil {
			g.match(n, barriers(n, valid))
		}
	})
}
