// Simple wrappers: options, maybe a fixed number of operands, then the
// command (nice, timeout, sudo …), and which wrappers are transparent to policy.

package shellcmd

import (
	"strings"
)

// simple wrappers: options (valued lists those taking a value), then skip
// operands, then the command.
type wrapSpec struct {
	valued string
	skip   int
}

var simpleWrappers = map[string]wrapSpec{
	"nohup": {}, "setsid": {}, "builtin": {}, "unbuffer": {}, "tini": {}, "dumb-init": {},
	"catchsegv": {}, "chronic": {}, "ifne": {}, "with-contenv": {}, "busybox": {}, "toybox": {},
	"time":        {valued: "-f --format -o --output"},
	"exec":        {valued: "-a"},
	"nice":        {valued: "-n --adjustment"},
	"ionice":      {valued: "-c --class -n --classdata -t"},
	"stdbuf":      {valued: "-i -o -e --input --output --error"},
	"timeout":     {valued: "-s --signal -k --kill-after", skip: 1},
	"gtimeout":    {valued: "-s --signal -k --kill-after", skip: 1},
	"chrt":        {valued: "-T -P -D --sched-runtime --sched-period --sched-deadline", skip: 1},
	"taskset":     {skip: 1},
	"numactl":     {valued: "-C -N -m -p -i --physcpubind --cpunodebind --membind --preferred --interleave"},
	"cpulimit":    {valued: "-l --limit -e --exe -P --path"},
	"trickle":     {valued: "-u -d -w -t -l -n"},
	"strace":      {valued: "-e -o -p -s -u -E -a -b -I -O -P -S -X --output --attach --user --env --trace --signal"},
	"ltrace":      {valued: "-e -o -p -s -u -n -a -A -D -F -l -w --output --library"},
	"fakeroot":    {valued: "-l --lib -s -i --faked"},
	"nsenter":     {valued: "-t --target -S --setuid -G --setgid -w --wd -R --root -Z"},
	"unshare":     {valued: "--map-user --map-group --setgroups --propagation -S --setuid -G --setgid -R --root -w --wd --map-users --map-groups"},
	"systemd-run": {valued: "-p --property -u --unit -E --setenv --uid --gid --working-directory --slice --description --on-calendar --on-active --on-boot --on-startup --on-unit-active --on-unit-inactive --timer-property -M --machine -H --host --nice --path-property --socket-property --service-type -G"},
	"run0":        {valued: "-u --user -g --group -D --chdir --setenv --unit --property --description --slice --nice --machine"},
	"sudo":        {valued: "-u -g -h -p -C -D -r -t -T -U --user --group --host --prompt --chdir --close-from --role --type --command-timeout --other-user"},
	"doas":        {valued: "-u -C"},
	"pkexec":      {valued: "--user"},
	"chroot":      {valued: "--userspec --groups", skip: 1},
	"gosu":        {skip: 1},
	"su-exec":     {skip: 1},
	"proxychains": {valued: "-f"}, "proxychains4": {valued: "-f"},
	"torsocks":   {valued: "-u -p -a -P"},
	"caffeinate": {valued: "-w -t"},
	"screen":     {valued: "-S -c -e -h -p -s -T -Logfile"},
	"dotenv":     {valued: "-e -f -v -p"},
	"retry":      {valued: "-t --times -d --delay"},
}

// Transparent wrappers change nothing a policy cares about: an allow rule
// does not need to name them, only what they run. Everything else that
// wraps (sudo, ssh, su, kubectl exec, screen, systemd-run …) must itself
// match an allow pattern.
var transparent = map[string]bool{
	"nohup": true, "builtin": true, "command": true, "exec": true, "time": true, "nice": true,
	"ionice": true, "stdbuf": true, "timeout": true, "gtimeout": true, "chrt": true, "taskset": true,
	"env": true, "eval": true, "xargs": true, "unbuffer": true, "busybox": true, "chronic": true,
}

// Transparent reports whether this wrapper entry changes nothing an allow
// rule cares about (nice, timeout, env, bash -c, …), so that only what it
// runs must match.
func (c *Command) Transparent() bool {
	if !c.Wrapper || c.Name().Dynamic {
		return false
	}
	name := c.Name().Text
	switch {
	case isShell(name):
		for _, w := range c.Argv[1:max(c.Inner, 1)] {
			s := w.Text
			if strings.HasPrefix(s, "--") && s != "--" && s != "--noprofile" && s != "--norc" && s != "--posix" {
				return false
			}
			if strings.HasPrefix(s, "-") && strings.ContainsAny(s, "il") {
				return false
			}
		}
		return true
	case name == "uv" || name == "poetry" || name == "pipenv" || name == "pdm" || name == "hatch" || name == "rye":
		return c.Inner == 2
	}
	return transparent[name]
}

// peelSimple peels a wrapper of simpleWrappers; a few of them also have a
// form that runs nothing (taskset -p PID, sudo -l).
func peelSimple(name string, argv []Word, s wrapSpec, stdin stdinKind) peeled {
	i := optScan(argv, 1, s.valued)
	switch name {
	case "taskset", "chrt", "ionice":
		if targetsPid(argv[1:i]) {
			return peeled{}
		}
		if name == "taskset" {
			i, s.skip = tasksetCPUs(argv, i, s.skip)
		}
	case "sudo", "doas", "run0", "pkexec":
		if runsNothing(argv[1:i]) {
			return peeled{}
		}
		if i >= len(argv) {
			return peeled{stdin: stdin != stdinNone}
		}
	case "busybox", "toybox":
		if i < len(argv) && isShell(argv[i].Text) {
			return wrapAt(argv, i)
		}
	}
	return wrapAt(argv, i+s.skip)
}

// targetsPid reports options that act on a running process (taskset -p
// PID, chrt --pid, ionice -p): then nothing new is run.
func targetsPid(opts []Word) bool {
	for _, w := range opts {
		if strings.HasPrefix(w.Text, "-") && !strings.HasPrefix(w.Text, "--") && strings.Contains(w.Text, "p") || w.Text == "--pid" || w.Text == "--all-tasks" {
			return true
		}
	}
	return false
}

// tasksetCPUs: with -c/--cpu-list the cpu list is an option value, not the
// mask operand, so nothing is skipped after the options but the list itself.
// It returns the adjusted operand index and skip.
func tasksetCPUs(argv []Word, i, skip int) (int, int) {
	for _, w := range argv[1:i] {
		if strings.HasPrefix(w.Text, "-c") || w.Text == "--cpu-list" {
			skip = 0
		}
	}
	if i > 1 && skip == 0 && i < len(argv) {
		i++ // the cpu list after -c
	}
	return i, skip
}

// runsNothing reports sudo-style options that edit, list or validate
// instead of running a command (sudo -e, sudo -l, sudo -v, sudo -k).
func runsNothing(opts []Word) bool {
	for _, w := range opts {
		switch w.Text {
		case "-e", "--edit", "-l", "--list", "-v", "-k", "-K":
			return true
		}
	}
	return false
}
