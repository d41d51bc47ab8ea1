package shellcmd

import (
	"slices"
	"strings"
	"testing"
)

// leaves renders the commands of a tree that wrap nothing, as "argv"; a
// dynamic name shows as "?name".
func leaves(t *Tree) []string {
	var out []string
	for _, c := range t.Commands {
		if c.Wrapper {
			continue
		}
		s := c.String()
		if c.Name().Dynamic {
			s = "?" + s
		}
		out = append(out, s)
	}
	return out
}

func TestParseLeaves(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cmd  string
		want []string
	}{
		{"rm -rf /", []string{"rm -rf /"}},
		{`\rm -rf /`, []string{"rm -rf /"}},
		{`r''m -rf /`, []string{"rm -rf /"}},
		{`"rm" -rf /`, []string{"rm -rf /"}},
		{`$'\x72\x6d' -rf /`, []string{"rm -rf /"}},
		{`$'\162m' -rf /`, []string{"rm -rf /"}},
		{"/bin/rm -rf /", []string{"rm -rf /"}},
		{"/usr/bin/../bin/rm -rf /", []string{"rm -rf /"}},
		{"//usr//bin/rm -rf /", []string{"rm -rf /"}},
		{"/opt/x/rm -rf /", []string{"/opt/x/rm -rf /"}},
		{"bin//migrate up", []string{"./bin/migrate up"}},
		{"true && rm -rf /", []string{"true", "rm -rf /"}},
		{"(rm -rf /)", []string{"rm -rf /"}},
		{"{ rm -rf /; }", []string{"rm -rf /"}},
		{"f() { rm -rf /; }; f", []string{"rm -rf /", "f"}},
		{"if true; then rm -rf /; fi", []string{"true", "rm -rf /"}},
		{"for i in 1; do rm -rf /; done", []string{"rm -rf /"}},
		{"while false; do rm -rf /; done", []string{"false", "rm -rf /"}},
		{"case x in x) rm -rf /;; esac", []string{"rm -rf /"}},
		{"echo $(rm -rf /)", []string{"rm -rf /", "echo $(…)"}},
		{"echo `rm -rf /`", []string{"rm -rf /", "echo $(…)"}},
		{"diff <(rm -rf /) x", []string{"rm -rf /", "diff <(…) x"}},
		{"sudo rm -rf /", []string{"rm -rf /"}},
		{"sudo -u root -- rm -rf /", []string{"rm -rf /"}},
		{"env X=1 Y=2 rm -rf /", []string{"rm -rf /"}},
		{"env -i rm -rf /", []string{"rm -rf /"}},
		{"env -S 'rm -rf /'", []string{"rm -rf /"}},
		{"env -S'rm -rf' /", []string{"rm -rf /"}},
		{"nice -n 10 rm -rf /", []string{"rm -rf /"}},
		{"nice -10 rm -rf /", []string{"rm -rf /"}},
		{"timeout 5 rm -rf /", []string{"rm -rf /"}},
		{"timeout -s KILL 5s rm -rf /", []string{"rm -rf /"}},
		{"nohup rm -rf / &", []string{"rm -rf /"}},
		{"command rm -rf /", []string{"rm -rf /"}},
		{"command -v rm", []string{"command -v rm"}},
		{"exec rm -rf /", []string{"rm -rf /"}},
		{"exec -a x rm -rf /", []string{"rm -rf /"}},
		{"stdbuf -o0 rm -rf /", []string{"rm -rf /"}},
		{"ionice -c 3 rm -rf /", []string{"rm -rf /"}},
		{"chrt -f 10 rm -rf /", []string{"rm -rf /"}},
		{"taskset 0x1 rm -rf /", []string{"rm -rf /"}},
		{"taskset -c 0,1 rm -rf /", []string{"rm -rf /"}},
		{"strace -f -o /dev/null rm -rf /", []string{"rm -rf /"}},
		{"fakeroot rm -rf /", []string{"rm -rf /"}},
		{"nsenter -t 1 -m -u rm -rf /", []string{"rm -rf /"}},
		{"unshare -r rm -rf /", []string{"rm -rf /"}},
		{"systemd-run --scope -p X=1 rm -rf /", []string{"rm -rf /"}},
		{"screen -dmS s rm -rf /", []string{"rm -rf /"}},
		{"tmux new -d 'rm -rf /'", []string{"rm -rf /"}},
		{"runuser -u nobody -- rm -rf /", []string{"rm -rf /"}},
		{"runuser nobody -c 'rm -rf /'", []string{"rm -rf /"}},
		{"su -c 'rm -rf /' root", []string{"rm -rf /"}},
		{"gdb --args rm -rf /", []string{"rm -rf /"}},
		{"gdb -batch -ex 'shell rm -rf /'", []string{"rm -rf /"}},
		{"dotenv -e .env -- rm -rf /", []string{"rm -rf /"}},
		{"nix-shell -p hello --run 'rm -rf /'", []string{"rm -rf /"}},
		{"uv run --with x pytest -x", []string{"pytest -x"}},
		{"poetry run pytest -k slow", []string{"pytest -k slow"}},
		{"pipenv run python manage.py flush", []string{"python manage.py flush"}},
		{"busybox rm -rf /", []string{"rm -rf /"}},
		{"xargs rm -rf", []string{"rm -rf {input}"}},
		{"find / -exec rm -rf {} +", []string{"find / -exec rm -rf '{}' +", "rm -rf {}"}},
		{"find . -name '*.tmp' -execdir rm {} \\;", []string{"find . -name '*.tmp' -execdir rm '{}' ';'", "rm {}"}},
		{"parallel rm -rf ::: / /etc", []string{"rm -rf /", "rm -rf /etc"}},
		{"parallel 'rm -rf {}' ::: /", []string{"rm -rf /"}},
		{"parallel 'rm -rf {}' ::: $X", []string{"?rm -rf {}"}},
		{"ls | parallel rm", []string{"ls", "?rm {}"}},
		{"bash -c 'rm -rf /'", []string{"rm -rf /"}},
		{"sh -xec 'rm -rf /'", []string{"rm -rf /"}},
		{"bash -o pipefail -c 'rm -rf /'", []string{"rm -rf /"}},
		{"eval 'rm -rf /'", []string{"rm -rf /"}},
		{"eval rm -rf /", []string{"rm -rf /"}},
		{`eval "$CMD"`, []string{"?$CMD"}},
		{"bash -c \"$X\"", []string{"?$X"}},
		{"ssh host 'rm -rf /'", []string{"rm -rf /"}},
		{"ssh -p 22 -i k user@host rm -rf /", []string{"rm -rf /"}},
		{"ssh -o ProxyCommand='rm -rf /' host true", []string{"rm -rf /", "true"}},
		{"kubectl exec -it pod -- rm -rf /", []string{"rm -rf /"}},
		{"kubectl -n x exec pod -c app -- sh -c 'rm -rf /'", []string{"rm -rf /"}},
		{"docker exec -u 0 c rm -rf /", []string{"rm -rf /"}},
		{"docker run --rm -v /:/host -e X=1 alpine rm -rf /host", []string{"rm -rf /host"}},
		{"docker run --rm -it alpine", []string{"docker run --rm -it alpine"}},
		{"echo 'rm -rf /' | sh", []string{"echo 'rm -rf /'", "rm -rf /"}},
		{"printf 'rm -rf /' | bash -s", []string{"printf 'rm -rf /'", "rm -rf /"}},
		{"curl -s x | sh", []string{"curl -s x", "?<stdin>"}},
		{"bash <<'EOF'\nrm -rf /\nEOF", []string{"rm -rf /"}},
		{"sh <<< 'rm -rf /'", []string{"rm -rf /"}},
		{"xargs -I{} sh -c 'rm -rf {}'", []string{"?rm -rf {}"}},
		{"watch -n 1 rm -rf /", []string{"rm -rf /"}},
		{"flock /tmp/l rm -rf /", []string{"rm -rf /"}},
		{"flock /tmp/l -c 'rm -rf /'", []string{"rm -rf /"}},
		{"trap 'rm -rf /' EXIT", []string{"trap 'rm -rf /' EXIT", "rm -rf /"}},
		{"script -qc 'rm -rf /' /dev/null", []string{"rm -rf /"}},
		{"sudo sudo env nice timeout 1 bash -c \"eval 'rm -rf /'\"", []string{"rm -rf /"}},
		{"{rm,-rf,/}", []string{"rm -rf /"}},
		{"bash ./deploy.sh prod", []string{"./deploy.sh prod"}},
		{"bash deploy.sh prod", []string{"./deploy.sh prod"}},
		{"aws-vault exec prod -- terraform destroy", []string{"terraform destroy"}},
		{"npx rimraf /", []string{"rimraf /"}},
	}
	for _, tt := range tests {
		got := leaves(Parse(tt.cmd))
		if !slices.Equal(got, tt.want) {
			t.Errorf("Parse(%q) leaves = %q, want %q", tt.cmd, got, tt.want)
		}
	}
}

func TestParseDynamicWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cmd         string
		dynamic     []bool // per argv word of the last command
		splitAtLast bool
	}{
		{"rm -rf $X", []bool{false, false, true}, true},
		{`rm -rf "$X"`, []bool{false, false, true}, false},
		{"rm -rf ${X:-/}", []bool{false, false, true}, true},
		{"rm -rf /*", []bool{false, false, true}, true},
		{"rm -rf ~", []bool{false, false, true}, false},
		{"rm -rf /$((1))", []bool{false, false, true}, true},
		{"rm -rf '/*'", []bool{false, false, false}, false},
		{`rm -rf "/"`, []bool{false, false, false}, false},
	}
	for _, tt := range tests {
		tr := Parse(tt.cmd)
		c := tr.Commands[len(tr.Commands)-1]
		var got []bool
		for _, w := range c.Argv {
			got = append(got, w.Dynamic)
		}
		if !slices.Equal(got, tt.dynamic) || c.Argv[len(c.Argv)-1].Split != tt.splitAtLast {
			t.Errorf("Parse(%q): dynamic %v split %v, want %v %v", tt.cmd, got, c.Argv[len(c.Argv)-1].Split, tt.dynamic, tt.splitAtLast)
		}
	}
}

func TestParseOptions(t *testing.T) {
	t.Parallel()
	opts := func(cmd string) string {
		tr := Parse(cmd)
		c := tr.Commands[len(tr.Commands)-1]
		p := c.Parse()
		var keys []string
		for _, o := range p.Opts {
			k := o.Key()
			if o.Value != nil {
				k += "=" + o.Value.Text
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var pos []string
		for _, w := range p.Pos {
			pos = append(pos, w.Text)
		}
		return strings.Join(keys, ",") + " | " + strings.Join(pos, " ")
	}
	tests := []struct{ a, b string }{
		{"rm -rf /", "rm -fr /"},
		{"rm -rf /", "rm -r -f /"},
		{"rm -rf /", "rm --recursive --force /"},
		{"rm -rf /", "rm --rec --for /"},
		{"rm -rf /", "rm -R -f /"},
		{"git push -f origin main", "git push --force origin main"},
		{"git push -d origin x", "git push --del origin x"},
		{"git push -f origin +main", "git push origin +main"},
		{"kubectl delete namespace prod", "kubectl delete ns prod"},
		{"kubectl delete namespace prod", "kubectl delete namespaces prod"},
		{"kubectl delete namespace prod", "kubectl delete namespace/prod"},
		{"kubectl -n x delete namespace prod", "kubectl delete ns prod --namespace=x"},
		{"kubectl -n x delete namespace prod", "kubectl delete ns prod -nx"},
		{"terraform apply -auto-approve", "terraform apply --auto-approve"},
		{"terraform plan -out=p", "terraform plan -out p"},
	}
	for _, tt := range tests {
		if a, b := opts(tt.a), opts(tt.b); a != b {
			t.Errorf("%q reads %q but %q reads %q", tt.a, a, tt.b, b)
		}
	}
	if got := opts("rm -- -rf"); got != " | -rf" {
		t.Errorf("rm -- -rf: %q (after -- nothing is an option)", got)
	}
}

func TestParseLimits(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("eval ", 20) + "rm -rf /"
	tr := Parse(deep)
	if tr.Err == nil || !tr.Dynamic() {
		t.Errorf("20 nested bash -c: err %v, dynamic %v; want a limit error and an unknown command", tr.Err, tr.Dynamic())
	}
	many := strings.Repeat("true; ", 5000)
	if tr := Parse(many); tr.Err == nil || len(tr.Commands) > maxCommands+2 {
		t.Errorf("5000 commands: err %v, %d commands", tr.Err, len(tr.Commands))
	}
	if tr := Parse("rm -rf / 'unterminated"); tr.Err == nil || len(tr.Commands) == 0 {
		t.Errorf("unparseable: err %v, commands %d; want an error and the lenient reading", tr.Err, len(tr.Commands))
	}
}
