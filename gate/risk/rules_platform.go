package risk

import (
	"strings"
)

// platformFamilies rates cluster installers, service meshes, configuration
// management and cloud CLIs without rules of their own elsewhere.
func platformFamilies() []family {
	return []family{
		{[]string{"kubeadm"}, table([]string{"--config", "--kubeconfig", "--cri-socket"},
			subRule{"reset", nil, CatInfraTeardown, LevelCritical, "wipes the node's Kubernetes state"},
			subRule{"upgrade apply", nil, CatInfraTeardown, LevelMedium, "upgrades the control plane"},
			subRule{"token create", []string{"--print-join-command"}, CatSecrets, LevelMedium, "prints a cluster join token"},
			subRule{"init|join", nil, CatInfraTeardown, LevelLow, "creates or joins a cluster"},
		)},
		{[]string{"talosctl"}, table([]string{"-n", "--nodes", "-e", "--endpoints", "--talosconfig"},
			subRule{"reset", nil, CatInfraTeardown, LevelCritical, "wipes a Talos node"},
			subRule{"shutdown|reboot", nil, CatSystemProcess, LevelHigh, "shuts down or reboots cluster nodes"},
			subRule{"upgrade|upgrade-k8s|apply-config", nil, CatInfraTeardown, LevelMedium, "upgrades or reconfigures cluster nodes"},
			subRule{"etcd remove-member|forfeit-leadership", nil, CatInfraTeardown, LevelHigh, "changes etcd membership"},
		)},
		{[]string{"rke", "rke2", "k0s", "k0sctl"}, table([]string{"--config"},
			subRule{"remove|reset|destroy", nil, CatInfraTeardown, LevelCritical, "tears down the cluster"},
			subRule{"up|apply|install", nil, CatInfraTeardown, LevelLow, "creates or changes the cluster"},
		)},
		{[]string{"istioctl"}, table([]string{"-n", "--namespace", "--context", "-f", "--filename", "-r", "--revision"},
			subRule{"uninstall", nil, CatInfraTeardown, LevelHigh, "removes Istio from the cluster"},
			subRule{"x|experimental uninstall", nil, CatInfraTeardown, LevelHigh, "removes Istio from the cluster"},
			subRule{"tag remove", nil, CatInfraTeardown, LevelMedium, "removes a revision tag"},
			subRule{"install|upgrade", nil, CatContainers, LevelLow, "installs or upgrades Istio"},
			subRule{"manifest apply", nil, CatContainers, LevelLow, "installs or upgrades Istio"},
		)},
		{[]string{"linkerd", "cilium", "calicoctl", "kubectl-calico"}, table([]string{"--context", "-n", "--namespace"},
			subRule{"uninstall", nil, CatInfraTeardown, LevelHigh, "removes the mesh or network plugin from the cluster"},
			subRule{"delete", nil, CatInfraTeardown, LevelHigh, "deletes network policy objects"},
			subRule{"install|upgrade", nil, CatContainers, LevelLow, "installs or upgrades cluster networking"},
		)},
		{[]string{"kustomize", "kapp", "kubecfg", "skaffold", "tilt", "garden", "devspace", "werf", "okteto"}, table([]string{"-a", "--app", "-n", "--namespace", "-f", "--file", "--kube-context"},
			subRule{"delete|destroy|purge|down|dismantle|cleanup", nil, CatInfraTeardown, LevelHigh, "deletes the deployed application's resources"},
			subRule{"deploy|run|apply|up|converge", []string{"--dangerous-allow-empty-list-of-resources", "--prune", "--force"}, CatInfraTeardown, LevelMedium, "deploys and deletes resources missing from the manifests"},
			subRule{"deploy|run|apply|up|converge", nil, CatContainers, LevelLow, "deploys to the cluster"},
		)},
		{[]string{"salt", "salt-ssh", "salt-call"}, (*assessor).salt},
		{[]string{"salt-key"}, table(nil,
			subRule{"", []string{"-D", "--delete-all"}, CatInfraTeardown, LevelHigh, "deletes every minion key, disconnecting all managed machines"},
			subRule{"", []string{"-d", "--delete"}, CatInfraTeardown, LevelMedium, "deletes a minion key"},
			subRule{"", []string{"-A", "--accept-all"}, CatPrivilege, LevelMedium, "accepts every pending minion key unchecked"},
		)},
		{[]string{"knife"}, table([]string{"-c", "--config", "-s", "--server-url", "-E", "--environment"},
			subRule{"* bulk delete", nil, CatInfraTeardown, LevelCritical, "deletes Chef objects in bulk"},
			subRule{"node|client|role|environment|cookbook|data|vault|user|org delete", nil, CatInfraTeardown, LevelHigh, "deletes Chef server objects"},
			subRule{"ssh", nil, CatRemoteCode, LevelMedium, "runs a command on many nodes"},
			subRule{"vault show", nil, CatSecrets, LevelHigh, "prints Chef vault secrets"},
		)},
		{[]string{"puppet"}, table(nil,
			subRule{"node clean|deactivate|purge", nil, CatInfraTeardown, LevelHigh, "removes a node from Puppet"},
			subRule{"cert clean|revoke", nil, CatInfraTeardown, LevelHigh, "revokes or removes node certificates"},
			subRule{"apply|agent", nil, CatInfraTeardown, LevelLow, "applies configuration to the machine"},
		)},
		{[]string{"vultr-cli", "civo", "upcloud", "aliyun", "tccli", "tencentcloud", "huaweicloud", "hwcloud", "ovhcloud", "gandi", "ionosctl", "metal", "packet", "equinix"}, onNameArgs((*assessor).cloudVerbs)},
	}
}

func (a *assessor) salt(name string, args []arg, c ctx) {
	p := positionals(args, "-G", "--grain", "-L", "--list", "-E", "--pcre", "-C", "--compound", "-N", "--nodegroup", "-t", "--timeout", "-b", "--batch-size", "--out", "-c", "--config-dir", "--roster-file", "-i")
	if name != "salt-call" && len(p) > 0 && !hasFlag(args, "-G", "--grain", "-L", "--list", "-E", "--pcre", "-C", "--compound", "-N", "--nodegroup") {
		p = p[1:] // the target
	}
	if len(p) == 0 {
		return
	}
	fn := p[0].s
	switch {
	case oneOf(fn, "cmd.run", "cmd.shell", "cmd.exec_code", "cmd.script"):
		a.add(CatRemoteCode, LevelLow, "runs a shell command on many machines with `"+name+" "+fn+"`")
		if len(p) > 1 && fn != "cmd.script" {
			a.reparse(p[1], ctx{depth: c.depth + 1}, "`"+name+" "+fn+"`")
		}
	case oneOf(fn, "system.reboot", "system.shutdown", "system.halt", "system.poweroff"):
		a.add(CatSystemProcess, LevelCritical, "`"+name+" "+fn+"` reboots or shuts down the targeted machines")
	case oneOf(fn, "file.remove", "file.rmdir", "file.delete"):
		a.add(CatDestructiveFS, LevelHigh, "`"+name+" "+fn+"` deletes files on the targeted machines")
	case strings.HasPrefix(fn, "state.") && (oneOf(fn, "state.apply", "state.highstate", "state.sls")):
		a.add(CatInfraTeardown, LevelLow, "`"+name+" "+fn+"` applies configuration states")
	case hasSuffixAny(fn, ".purge", ".remove", ".delete"):
		a.add(CatInfraTeardown, LevelMedium, "`"+name+" "+fn+"` removes packages, users or services on the targeted machines")
	}
}

// cloudVerbs rates smaller cloud CLIs ("<cli> <service> <verb>") by the
// verb, with CamelCase API actions (aliyun ecs DeleteInstance) included.
func (a *assessor) cloudVerbs(name string, args []arg) {
	p := positionals(args, "--region", "-r", "--profile", "-o", "--output", "--project", "-p", "--zone", "-z")
	for i, x := range firstN(p, 3) {
		l := strings.ToLower(x)
		for _, v := range []string{"delete", "destroy", "terminate", "remove", "release", "purge", "rm"} {
			if l == v || strings.HasPrefix(l, v) && len(l) > len(v) && v != "rm" && v != "release" || strings.HasPrefix(l, v+"-") {
				lvl := LevelHigh
				if ctxt := strings.ToLower(strings.Join(firstN(p, i), " ")); containsAny(ctxt, "cluster", "kubernetes") || containsAny(l, "cluster", "database", "bucket") {
					lvl = LevelCritical
				}
				a.add(CatCloud, lvl, "`"+name+" "+strings.Join(firstN(p, i+1), " ")+"` deletes cloud resources")
				return
			}
		}
	}
}
