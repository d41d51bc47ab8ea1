// Developer and platform tools that run a command they are given: tmux,
// gdb, nix, uv/poetry/npm run, npx, aws-vault/op run --, kubectl and docker
// exec, terragrunt, git -c.

package shellcmd

import (
	"strings"
)

// peelNixShell: nix-shell --run CMD runs CMD as shell code.
func peelNixShell(argv []Word, _ stdinKind) peeled {
	if v, ok := optValue(argv, 1, len(argv), "--run --command"); ok {
		return peeled{wrapper: true, code: []Word{v}}
	}
	return peelInterpreter(argv)
}

// peelPackageRunner: npx/bunx/pnpx/uvx PKG ARGS and pipx run PKG ARGS run
// the package's command; npx -c CMD runs CMD as shell code.
func peelPackageRunner(argv []Word, _ stdinKind) peeled {
	name := argv[0].Text
	i := optScan(argv, 1, "-p --package -c --call --spec --from --with --python")
	if name == "pipx" {
		if i >= len(argv) || argv[i].Text != "run" {
			return peeled{}
		}
		i = optScan(argv, i+1, "--spec --python")
	}
	if c, ok := optValue(argv, 1, len(argv), "-c --call"); ok && name == "npx" {
		return peeled{wrapper: true, code: []Word{c}}
	}
	return wrapAt(argv, i)
}

// dashDash peels TOOL SUB … -- CMD ARGS for one subcommand SUB.
func dashDash(sub string) peeler {
	return func(argv []Word, _ stdinKind) peeled { return peelDashDash(argv, sub) }
}

// peelTerragrunt: terragrunt hands the commands it does not know to
// terraform (terragrunt destroy, terragrunt run-all destroy, terragrunt run
// -- destroy).
func peelTerragrunt(argv []Word, _ stdinKind) peeled {
	i := optScan(argv, 1, "--terragrunt-working-dir --working-dir --terragrunt-config --config --terragrunt-tfpath --tfpath")
	for i < len(argv) && (argv[i].Text == "run-all" || argv[i].Text == "run" || argv[i].Text == "--all" || argv[i].Text == "--") {
		i++
	}
	if i < len(argv) && !argv[i].Dynamic {
		return peeled{wrapper: true, inner: i, rewrite: append([]Word{Lit("terraform")}, argv[i:]...)}
	}
	return peelInterpreter(argv)
}

// peelGit: git -c alias.x='!cmd' and core.sshCommand-style settings run
// shell code.
func peelGit(argv []Word, _ stdinKind) peeled {
	if c := gitConfigCode(argv); len(c) > 0 {
		return peeled{code: c}
	}
	return peelInterpreter(argv)
}

// peelTmux: tmux new-session/new-window/split-window/run-shell/respawn
// take a shell command; send-keys types one.
func peelTmux(argv []Word) peeled {
	var p peeled
	if v, ok := optValue(argv, 1, len(argv), "-c"); ok {
		p.code = append(p.code, v)
	}
	i := optScan(argv, 1, "-L -S -f -c -T")
	if i >= len(argv) {
		if len(p.code) > 0 {
			p.wrapper = true
		}
		return p
	}
	switch argv[i].Text {
	case "new-session", "new", "new-window", "neww", "split-window", "splitw", "run-shell", "run", "respawn-pane", "respawnp", "respawn-window", "respawnw", "pipe-pane", "pipep", "display-popup", "popup":
		j := optScan(argv, i+1, "-s -n -t -c -x -y -e -F -f -l -p -T -A -X -B -D -E -h -w -d? -b -S")
		if j < len(argv) {
			p.code = append(p.code, joinCode(argv[j:]))
		}
	case "send-keys", "send":
		j := optScan(argv, i+1, "-t -N -c")
		var keys []Word
		for _, k := range argv[j:] {
			switch k.Text {
			case "Enter", "C-m", "KPEnter", "C-j":
				continue
			}
			keys = append(keys, k)
		}
		if len(keys) > 0 {
			p.code = append(p.code, joinCode(keys))
		}
	}
	p.wrapper = len(p.code) > 0
	return p
}

// peelGdb: gdb --args PROG ARGS runs PROG; -ex 'shell CMD' runs CMD.
func peelGdb(argv []Word) peeled {
	var p peeled
	for k := 1; k < len(argv); k++ {
		s := argv[k].Text
		if s == "--args" || s == "-args" {
			p.wrapper, p.inner = true, k+1
			if p.inner >= len(argv) {
				p.inner = 0
			}
			break
		}
		var v Word
		switch {
		case (s == "-ex" || s == "--eval-command" || s == "-iex" || s == "--init-eval-command") && k+1 < len(argv):
			v = argv[k+1]
			k++
		case strings.HasPrefix(s, "--eval-command="):
			v = Lit(strings.TrimPrefix(s, "--eval-command="))
		default:
			continue
		}
		t := strings.TrimSpace(v.Text)
		if rest, ok := strings.CutPrefix(t, "shell "); ok || strings.HasPrefix(t, "!") || strings.HasPrefix(t, "pipe ") || v.Dynamic {
			if !ok {
				rest = strings.TrimPrefix(t, "!")
			}
			c := Lit(rest)
			if v.Dynamic {
				c = dynWord(v.Text)
			}
			p.wrapper = true
			p.code = append(p.code, c)
		}
	}
	return p
}

// peelNix: nix develop/shell … --command CMD ARGS; nix run PKG -- ARGS.
func peelNix(argv []Word) peeled {
	for k := 2; k < len(argv); k++ {
		if argv[k].Text == "-c" || argv[k].Text == "--command" {
			return wrapAt(argv, k+1)
		}
	}
	return peeled{}
}

// peelToolRun: uv run / poetry run / pipenv run / bundle exec / pnpm exec
// / npm exec -- keep the wrapped command's own options.
func peelToolRun(argv []Word) peeled {
	name := argv[0].Text
	const valued = "-C --directory -P --project --with --with-editable --with-requirements -p --python --package --extra --group --index --default-index --env-file --prefix --filter -F -w --workspace --cwd -e --environment --only-group --no-group"
	i := optScan(argv, 1, valued)
	if i >= len(argv) {
		return peeled{}
	}
	sub := argv[i].Text
	switch {
	case sub == "run" && (name == "npm" || name == "yarn" || name == "pnpm" || name == "bun"):
		return peeled{} // a package.json script: opaque, the name is what counts
	case sub == "run" || sub == "exec" || sub == "x" || sub == "dlx" || sub == "tool" && name == "uv":
		if sub == "tool" {
			if i+1 >= len(argv) || argv[i+1].Text != "run" {
				return peeled{}
			}
			i++
		}
		j := optScan(argv, i+1, valued)
		if name == "npm" {
			for k := i + 1; k < len(argv); k++ {
				if argv[k].Text == "--" {
					return wrapAt(argv, k+1)
				}
			}
		}
		return wrapAt(argv, j)
	}
	return peeled{}
}

// peelDashDash: TOOL SUB … -- CMD ARGS (aws-vault exec p -- cmd, op run -- cmd).
func peelDashDash(argv []Word, sub string) peeled {
	if len(argv) < 2 || argv[1].Text != sub {
		return peeled{}
	}
	for k := 2; k < len(argv); k++ {
		if argv[k].Text == "--" {
			return wrapAt(argv, k+1)
		}
	}
	if argv[0].Text == "aws-vault" || argv[0].Text == "chamber" {
		i := optScan(argv, 2, "-d --duration --region -t --mfa-token")
		return wrapAt(argv, i+1)
	}
	return peeled{}
}

// kubectl's options that take a value (global and common), so the verb and
// its operands can be found however options are placed.
const kubectlValued = "-n --namespace --context --cluster --user --kubeconfig -s --server --token --as --as-group --as-uid --certificate-authority --client-certificate --client-key --cache-dir --request-timeout -v --v -o --output -l --selector -f --filename -c --container --field-selector --sort-by -L --label-columns --template -p --patch --type --image --replicas --timeout --grace-period --for --to-revision -k --kustomize --from-file --from-literal --env-file --port --profile --target --pod-running-timeout --log-flush-frequency --tls-server-name --password --username --chunk-size -i? -e --env --overrides --serviceaccount --restart --labels --limits --requests --local-port --address"

// peelKubectl: kubectl exec/run/debug … -- CMD ARGS.
func peelKubectl(argv []Word) peeled {
	pos := positionalIdx(argv, 1, kubectlValued)
	if len(pos) == 0 {
		return peeled{}
	}
	switch argv[pos[0]].Text {
	case "exec", "run", "debug", "attach":
	default:
		return peeled{}
	}
	for k := pos[0] + 1; k < len(argv); k++ {
		if argv[k].Text == "--" {
			return wrapAt(argv, k+1)
		}
	}
	if argv[pos[0]].Text == "exec" && len(pos) >= 3 {
		return wrapAt(argv, pos[2])
	}
	return peeled{}
}

// peelDockerExec: docker exec [opts] CONTAINER CMD ARGS and docker run
// [opts] IMAGE CMD ARGS (the command runs in the container; with -v /:/host
// it reaches the host).
func peelDockerExec(argv []Word) peeled {
	i := optScan(argv, 1, "-H --host --config --context -c -l --log-level")
	if i < len(argv) && argv[i].Text == "container" {
		i++
	}
	if i >= len(argv) {
		return peeled{}
	}
	switch argv[i].Text {
	case "exec":
		j := optScan(argv, i+1, "-e --env --env-file -u --user -w --workdir --detach-keys")
		return wrapAt(argv, j+1)
	case "run":
		j := optScan(argv, i+1, dockerRunValued)
		return wrapAt(argv, j+1)
	}
	return peeled{}
}

// dockerRunValued are docker run's options that take a value.
const dockerRunValued = "-a --attach -c --cpu-shares --cidfile --cpus --cpuset-cpus --cpuset-mems -e --env --env-file --entrypoint -h --hostname -l --label --label-file --link --log-driver --log-opt -m --memory --memory-swap --mount --name --network --net --network-alias -p --publish --platform --pull --restart --runtime --security-opt --shm-size --stop-signal --stop-timeout --tmpfs -u --user --ulimit -v --volume --volumes-from -w --workdir --device --dns --dns-search --dns-option --add-host --cap-add --cap-drop --gpus --health-cmd --health-interval --health-retries --health-timeout --ipc --pid --userns --uts --group-add --mac-address --ip --ip6 --isolation --kernel-memory --oom-score-adj --storage-opt --sysctl --cgroupns --cgroup-parent --blkio-weight --device-read-bps --device-write-bps --expose --detach-keys"
