package shellcmd

import (
	"path"
	"strings"
)

// Opt is one option of a command, canonical: Short and Long name the same
// option (-r and --recursive of rm are {r, recursive}); either may be ""
// when the tool is not known. Value is set for options that take one.
type Opt struct {
	Short string
	Long  string
	Value *Word
}

// Key is the option's canonical name: the short letter when known, else
// the long name with "--".
func (o Opt) Key() string {
	if o.Short != "" {
		return "-" + o.Short
	}
	return "--" + o.Long
}

// Parsed is a command's argv split into name, options and operands.
type Parsed struct {
	Name Word
	Opts []Opt
	Pos  []Word // operands in order (the wrapped command's words, for a wrapper)
	// Split: some word is an unquoted expansion or a glob, which may turn
	// into any number of options and operands when the command runs.
	Split bool
	// MaybeOpt: some dynamic word may be an option.
	MaybeOpt bool
	// MaybeValue[i]: Pos[i] follows an option the tool's table does not
	// know, so it may be that option's value rather than an operand.
	MaybeValue []bool
}

// Has reports whether the command has option key ("-f", "--force").
func (p *Parsed) Has(key string) bool {
	for _, o := range p.Opts {
		if o.matches(key) {
			return true
		}
	}
	return false
}

func (o Opt) matches(key string) bool {
	if l, ok := strings.CutPrefix(key, "--"); ok {
		return o.Long == l
	}
	return o.Short != "" && "-"+o.Short == key
}

// toolSpec describes how a tool reads its options.
type toolSpec struct {
	pairs  *optPairs // long names and their short letters
	valued string    // options taking a value: "-n --namespace"
	sdl    bool      // single-dash long options (Go flag, find): no clusters
	abbrev bool      // unique prefixes of long options are accepted (getopt_long, git)
	longs  string    // further long options, for abbreviation
}

// optPairs maps long names to short letters and back (the first long name
// listed for a letter is its canonical long form).
type optPairs struct {
	fwd map[string]string
	rev map[string]string
}

func pairs(kv ...string) *optPairs {
	p := &optPairs{fwd: make(map[string]string, len(kv)/2), rev: make(map[string]string, len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		p.fwd[kv[i]] = kv[i+1]
		if _, ok := p.rev[kv[i+1]]; !ok && kv[i+1] != "" {
			p.rev[kv[i+1]] = kv[i]
		}
	}
	return p
}

var goFlagTool = &toolSpec{sdl: true}

var tools = map[string]*toolSpec{
	"rm":         {pairs: pairs("recursive", "r", "force", "f", "dir", "d", "verbose", "v", "interactive", "i"), abbrev: true, longs: "no-preserve-root preserve-root one-file-system help version"},
	"cp":         {pairs: pairs("recursive", "r", "force", "f", "archive", "a", "verbose", "v", "interactive", "i", "no-clobber", "n", "target-directory", "t", "no-target-directory", "T", "update", "u", "link", "l", "symbolic-link", "s", "dereference", "L", "no-dereference", "P", "backup", "b", "suffix", "S", "preserve", "p"), valued: "-t --target-directory -S --suffix", abbrev: true, longs: "remove-destination parents sparse reflink attributes-only"},
	"mv":         {pairs: pairs("force", "f", "interactive", "i", "no-clobber", "n", "verbose", "v", "target-directory", "t", "no-target-directory", "T", "update", "u", "backup", "b", "suffix", "S"), valued: "-t --target-directory -S --suffix", abbrev: true},
	"chmod":      {pairs: pairs("recursive", "R", "silent", "f", "quiet", "f", "verbose", "v", "changes", "c"), valued: "--reference", abbrev: true},
	"chown":      {pairs: pairs("recursive", "R", "silent", "f", "quiet", "f", "verbose", "v", "changes", "c", "no-dereference", "h"), valued: "--reference --from", abbrev: true},
	"chgrp":      {pairs: pairs("recursive", "R", "silent", "f", "quiet", "f", "verbose", "v", "changes", "c", "no-dereference", "h"), valued: "--reference", abbrev: true},
	"ln":         {pairs: pairs("symbolic", "s", "force", "f", "no-dereference", "n", "target-directory", "t", "verbose", "v", "interactive", "i"), valued: "-t --target-directory -S --suffix", abbrev: true},
	"mkdir":      {pairs: pairs("parents", "p", "mode", "m", "verbose", "v"), valued: "-m --mode", abbrev: true},
	"shred":      {pairs: pairs("force", "f", "iterations", "n", "remove", "u", "zero", "z", "verbose", "v"), valued: "-n --iterations -s --size", abbrev: true},
	"sed":        {pairs: pairs("in-place", "i", "expression", "e", "file", "f", "quiet", "n", "silent", "n", "regexp-extended", "E"), valued: "-e --expression -f --file -l --line-length", abbrev: true},
	"psql":       {pairs: pairs("command", "c", "file", "f", "dbname", "d", "host", "h", "port", "p", "username", "U", "set", "v", "variable", "v", "output", "o", "pset", "P", "quiet", "q", "single-transaction", "1", "no-psqlrc", "X", "echo-all", "a", "tuples-only", "t"), valued: "-c --command -f --file -d --dbname -h --host -p --port -U --username -v --set --variable -o --output -P --pset -F --field-separator -R --record-separator -L --log-file -T --table-attr", abbrev: true},
	"mysql":      {pairs: pairs("execute", "e", "user", "u", "host", "h", "port", "P", "database", "D", "batch", "B", "force", "f"), valued: "-e --execute -u --user -h --host -P --port -D --database -S --socket --defaults-file --init-command", abbrev: true},
	"git":        {valued: "-C -c --git-dir --work-tree --namespace --config-env --super-prefix --exec-path"},
	"kubectl":    {pairs: pairs("namespace", "n", "output", "o", "selector", "l", "filename", "f", "all-namespaces", "A", "recursive", "R", "container", "c", "server", "s", "kustomize", "k", "stdin", "i", "tty", "t", "watch", "w", "label-columns", "L"), valued: kubectlValued},
	"oc":         {pairs: pairs("namespace", "n", "output", "o", "selector", "l", "filename", "f", "all-namespaces", "A", "recursive", "R", "container", "c", "server", "s"), valued: kubectlValued},
	"helm":       {pairs: pairs("namespace", "n", "values", "f", "output", "o", "all-namespaces", "A"), valued: "-n --namespace --kube-context --kubeconfig -f --values --set --set-string --set-file --set-json --version --repo --post-renderer --post-renderer-args --timeout --description -o --output --registry-config --repository-config --repository-cache --username --password --ca-file --cert-file --key-file --history-max --max-history --revision --kube-apiserver --kube-token --kube-as-user --kube-as-group"},
	"terraform":  {sdl: true, valued: "-var -var-file -target -out -state -state-out -backup -replace -lock-timeout -parallelism -chdir -generate-config-out -plugin-dir -backend-config -from-module -test-directory -filter"},
	"tofu":       {sdl: true, valued: "-var -var-file -target -out -state -state-out -backup -replace -lock-timeout -parallelism -chdir -generate-config-out -plugin-dir -backend-config -from-module"},
	"terragrunt": {valued: "--terragrunt-working-dir --working-dir --terragrunt-config --config"},
	"packer":     goFlagTool,
	"migrate":    {sdl: true, valued: "-path -database -source -prefetch -lock-timeout -ext -dir -seq-digits -format -tz"},
	"go":         goFlagTool,
	"find":       {sdl: true, valued: "-name -iname -path -ipath -wholename -iwholename -regex -iregex -type -xtype -user -group -perm -size -mtime -mmin -atime -amin -ctime -cmin -newer -maxdepth -mindepth -fprint -fprintf -fls -printf -fprint0 -links -inum -samefile -context -uid -gid -used -regextype -lname -ilname -fstype"},
	"ssh":        {valued: "-B -b -c -D -E -e -F -I -i -J -L -l -m -O -o -p -Q -R -S -W -w"},
	"scp":        {valued: "-c -D -F -i -J -l -o -P -S -X"},
	"rsync":      {pairs: pairs("rsh", "e", "recursive", "r", "archive", "a", "verbose", "v", "delete", ""), valued: "-e --rsh --rsync-path --exclude --include --exclude-from --include-from --files-from -f --filter --backup-dir --suffix --chmod --chown --password-file --log-file --port -T --temp-dir", abbrev: true},
	"curl":       {pairs: pairs("output", "o", "remote-name", "O", "config", "K", "upload-file", "T", "data", "d", "form", "F", "request", "X", "header", "H", "user", "u", "location", "L", "silent", "s", "fail", "f", "insecure", "k"), valued: "-o --output -K --config -T --upload-file -d --data --data-binary --data-raw --data-urlencode -F --form -X --request -H --header -u --user -A --user-agent -e --referer -b --cookie -c --cookie-jar -x --proxy -m --max-time --connect-timeout -w --write-out --retry --cacert --cert --key -E -r --range -z --time-cond --resolve --url"},
	"docker":     {pairs: pairs("force", "f", "volumes", "v", "host", "H"), valued: "-H --host --config --context -l --log-level -e --env --env-file -u --user -w --workdir -v --volume -p --publish --name --network --entrypoint --mount --platform -t --tag --build-arg --target"},
	"tar":        {pairs: pairs("extract", "x", "create", "c", "file", "f", "gzip", "z", "verbose", "v", "directory", "C", "use-compress-program", "I", "info-script", "F"), valued: "-f --file -C --directory -I --use-compress-program --to-command --checkpoint-action -F --info-script --new-volume-script --rsh-command --exclude -T --files-from -X --exclude-from", abbrev: true},
	"make":       {pairs: pairs("directory", "C", "file", "f", "makefile", "f", "jobs", "j"), valued: "-C --directory -f --file --makefile -I --include-dir -o --old-file -W --what-if", abbrev: true},
	"redis-cli":  {valued: "-h -p -a -n -u -s --user --pass --tls --cacert"},
	"systemctl":  {pairs: pairs("force", "f", "now", ""), valued: "-H --host -M --machine -p --property -t --type -s --signal --state --root -n --lines -o --output"},
	"gcloud":     {valued: "--project --zone --region --format --filter --configuration --account --impersonate-service-account --verbosity --flags-file"},
	"az":         {valued: "-g --resource-group -n --name --subscription -o --output --query -l --location"},
}

// awsFlags are the AWS CLI options that take no value; every other
// --option takes one.
const awsFlags = "--debug --no-verify-ssl --no-paginate --no-sign-request --no-cli-pager --cli-auto-prompt --no-cli-auto-prompt --dry-run --no-dry-run --recursive --force --quiet --only-show-errors --human-readable --summarize --delete --exact-timestamps --follow-symlinks --no-follow-symlinks --no-guess-mime-type --sse --no-progress --include-deleted --all --no-include-email --generate-cli-skeleton --no-overwrite --yes --no-wait --wait --allow-overwrite --force-delete-without-recovery --skip-final-snapshot --no-skip-final-snapshot --delete-automated-backups --apply-immediately --no-apply-immediately --disable-api-termination --no-disable-api-termination --terminate-instances --force-stop --cascade --permanent --validate --no-validate"

// Subcommand option tables (git's options differ per subcommand).
var subTools = map[string]*toolSpec{
	"git push":          {pairs: pairs("force", "f", "delete", "d", "dry-run", "n", "set-upstream", "u", "quiet", "q", "verbose", "v", "push-option", "o"), valued: "--repo --receive-pack --exec -o --push-option", abbrev: true, longs: "force-with-lease force-if-includes mirror all branches tags follow-tags prune atomic no-verify verify signed porcelain thin no-thin recurse-submodules no-force-with-lease"},
	"git reset":         {pairs: pairs("quiet", "q", "patch", "p"), abbrev: true, longs: "hard soft mixed keep merge recurse-submodules no-refresh pathspec-from-file"},
	"git clean":         {pairs: pairs("force", "f", "dry-run", "n", "quiet", "q", "interactive", "i", "exclude", "e"), valued: "-e --exclude", abbrev: true},
	"git branch":        {pairs: pairs("delete", "d", "force", "f", "move", "m", "copy", "c", "remotes", "r", "all", "a", "list", "l", "verbose", "v", "set-upstream-to", "u"), valued: "-u --set-upstream-to", abbrev: true},
	"git checkout":      {pairs: pairs("force", "f", "quiet", "q"), valued: "-b -B --orphan", abbrev: true},
	"git commit":        {pairs: pairs("message", "m", "file", "F", "all", "a", "no-verify", "n", "reuse-message", "C", "reedit-message", "c", "signoff", "s"), valued: "-m --message -F --file -C --reuse-message -c --reedit-message --author --date --fixup --squash -t --template", abbrev: true, longs: "amend allow-empty"},
	"git rebase":        {pairs: pairs("interactive", "i", "exec", "x", "force-rebase", "f", "quiet", "q", "strategy", "s", "strategy-option", "X"), valued: "-x --exec --onto -s --strategy -X --strategy-option", abbrev: true, longs: "root abort continue skip autosquash autostash"},
	"git tag":           {pairs: pairs("delete", "d", "force", "f", "annotate", "a", "sign", "s", "message", "m", "file", "F", "list", "l"), valued: "-m --message -F --file -u --local-user", abbrev: true},
	"git clone":         {pairs: pairs("upload-pack", "u", "config", "c", "branch", "b", "origin", "o", "template", ""), valued: "-u --upload-pack -c --config -b --branch -o --origin --template --depth --reference --separate-git-dir --filter", abbrev: true},
	"git fetch":         {pairs: pairs("upload-pack", "", "force", "f", "prune", "p", "all", ""), valued: "--upload-pack --depth --deepen --shallow-since --refmap -j --jobs", abbrev: true},
	"git pull":          {pairs: pairs("force", "f", "rebase", "r"), valued: "--upload-pack --depth -s --strategy -X --strategy-option", abbrev: true},
	"git config":        {pairs: pairs("global", "", "system", "", "file", "f"), valued: "-f --file --blob", abbrev: true},
	"git filter-branch": {valued: "--env-filter --tree-filter --index-filter --parent-filter --msg-filter --commit-filter --tag-name-filter --subdirectory-filter --prune-empty -d --original --state-branch"},
	"git update-ref":    {pairs: pairs("delete", "d"), valued: "-m"},
}

// SpecOf returns the option table for argv's tool (and subcommand), nil if
// the tool is not known. Names with a path use the base name's table.
func specOf(name string) *toolSpec {
	if s, ok := tools[name]; ok {
		return s
	}
	if strings.Contains(name, "/") {
		if s, ok := tools[path.Base(name)]; ok {
			return s
		}
	}
	return nil
}

// Parse splits the command's argv into options and operands. For a wrapper
// the wrapped command's words are operands.
func (c *Command) Parse() Parsed { return ParseArgs(c.Argv, c.Inner) }

// ParseArgs is Parse for a bare argv; words from inner on (if > 0) are
// operands.
func ParseArgs(argv []Word, inner int) Parsed {
	var p Parsed
	if len(argv) == 0 {
		return p
	}
	p.Name = argv[0]
	name := argv[0].Text
	spec := specOf(name)
	aws := name == "aws"
	end := len(argv)
	if inner > 0 && inner < end {
		end = inner
	}
	var sub *toolSpec
	done := false
	unknown := false // the previous word was an option the table does not know
	pos := func(a Word) {
		p.Pos = append(p.Pos, a)
		p.MaybeValue = append(p.MaybeValue, unknown)
		unknown = false
	}
	for i := 1; i < end; i++ {
		a := argv[i]
		if a.Dynamic {
			p.Split = p.Split || a.Split
			p.MaybeOpt = p.MaybeOpt || a.MayBeOption()
			pos(a)
			continue
		}
		s := a.Text
		if done || s == "-" || len(s) < 2 || s[0] != '-' {
			pos(a)
			if sub == nil && spec != nil && len(p.Pos) == 1 {
				sub = subTools[name+" "+s]
			}
			continue
		}
		if s == "--" {
			done = true
			unknown = false
			continue
		}
		cur := spec
		if sub != nil {
			cur = sub
		}
		n := len(p.Opts)
		i = p.option(argv, i, end, cur, spec, aws)
		unknown = false
		if len(p.Opts) > n {
			last := p.Opts[len(p.Opts)-1]
			unknown = last.Value == nil && !known(cur, spec, last)
		}
	}
	if inner > 0 {
		p.wrapped(argv[min(inner, len(argv)):])
	}
	canonOperands(name, &p)
	return p
}

// wrapped appends a wrapped command's words as operands.
func (p *Parsed) wrapped(ws []Word) {
	for _, w := range ws {
		p.Pos = append(p.Pos, w)
		p.MaybeValue = append(p.MaybeValue, false)
	}
}

// known reports whether the tool's table knows the option (so whether it
// takes a value is known).
func known(cur, global *toolSpec, o Opt) bool {
	for _, s := range []*toolSpec{cur, global} {
		if s == nil {
			continue
		}
		if o.Short != "" && (hasWord(s.valued, "-"+o.Short) || s.pairs != nil && s.pairs.rev[o.Short] != "") {
			return true
		}
		if o.Long != "" && (hasWord(s.valued, "--"+o.Long) || hasWord(s.valued, "-"+o.Long) || hasWord(s.longs, o.Long) || s.pairs != nil && s.pairs.fwd[o.Long] != "") {
			return true
		}
	}
	return false
}

// option parses the option at argv[i] and returns the index of its last word.
func (p *Parsed) option(argv []Word, i, end int, cur, global *toolSpec, aws bool) int {
	s := argv[i].Text
	value := func(v string, attached bool) *Word {
		if attached {
			w := Lit(v)
			return &w
		}
		if i+1 < end {
			i++
			w := argv[i]
			return &w
		}
		return nil
	}
	long := strings.HasPrefix(s, "--")
	if long || cur != nil && cur.sdl || aws {
		n := strings.TrimLeft(s, "-")
		n, v, has := strings.Cut(n, "=")
		dash := "--"
		if !long {
			dash = "-"
		}
		n = resolveLong(n, cur, global)
		o := Opt{Long: n}
		if cur != nil {
			o.Short = lookupPair(cur, global, n)
		}
		switch {
		case has:
			o.Value = value(v, true)
		case aws && !hasWord(awsFlags, "--"+n):
			o.Value = value("", false)
		case isValued(cur, global, dash+n) || isValued(cur, global, "--"+n) || cur != nil && cur.sdl && isValued(cur, global, "-"+n):
			o.Value = value("", false)
		}
		if !long && cur != nil && cur.sdl && len(n) == 1 {
			o.Short, o.Long = n, longOf(cur, global, n)
		}
		p.Opts = append(p.Opts, o)
		return i
	}
	for k := 1; k < len(s); k++ {
		ch := s[k : k+1]
		o := Opt{Short: canonShort(argv[0].Text, ch), Long: longOf(cur, global, ch)}
		if isValued(cur, global, "-"+ch) {
			if k+1 < len(s) {
				o.Value = value(s[k+1:], true)
			} else {
				o.Value = value("", false)
			}
			p.Opts = append(p.Opts, o)
			break
		}
		p.Opts = append(p.Opts, o)
	}
	return i
}

// canonShort maps letters that mean the same to one: rm -R is rm -r.
func canonShort(tool, ch string) string {
	switch tool {
	case "rm", "cp":
		if ch == "R" {
			return "r"
		}
	}
	return ch
}

func isValued(cur, global *toolSpec, opt string) bool {
	return cur != nil && hasWord(cur.valued, opt) || global != nil && global != cur && hasWord(global.valued, opt)
}

func lookupPair(cur, global *toolSpec, long string) string {
	for _, s := range []*toolSpec{cur, global} {
		if s != nil && s.pairs != nil {
			if v, ok := s.pairs.fwd[long]; ok {
				return v
			}
		}
	}
	return ""
}

func longOf(cur, global *toolSpec, short string) string {
	for _, s := range []*toolSpec{cur, global} {
		if s != nil && s.pairs != nil {
			if l, ok := s.pairs.rev[short]; ok {
				return l
			}
		}
	}
	return ""
}

// resolveLong expands a unique prefix of a known long option (git push
// --forc is --force) where the tool accepts abbreviations. A prefix of
// several is left as written: the tool rejects it.
func resolveLong(n string, cur, global *toolSpec) string {
	if cur == nil || !cur.abbrev || n == "" || strings.ContainsAny(n, "*?[\\") {
		return n
	}
	if cur.pairs != nil {
		if _, ok := cur.pairs.fwd[n]; ok {
			return n
		}
	}
	if hasWord(cur.longs, n) || hasWord(cur.valued, "--"+n) {
		return n
	}
	found := ""
	count := 0
	try := func(l string) {
		if strings.HasPrefix(l, n) && l != found {
			found = l
			count++
		}
	}
	if cur.pairs != nil {
		for l := range cur.pairs.fwd {
			try(l)
		}
	}
	for _, l := range strings.Fields(cur.longs) {
		try(l)
	}
	for _, v := range strings.Fields(cur.valued) {
		if l, ok := strings.CutPrefix(v, "--"); ok {
			try(l)
		}
	}
	if count == 1 {
		return found
	}
	return n
}

// kubectl resource aliases: ns, namespaces and namespace are one type.
var kubeTypes = pairs(
	"ns", "namespace", "namespaces", "namespace", "po", "pod", "pods", "pod",
	"deploy", "deployment", "deployments", "deployment", "svc", "service", "services", "service",
	"secrets", "secret", "cm", "configmap", "configmaps", "configmap", "no", "node", "nodes", "node",
	"pv", "persistentvolume", "persistentvolumes", "persistentvolume",
	"pvc", "persistentvolumeclaim", "persistentvolumeclaims", "persistentvolumeclaim",
	"sts", "statefulset", "statefulsets", "statefulset", "ds", "daemonset", "daemonsets", "daemonset",
	"rs", "replicaset", "replicasets", "replicaset", "ing", "ingress", "ingresses", "ingress",
	"sa", "serviceaccount", "serviceaccounts", "serviceaccount", "crd", "customresourcedefinition",
	"crds", "customresourcedefinition", "customresourcedefinitions", "customresourcedefinition",
	"jobs", "job", "cj", "cronjob", "cronjobs", "cronjob", "clusterroles", "clusterrole",
	"clusterrolebindings", "clusterrolebinding", "roles", "role", "rolebindings", "rolebinding",
	"hpa", "horizontalpodautoscaler", "horizontalpodautoscalers", "horizontalpodautoscaler",
	"netpol", "networkpolicy", "networkpolicies", "networkpolicy", "ev", "event", "events", "event",
	"ep", "endpoints", "pdb", "poddisruptionbudget", "poddisruptionbudgets", "poddisruptionbudget",
)

// canonOperands rewrites operands whose spelling varies: kubectl resource
// types (ns → namespace, namespace/prod → namespace prod, ns,pods → two),
// git push's +refspec (a force push).
func canonOperands(name string, p *Parsed) {
	switch name {
	case "kubectl", "oc":
		if len(p.Pos) < 2 || p.Pos[1].Dynamic {
			return
		}
		t := p.Pos[1].Text
		var out []Word
		typ, obj, slash := strings.Cut(t, "/")
		for _, part := range strings.Split(typ, ",") {
			out = append(out, Lit(kubeType(part)))
		}
		if slash {
			out = append(out, Lit(obj))
		}
		p.Pos = append(append(append([]Word{}, p.Pos[0]), out...), p.Pos[2:]...)
		mv := make([]bool, len(p.Pos))
		copy(mv, p.MaybeValue[:2])
		copy(mv[1+len(out):], p.MaybeValue[2:])
		p.MaybeValue = mv
	case "helm":
		// helm's command aliases (helm help uninstall).
		if len(p.Pos) > 0 && !p.Pos[0].Dynamic {
			switch p.Pos[0].Text {
			case "delete", "del", "un":
				p.Pos[0] = Lit("uninstall")
			case "ls":
				p.Pos[0] = Lit("list")
			}
		}
	case "git":
		if len(p.Pos) > 0 && p.Pos[0].Text == "push" {
			for _, w := range p.Pos[1:] {
				if !w.Dynamic && strings.HasPrefix(w.Text, "+") || w.Dynamic && strings.HasPrefix(w.Prefix, "+") {
					if !p.Has("-f") {
						p.Opts = append(p.Opts, Opt{Short: "f", Long: "force"})
					}
				}
				if !w.Dynamic && strings.HasPrefix(w.Text, ":") && len(w.Text) > 1 {
					if !p.Has("-d") {
						p.Opts = append(p.Opts, Opt{Short: "d", Long: "delete"})
					}
				}
			}
		}
	}
}

func kubeType(t string) string {
	l := strings.ToLower(t)
	if i := strings.IndexByte(l, '.'); i > 0 {
		l = l[:i] // deployments.apps, namespaces.v1
	}
	if c, ok := kubeTypes.fwd[l]; ok {
		return c
	}
	return t
}
