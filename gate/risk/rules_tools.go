package risk

import (
	"strings"
)

// miscFamilies rates single-purpose tools: schedulers, editors with shell
// escapes, miners, sniffers, crackers and scanners.
func miscFamilies() []family {
	return []family{
		{[]string{"umask"}, onArgs((*assessor).umask)},
		{[]string{"at", "batch"}, (*assessor).at},
		{[]string{"netsh", "Set-NetFirewallProfile"}, onNameArgs((*assessor).winFirewall)},
		{[]string{"vim", "vi", "nvim", "ex", "view", "less", "more", "man", "ed"}, (*assessor).editor},
		{[]string{"xmrig", "minerd", "cpuminer", "ethminer", "t-rex", "nbminer", "cgminer", "bfgminer", "lolminer", "phoenixminer", "nanominer"}, fixed(CatSystemProcess, LevelHigh, "is a cryptocurrency miner")},
		{[]string{"tcpdump", "tshark", "dumpcap", "ettercap", "bettercap", "mitmproxy", "mitmdump"}, fixed(CatSecrets, LevelMedium, "captures network traffic, which can include credentials")},
		{[]string{"john", "hashcat", "hydra", "medusa", "mimikatz", "lazagne", "secretsdump.py", "crackmapexec", "responder"}, fixed(CatSecrets, LevelHigh, "is a credential-cracking or credential-theft tool")},
		{[]string{"nmap", "masscan", "zmap", "nikto", "sqlmap", "gobuster", "nuclei"}, fixed(CatNetworkExposure, LevelMedium, "scans or attacks network hosts")},
		{[]string{"gpg"}, onArgs((*assessor).gpg)},
		{[]string{"unset"}, onArgs((*assessor).unset)},
		{[]string{"journalctl"}, table(nil,
			subRule{"", []string{"--vacuum-time=1s", "--vacuum-size=1", "--vacuum-size=1K", "--vacuum-size=1M", "--vacuum-files=1"}, CatSystemProcess, LevelHigh, "deletes the system journal, erasing the record of what happened"},
			subRule{"", []string{"--vacuum-time*", "--vacuum-size*", "--vacuum-files*"}, CatSystemProcess, LevelMedium, "deletes old journal files"},
			subRule{"", []string{"--flush", "--rotate", "-f", "-u", "-n", "--since", "-b", "--no-pager"}, CatSystemProcess, LevelNone, ""},
		)},
		{[]string{"wevtutil"}, table(nil,
			subRule{"cl|clear-log", nil, CatSystemProcess, LevelHigh, "clears a Windows event log, erasing the record of what happened"},
		)},
		{[]string{"Clear-EventLog", "Remove-EventLog"}, fixed(CatSystemProcess, LevelHigh, "clears Windows event logs, erasing the record of what happened")},
		{[]string{"auditctl"}, table(nil,
			subRule{"", []string{"-D"}, CatSystemProcess, LevelHigh, "deletes every audit rule"},
			subRule{"", []string{"-e"}, CatSystemProcess, LevelMedium, "changes whether the kernel audits at all"},
		)},
		{[]string{"logrotate"}, table(nil,
			subRule{"", []string{"-f", "--force"}, CatSystemProcess, LevelLow, "rotates logs now"},
		)},
	}
}

// fixed is a rule that rates every use of a command the same.
func fixed(cat string, lvl Level, why string) ruleFunc {
	return func(a *assessor, name string, _ []arg, _ ctx) {
		a.add(cat, lvl, "`"+name+"` "+why)
	}
}

func (a *assessor) umask(args []arg) {
	if len(args) > 0 && (oneOf(args[0].s, "000", "0000", "0")) {
		a.add(CatPermissions, LevelMedium, "`umask "+args[0].s+"` makes every file created afterwards writable by all users")
	}
}

func (a *assessor) at(name string, _ []arg, c ctx) {
	a.add(CatSystemProcess, LevelLow, "`"+name+"` schedules commands to run later")
	if c.stdin == stdinText {
		cc := c
		cc.depth++
		cc.stdin, cc.hdoc = stdinTerminal, ""
		a.script(c.hdoc, cc, false)
	}
}

func (a *assessor) winFirewall(name string, args []arg) {
	if l := strings.ToLower(joinArgs(args)); containsAny(l, "state off", "-enabled false") {
		a.add(CatNetworkExposure, LevelHigh, "`"+name+"` turns the Windows firewall off")
	}
}

// editor catches shell escapes (vim -c ':!sh'); pagers also read files.
func (a *assessor) editor(name string, args []arg, c ctx) {
	for i, x := range args {
		v := x.s
		if (oneOf(v, "-c", "+")) && i+1 < len(args) {
			v = args[i+1].s
		}
		if containsAny(v, ":!", ":shell") || strings.HasPrefix(v, "!") || strings.Contains(v, "system(") {
			lvl := LevelMedium
			if c.sudo {
				lvl = LevelHigh
			}
			a.add(CatPrivilege, lvl, "`"+name+"` escapes to a shell ("+quote(v)+")")
			return
		}
	}
	if oneOf(name, "less", "more") {
		a.secretArgs(name, args, c)
	}
}

func (a *assessor) gpg(args []arg) {
	if hasFlag(args, "--export-secret-keys", "--export-secret-subkeys") {
		a.add(CatSecrets, LevelHigh, "`gpg --export-secret-keys` prints private signing keys")
	}
	if hasFlag(args, "--delete-secret-keys", "--delete-secret-and-public-keys") {
		a.add(CatSecrets, LevelHigh, "`gpg --delete-secret-keys` deletes private signing keys")
	}
}

func (a *assessor) unset(args []arg) {
	if anyArg(args, func(x arg) bool { return x.s == "HISTFILE" }) {
		a.add(CatSystemProcess, LevelMedium, "`unset HISTFILE` disables shell history, which hides what was run")
	}
}
