package shellcmd

import (
	"reflect"
	"strings"
	"testing"
)

// The fast path must read exactly what the parser reads.
func TestFastPathAgrees(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{
		"kubectl get pods -n prod", `./scripts/migrate.sh --env 'prod' --note "nightly run"`,
		"sudo -u x rm -rf /", "env X=1 rm -rf /", "a=b", "X=1 rm -rf /", "time rm -rf /", "export A=B",
		"ssh host rm -rf /", "git push --force origin main", `echo "a b"'c d'`, "bash -c 'rm -rf /'",
		"nice -n 5 timeout 10 terraform destroy -auto-approve", "if", "", "  ", "'rm' -rf /",
	} {
		fw, ok := fastWords(cmd)
		slow := &walker{t: &Tree{}}
		slow.script(cmd, env{parent: -1})
		if !ok {
			continue
		}
		fast := &walker{t: &Tree{}}
		fast.argv(fw, env{parent: -1}, callInfo{})
		if !reflect.DeepEqual(fast.t.Commands, slow.t.Commands) {
			t.Errorf("%q: fast path %+v, parser %+v", cmd, fast.t.Commands, slow.t.Commands)
		}
	}
}

func FuzzFastPathAgrees(f *testing.F) {
	for _, s := range []string{"kubectl get pods", `a 'b c' "d"`, "x=1 y", "sudo rm -rf /"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cmd string) {
		fw, ok := fastWords(cmd)
		if !ok {
			return
		}
		slow := &walker{t: &Tree{}}
		slow.script(cmd, env{parent: -1})
		fast := &walker{t: &Tree{}}
		fast.argv(fw, env{parent: -1}, callInfo{})
		if !reflect.DeepEqual(fast.t.Commands, slow.t.Commands) {
			t.Errorf("%q: fast path %+v, parser %+v", cmd, fast.t.Commands, slow.t.Commands)
		}
	})
}

// FuzzParse: no input makes the walk fail internally, and every tree that
// read the command completely has at least the commands the input names.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"rm -rf /", "sudo -C", "bash -c 'eval \"$(x)\"'", "find . -exec sh -c '{}' \\;", "ssh -o ProxyCommand=x h", "a | xargs -I{} b {}", "env -S", "timeout", "kubectl exec -- "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cmd string) {
		tr := Parse(cmd)
		if tr.Err != nil && strings.HasPrefix(tr.Err.Error(), "internal error") {
			t.Fatalf("%q: %v", cmd, tr.Err)
		}
		for _, c := range tr.Commands {
			c.Parse()
		}
	})
}

func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"kubectl   get 'pods'", `echo "a b" $(x)`, "a;b&&c|d", "cat <<EOF\nx\nEOF",
		`echo $'a\'b'`, `'X'=1 cmd`, `X='a=b' y 'c=d'`, `a''b "" 'x y'"z"`, "if x", "time  ls", `\rm -rf /`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cmd string) {
		// The fast path must agree with the shell parser wherever it applies.
		if fast, ok := fastNormalize(cmd); ok {
			if slow, _ := parseNormalize(cmd); fast != slow {
				t.Errorf("fastNormalize(%q) = %q, parser path = %q", cmd, fast, slow)
			}
		}
		CanonicalValid(cmd)
	})
}
