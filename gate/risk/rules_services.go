package risk

import (
	"strings"
)

// service handles systemctl/service/launchctl.
func (a *assessor) service(name string, args []arg) {
	p := positionals(args)
	if name == "service" && len(p) >= 2 {
		p = []arg{p[1], p[0]}
	}
	if len(p) == 0 {
		return
	}
	verb := strings.ToLower(p[0].s)
	unit := ""
	if len(p) > 1 {
		unit = p[1].s
	}
	critical, data := false, false
	for _, u := range []string{"ssh", "sshd", "docker", "containerd", "kubelet", "network", "networking", "NetworkManager", "systemd-networkd", "systemd-resolved", "firewalld", "ufw", "iptables", "nftables", "auditd", "cron", "crond", "sssd", "rsyslog", "systemd-journald", "falcon-sensor", "osqueryd", "wazuh-agent", "apparmor", "fail2ban", "clamav", "amazon-ssm-agent", "google-guest-agent", "walinuxagent"} {
		if strings.HasPrefix(unit, u) {
			critical = true
		}
	}
	for _, u := range []string{"postgresql", "mysql", "mariadb", "mongod", "redis", "nginx", "apache2", "httpd", "elasticsearch", "rabbitmq", "kafka", "memcached", "haproxy", "php", "tomcat"} {
		if strings.HasPrefix(unit, u) {
			data = true
		}
	}
	switch verb {
	case "isolate":
		if hasPrefixAny(unit, "rescue", "emergency", "poweroff", "reboot", "halt") {
			a.add(CatSystemProcess, LevelCritical, "`"+name+" isolate "+unit+"` stops every service and takes the machine down or to single-user mode")
			return
		}
		a.add(CatSystemProcess, LevelMedium, "`"+name+" isolate "+unit+"` stops every unit the target does not need")
	case "reboot", "poweroff", "halt", "kexec", "emergency", "rescue", "suspend", "hibernate":
		a.add(CatSystemProcess, LevelCritical, "`"+name+" "+verb+"` takes the machine down")
	case "stop", "disable", "mask", "kill", "unload", "bootout":
		// Stopping access, security or data services is what takes a
		// machine or an application down; other units are medium.
		lvl := LevelMedium
		if critical || data {
			lvl = LevelHigh
		}
		cat := CatSystemProcess
		if strings.Contains(unit, "firewall") || unit == "ufw" || hasPrefixAny(unit, "iptables", "apparmor", "auditd", "fail2ban") {
			cat = CatNetworkExposure
		}
		a.add(cat, lvl, "`"+name+" "+verb+" "+unit+"` stops a system service")
		if cat != CatSystemProcess {
			a.add(CatSystemProcess, lvl, "the stopped service no longer protects or serves the machine")
		}
	case "restart", "reload", "try-restart", "reload-or-restart", "start", "enable":
		if (critical || data) && (oneOf(verb, "restart", "start")) {
			a.add(CatSystemProcess, LevelLow, "`"+name+" "+verb+" "+unit+"` restarts a system service")
		}
	}
}

// firewall handles iptables/nft/ufw/firewall-cmd.
func (a *assessor) firewall(name string, args []arg) {
	l := joinArgs(args)
	switch name {
	case "iptables", "ip6tables", "iptables-legacy", "iptables-nft":
		switch {
		case hasShort(args, 'F') || hasFlag(args, "--flush", "-X", "--delete-chain"):
			a.add(CatNetworkExposure, LevelHigh, "`"+name+" "+l+"` flushes the firewall rules, opening the machine to all traffic")
			a.add(CatSystemProcess, LevelHigh, "changes the host's packet filtering at run time")
		case hasShort(args, 'P') && strings.Contains(l, "ACCEPT"):
			a.add(CatNetworkExposure, LevelHigh, "`"+name+" "+l+"` sets the default firewall policy to ACCEPT")
		case strings.Contains(l, "ACCEPT") && (hasShort(args, 'A') || hasShort(args, 'I')):
			a.add(CatNetworkExposure, LevelMedium, "`"+name+"` opens the firewall: "+quote(l))
		case hasShort(args, 'L') || hasShort(args, 'S'):
		default:
			a.add(CatNetworkExposure, LevelLow, "`"+name+"` changes firewall rules: "+quote(l))
		}
	case "nft":
		if containsAny(l, "flush", "delete") {
			a.add(CatNetworkExposure, LevelHigh, "`nft "+l+"` removes firewall rules")
		} else if containsAny(l, "add", "insert") {
			a.add(CatNetworkExposure, LevelLow, "`nft` changes firewall rules")
		}
	case "ufw":
		switch {
		case containsAny(l, "disable", "reset"):
			a.add(CatNetworkExposure, LevelHigh, "`ufw "+l+"` turns the firewall off")
			a.add(CatSystemProcess, LevelHigh, "changes the host's packet filtering at run time")
		case strings.Contains(l, "allow"):
			a.add(CatNetworkExposure, LevelMedium, "`ufw "+l+"` opens a port")
		}
	case "firewall-cmd":
		switch {
		case containsAny(l, "--panic-off", "--set-default-zone=trusted", "--remove-"):
			a.add(CatNetworkExposure, LevelHigh, "`firewall-cmd "+l+"` weakens the firewall")
		case containsAny(l, "--add-port", "--add-service"):
			a.add(CatNetworkExposure, LevelMedium, "`firewall-cmd "+l+"` opens a port")
		}
	}
}
