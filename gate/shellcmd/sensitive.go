package shellcmd

import (
	"strings"
)

// sensitiveOpts are options that change what a tool runs, which cluster or
// account it talks to, or which code it loads, per the tools' own
// documentation: a kubeconfig can run any program (exec credential
// plugins), git -c can set core.sshCommand or an alias to a shell command,
// helm --post-renderer runs a program, terraform -chdir picks other code.
// A `*` in an allow pattern never stands for them; the pattern must name
// them.
var sensitiveOpts = map[string]string{
	"kubectl":    "--raw --kubeconfig -s --server --token --as --as-group --as-uid --certificate-authority --client-certificate --client-key --insecure-skip-tls-verify --username --password --cluster --user --tls-server-name --cache-dir --profile-output --kustomize -k --overrides",
	"oc":         "--kubeconfig -s --server --token --as --as-group --certificate-authority --client-certificate --client-key --insecure-skip-tls-verify --username --password --cluster --user",
	"helm":       "--kubeconfig --kube-apiserver --kube-token --kube-as-user --kube-as-group --kube-ca-file --post-renderer --post-renderer-args --registry-config --repository-config --repository-cache --plugins --insecure-skip-tls-verify",
	"terraform":  "--chdir --plugin-dir --from-module",
	"tofu":       "--chdir --plugin-dir --from-module",
	"terragrunt": "--terragrunt-working-dir --working-dir --terragrunt-config --config --terragrunt-tfpath --tfpath",
	"git":        "-c -C --config-env --exec-path --git-dir --work-tree --upload-pack --receive-pack -u --exec --template -x --config --namespace --ext-diff --textconv",
	"aws":        "--endpoint-url --ca-bundle --no-verify-ssl --profile",
	"gcloud":     "--impersonate-service-account --configuration --account --flags-file",
	"az":         "--subscription",
	"ssh":        "-o -F -i -J -E -S -L -R -D -W",
	"scp":        "-o -F -S -J",
	"rsync":      "-e --rsh --rsync-path",
	"curl":       "-o -O -K --config -T --upload-file --output-dir -d --data --data-binary --data-raw --data-urlencode -F --form",
	"wget":       "-O --output-document -i --input-file -e --execute --post-file --body-file -P --directory-prefix",
	"docker":     "-H --host --config --context --privileged -v --volume --mount --entrypoint",
	"podman":     "-H --host --url --connection --privileged -v --volume --mount --entrypoint",
	"tar":        "--to-command -I --use-compress-program --checkpoint-action -F --info-script --new-volume-script --rsh-command -x -C --directory -f --file",
	"find":       "--delete --exec --execdir --ok --okdir --fprint --fprint0 --fprintf --fls",
	"sed":        "-i -f --file",
	"psql":       "-f --file -o --output -L --log-file",
	"mysql":      "--init-command --defaults-file --defaults-extra-file -e --execute --plugin-dir",
	"make":       "-f --file --makefile -C --directory -I --include-dir --eval",
	"npm":        "--prefix --userconfig --globalconfig --registry --script-shell",
	"pip":        "-i --index-url --extra-index-url -f --find-links --trusted-host",
	"xargs":      "-a --arg-file",
	"systemctl":  "-H --host -M --machine",
}

// pathOpts write a file at their value; an allow pattern's `*` stands for
// them only with a plain relative path inside the workspace (not absolute,
// no "..", no hidden file such as .bashrc).
var pathOpts = map[string]string{
	"terraform": "--out --state --state-out --backup --generate-config-out",
	"tofu":      "--out --state --state-out --backup --generate-config-out",
	"kubectl":   "",
	"helm":      "-o --output-dir --destination -d",
	"git":       "-o --output",
}

// SensitiveOpt reports whether option o of tool changes what the tool
// runs, talks to or loads (a `*` in an allow pattern does not cover it).
func SensitiveOpt(tool string, o Opt) bool {
	if l, ok := sensitiveOpts[baseTool(tool)]; ok && optIn(l, o) {
		return true
	}
	if l, ok := pathOpts[baseTool(tool)]; ok && optIn(l, o) {
		return o.Value == nil || !plainRelPath(*o.Value)
	}
	return false
}

func baseTool(tool string) string {
	if i := strings.LastIndexByte(tool, '/'); i >= 0 {
		return tool[i+1:]
	}
	return tool
}

func optIn(list string, o Opt) bool {
	return o.Short != "" && hasWord(list, "-"+o.Short) || o.Long != "" && hasWord(list, "--"+o.Long)
}

// plainRelPath: a static relative path that stays inside the directory and
// names no hidden file.
func plainRelPath(w Word) bool {
	if w.Dynamic || w.Text == "" || strings.HasPrefix(w.Text, "/") || strings.HasPrefix(w.Text, "~") {
		return false
	}
	for _, part := range strings.Split(w.Text, "/") {
		if strings.HasPrefix(part, ".") && part != "." {
			return false
		}
	}
	return true
}

// sensitiveVars change which program runs or what it loads when set for a
// command or exported: PATH picks another kubectl, LD_PRELOAD injects code,
// KUBECONFIG and GIT_SSH_COMMAND run programs, BASH_ENV runs a file in
// every bash.
var sensitiveVars = map[string]bool{
	"PATH": true, "LD_PRELOAD": true, "LD_LIBRARY_PATH": true, "LD_AUDIT": true, "DYLD_INSERT_LIBRARIES": true,
	"BASH_ENV": true, "ENV": true, "IFS": true, "PROMPT_COMMAND": true, "SHELLOPTS": true, "BASHOPTS": true,
	"PS4": true, "HOME": true, "KUBECONFIG": true, "GIT_SSH": true, "GIT_SSH_COMMAND": true, "GIT_EXEC_PATH": true,
	"GIT_CONFIG": true, "GIT_CONFIG_GLOBAL": true, "GIT_CONFIG_SYSTEM": true, "GIT_CONFIG_COUNT": true,
	"GIT_DIR": true, "GIT_WORK_TREE": true, "GIT_ASKPASS": true, "GIT_PAGER": true, "GIT_EDITOR": true, "GIT_PROXY_COMMAND": true,
	"PAGER": true, "EDITOR": true, "VISUAL": true, "NODE_OPTIONS": true, "NODE_PATH": true, "PYTHONPATH": true,
	"PYTHONSTARTUP": true, "PYTHONHOME": true, "PERL5OPT": true, "PERL5LIB": true, "RUBYOPT": true, "RUBYLIB": true,
	"TF_CLI_ARGS": true, "TF_CLI_CONFIG_FILE": true, "TF_PLUGIN_CACHE_DIR": true, "HELM_PLUGINS": true,
	"AWS_ENDPOINT_URL": true, "AWS_CONFIG_FILE": true, "AWS_SHARED_CREDENTIALS_FILE": true, "AWS_PROFILE": true,
	"DOCKER_HOST": true, "DOCKER_CONFIG": true, "SSH_AUTH_SOCK": false, "CDPATH": true, "GLOBIGNORE": true,
	"BASH_LOADABLES_PATH": true, "HISTFILE": false, "TMPDIR": false, "$": true,
	"AWS_REGION": false, "AWS_DEFAULT_REGION": false, "TF_IN_AUTOMATION": false, "TF_INPUT": false,
	"TF_LOG": false, "GIT_TERMINAL_PROMPT": false, "GIT_TRACE": false, "PYTHONUNBUFFERED": false,
	"PYTHONDONTWRITEBYTECODE": false, "NODE_ENV": false, "DOCKER_BUILDKIT": false,
}

// SensitiveVar reports whether assigning name can change which program
// runs or what it loads (PATH, LD_PRELOAD, KUBECONFIG, BASH_ENV …).
func SensitiveVar(name string) bool {
	if v, ok := sensitiveVars[name]; ok {
		return v
	}
	// Tools read whole families of variables (GIT_EXTERNAL_DIFF,
	// HELM_PLUGINS, TF_CLI_ARGS_plan, KUBECTL_EXTERNAL_DIFF, AWS_CA_BUNDLE):
	// a few harmless ones aside, setting any of them is not what an allow
	// rule saw.
	for _, p := range []string{"LD_", "GIT_", "HELM_", "TF_", "KUBE", "AWS_", "DOCKER_", "NPM_CONFIG_", "PIP_", "PYTHON", "NODE_", "BASH_FUNC_"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// HasSensitiveOpts reports whether tool has options that change what it
// runs or talks to (see SensitiveOpt).
func HasSensitiveOpts(tool string) bool {
	_, ok := sensitiveOpts[baseTool(tool)]
	return ok
}

// SensitiveOperand returns the index of an operand that reads secrets
// (kubectl get secret, kubectl describe secrets): a '*' in an allow pattern
// does not stand for it, the pattern must name it. -1 if none.
func SensitiveOperand(tool string, pos []Word) int {
	switch baseTool(tool) {
	case "kubectl", "oc":
		if len(pos) > 1 && !pos[0].Dynamic {
			switch pos[0].Text {
			case "get", "describe", "edit", "view-secret":
				for i := 1; i < len(pos) && i < 3; i++ {
					if pos[i].Text == "secret" || strings.HasPrefix(pos[i].Text, "secret/") {
						return i
					}
				}
			}
		}
	}
	return -1
}
