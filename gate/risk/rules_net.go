package risk

import (
	"strings"
)

// netFamilies rates downloads, uploads, remote shells, tunnels and accounts.
func netFamilies() []family {
	return []family{
		{[]string{"ip", "ifconfig", "ifdown", "nmcli", "route"}, onNameArgs((*assessor).netDown)},
		{[]string{"curl", "wget", "http", "https", "xh", "aria2c", "fetch", "Invoke-WebRequest", "iwr", "Invoke-RestMethod", "irm", "wget2", "curlie"}, (*assessor).fetch},
		{[]string{"nc", "ncat", "netcat", "socat", "telnet"}, (*assessor).netcat},
		{[]string{"scp", "sftp", "ftp", "lftp", "smbclient"}, (*assessor).transfer},
		{[]string{"rclone"}, (*assessor).rclone},
		{[]string{"ssh", "mosh", "autossh"}, (*assessor).ssh},
		{[]string{"ngrok", "cloudflared", "lt", "localtunnel", "bore", "frpc", "serveo", "tailscale", "zrok", "expose"}, onNameArgs((*assessor).tunnel)},
		{[]string{"useradd", "adduser", "usermod", "gpasswd", "passwd", "chpasswd", "visudo", "setcap", "newuidmap", "userdel", "deluser", "groupadd", "addgroup", "chsh", "sudoedit", "vipw"}, onNameArgs((*assessor).users)},
		{[]string{"dig", "nslookup", "host", "ping", "traceroute"}, noRule},
	}
}

func (a *assessor) netDown(name string, args []arg) {
	l := joinArgs(args)
	if strings.Contains(l, " down") || name == "ifdown" || containsAny(l, "route del", "route flush") || strings.HasPrefix(l, "del default") || strings.Contains(l, "addr flush") {
		a.add(CatNetworkExposure, LevelHigh, "`"+name+" "+l+"` takes down networking, which can cut off access to the machine")
	}
}

// fetch handles downloads (remembering the file for later execution) and
// uploads of local data.
func (a *assessor) fetch(name string, args []arg, c ctx) {
	out := downloadTarget(name, args)
	if strings.HasPrefix(out, "/") && out != "/dev/null" && out != "-" {
		a.writeTarget(arg{s: out, static: true}, false, "`"+name+"` downloads", c)
	}
	if name == "curl" && hasShort(args, 'O') && !hasShort(args, 'o') {
		for _, p := range positionals(args) {
			out = baseName(strings.SplitN(p.s, "?", 2)[0])
		}
	}
	a.remember(out)
	if hasPrefixAny(out, "/usr/local/bin/", "/usr/bin/", "~/bin/") {
		a.add(CatPackageInstall, LevelLow, "`"+name+"` downloads a binary into "+quote(out))
	}
	a.upload(name, args, c)
	method, body := httpMethod(name, args)
	for _, p := range positionals(args, "-X", "--request", "-H", "--header", "-d", "--data", "-o", "-u", "--user", "-A", "-e", "-F", "-T", "--data-binary", "--data-raw", "-b", "--cookie", "-w", "-m", "--retry", "-Method", "-Uri") {
		a.httpTarget(name, method, body, p)
	}
	if hasShort(args, 'k') && name == "curl" || hasFlag(args, "--insecure", "--no-check-certificate") {
		a.add(CatNetworkExposure, LevelLow, "`"+name+"` disables TLS certificate checks")
	}
}

// downloadTarget is the file a download is written to, if any.
func downloadTarget(name string, args []arg) string {
	out := flagValue(args, "-o", "--output", "-O", "--output-document", "-OutFile")
	if out == "" && name == "wget" && !hasFlag(args, "-O", "-qO-", "-O-") {
		for _, p := range positionals(args, "-P", "-e", "--header", "-U") {
			if strings.Contains(p.s, "://") {
				out = baseName(strings.SplitN(p.s, "?", 2)[0])
			}
		}
	}
	for i, x := range args {
		if name == "wget" && (strings.HasPrefix(x.s, "-qO") || strings.HasPrefix(x.s, "-O") && len(x.s) > 2) {
			out = strings.TrimPrefix(strings.TrimPrefix(x.s, "-qO"), "-O")
		}
		if name == "curl" && len(x.s) > 2 && x.s[0] == '-' && x.s[1] != '-' && strings.HasSuffix(x.s, "o") && i+1 < len(args) {
			out = args[i+1].s
		}
	}
	return out
}

// httpMethod returns the request's method and body (curl -X, -d; httpie's
// leading METHOD word).
func httpMethod(name string, args []arg) (method, body string) {
	method = strings.ToUpper(flagValue(args, "-X", "--request", "--method", "-Method"))
	for _, x := range args {
		if strings.HasPrefix(x.s, "-X") && len(x.s) > 2 {
			method = strings.ToUpper(x.s[2:])
		}
	}
	body = flagValue(args, "-d", "--data", "--data-raw", "--data-binary", "--json", "--data-urlencode")
	if method == "" && body != "" {
		method = "POST"
	}
	if pp := positionals(args); len(pp) > 1 && oneOf(name, "http", "https", "xh") && strings.ToUpper(pp[0].s) == pp[0].s {
		method = pp[0].s
	}
	return method, body
}

// httpTarget rates one URL argument: secrets in the URL, deletes, and
// data-store APIs that delete.
func (a *assessor) httpTarget(name, method, body string, p arg) {
	if p.param != "" && secretVar(p.param) && strings.Contains(p.s, "://") && !strings.HasPrefix(p.s, "$") && !containsAny(p.s, "github.com", "@") {
		a.add(CatExfiltration, LevelHigh, "`"+name+"` puts the secret "+quote("$"+p.param)+" into a URL, where proxies and logs record it")
	}
	if !strings.Contains(p.s, "/") {
		return
	}
	if method != "DELETE" {
		a.httpDataOp(name, method, p.s, body)
		return
	}
	lvl := LevelMedium
	if strings.Contains(p.s, "_all") || strings.HasSuffix(p.s, "/*") || strings.Contains(p.s, ":9200/*") {
		lvl = LevelCritical
	} else if containsAny(p.s, ":9200", "elastic", "opensearch") {
		lvl = LevelHigh
	}
	a.add(CatDatabase, lvl, "`"+name+" -X DELETE` deletes the remote resource "+quote(p.s))
}

func (a *assessor) upload(name string, args []arg, c ctx) {
	for i, x := range args {
		s := x.s
		var data string
		switch {
		case oneOf(s, "-T", "--upload-file", "-F", "--form", "-d", "--data", "--data-binary", "--data-raw", "--data-urlencode", "--post-file", "--body-file", "-InFile", "--json"):
			if i+1 < len(args) {
				data = args[i+1].s
				if oneOf(s, "-T", "--upload-file", "--post-file", "--body-file", "-InFile") {
					data = "@" + data
				}
				x = args[i+1]
			}
		case hasPrefixAny(s, "--post-file=", "--data=@", "--data-binary=@", "-d@"):
			_, data, _ = strings.Cut(s, "=")
			data = "@" + strings.TrimPrefix(strings.TrimPrefix(data, "@"), "-d@")
		default:
			continue
		}
		file := ""
		if j := strings.Index(data, "@"); j >= 0 && (j == 0 || data[j-1] == '=') {
			file = strings.TrimPrefix(strings.SplitN(data[j+1:], ";", 2)[0], "<")
		}
		if lvl, d := secretTier(file); lvl > LevelNone {
			a.add(CatExfiltration, LevelCritical, "uploads the credentials "+d+" with `"+name+"`")
			continue
		}
		if x.param != "" && secretVar(x.param) && !strings.Contains(strings.ToLower(x.s), "token=") {
			a.add(CatExfiltration, LevelMedium, "`"+name+"` sends the secret "+quote("$"+x.param)+" in a request body")
			continue
		}
		if file == "-" && c.stdin == stdinFile {
			if lvl, d := secretTier(c.hdoc); lvl > LevelNone {
				a.add(CatExfiltration, LevelCritical, "uploads the credentials "+d+" with `"+name+"`")
				continue
			}
		}
		switch {
		case file == "-" && c.stdin == stdinPipe:
			a.add(CatExfiltration, LevelMedium, "`"+name+"` uploads the output of "+quote(c.from))
		case oneOf(file, "/etc/passwd", "/etc/hosts") || hasPrefixAny(file, "/etc/", "/var/log"):
			a.add(CatExfiltration, LevelHigh, "`"+name+"` uploads the system file "+quote(file))
		case file != "" && file != "-":
			if dest := dropSite(args); dest != "" {
				a.add(CatExfiltration, LevelHigh, "`"+name+"` uploads "+quote(file)+" to "+quote(dest)+", a file-drop or bare-IP host")
				continue
			}
			a.add(CatExfiltration, LevelLow, "`"+name+"` uploads the file "+quote(file))
		}
	}
}

// dropSite returns a URL argument that points at an anonymous file-drop
// service or a bare IP address, where uploads are rarely legitimate.
func dropSite(args []arg) string {
	for _, x := range args {
		u := strings.ToLower(x.s)
		if !strings.Contains(u, "://") {
			continue
		}
		host := u[strings.Index(u, "://")+3:]
		if i := strings.IndexAny(host, "/:?"); i >= 0 {
			host = host[:i]
		}
		for _, d := range []string{"transfer.sh", "pastebin.com", "paste.ee", "0x0.st", "file.io", "webhook.site", "requestbin", "pipedream.net", "ngrok", "hastebin", "termbin.com", "oast", "interact.sh", "burpcollaborator", "anonfiles", "temp.sh", "bashupload"} {
			if strings.Contains(host, d) {
				return x.s
			}
		}
		if host != "" && strings.Trim(host, "0123456789.") == "" && host != "127.0.0.1" && !strings.HasPrefix(host, "10.") && !strings.HasPrefix(host, "192.168.") {
			return x.s
		}
	}
	return ""
}

func (a *assessor) netcat(name string, args []arg, c ctx) {
	l := joinArgs(args)
	switch {
	case hasShort(args, 'e') || hasShort(args, 'c') || hasFlag(args, "--exec", "--sh-exec", "--lua-exec") || strings.Contains(strings.ToLower(l), "exec:") || strings.Contains(l, "system:"):
		a.add(CatRemoteCode, LevelCritical, "`"+name+"` attaches a shell to a network connection (a reverse or bind shell)")
	case name == "socat" && strings.Contains(strings.ToLower(l), "file:") && strings.Contains(strings.ToLower(l), "tcp"):
		a.add(CatExfiltration, LevelHigh, "`socat` connects a local file to a network socket ("+quote(l)+")")
	case c.stdin == stdinNet && c.from == "":
		a.add(CatRemoteCode, LevelHigh, "`"+name+"` reads from a network socket")
	case hasShort(args, 'l') || hasFlag(args, "--listen") || strings.Contains(strings.ToUpper(l), "LISTEN"):
		a.add(CatNetworkExposure, LevelMedium, "`"+name+"` listens for incoming network connections")
	case c.stdin == stdinFile:
		lvl, d := secretTier(c.hdoc)
		if lvl > LevelNone {
			a.add(CatExfiltration, LevelCritical, "sends the credentials "+d+" over the network with `"+name+"`")
		} else {
			a.add(CatExfiltration, LevelMedium, "sends the file "+quote(c.hdoc)+" over the network with `"+name+"`")
		}
	case c.stdin == stdinPipe:
		a.add(CatExfiltration, LevelMedium, "sends the output of "+quote(c.from)+" over the network with `"+name+"`")
	}
}

// transfer handles scp/rsync/rclone and friends: copying local data to
// another host.
func (a *assessor) transfer(name string, args []arg, c ctx) {
	p := positionals(args, "-P", "-i", "-o", "-F", "-e", "-J", "-c", "-l", "-S", "--rsh", "--exclude", "--include", "--filter", "-f", "--config", "--port", "--chmod", "--password-file")
	if len(p) < 2 {
		return
	}
	dst := p[len(p)-1].s
	remote := isRemote(dst)
	if name == "rclone" {
		remote = strings.Contains(dst, ":")
	}
	if name == "rsync" && hasFlag(args, "--delete", "--delete-before", "--delete-after", "--delete-during", "--del", "--delete-excluded") {
		a.rsyncDelete(p[len(p)-1], remote, args)
	}
	if !remote {
		if oneOf(name, "rsync", "cp") {
			a.writeTarget(p[len(p)-1], false, "`"+name+"` writes", c)
		}
		return
	}
	a.copyOut(name, p, dst)
}

// rsyncDelete rates mirroring, which deletes whatever the destination has
// that the source lacks: a wrong or empty source wipes the destination.
func (a *assessor) rsyncDelete(dstPath arg, remote bool, args []arg) {
	dst := dstPath.s
	if remote {
		_, after, _ := strings.Cut(dst, ":")
		dstPath = arg{s: after, static: dstPath.static}
	}
	lvl := LevelMedium
	if t := pathTier(dstPath); t.lvl >= LevelCritical || t.lvl >= LevelHigh && !t.data && strings.HasPrefix(dstPath.s, "/") {
		lvl = LevelHigh
	}
	if hasFlag(args, "--dry-run", "-n") || hasShort(args, 'n') {
		lvl = LevelLow
	}
	a.add(CatDestructiveFS, lvl, "`rsync --delete` removes files at "+quote(dst)+" that are missing from the source")
}

// copyOut rates copying local files to a remote host: credentials are
// critical, system trees high, dumps and backups medium.
func (a *assessor) copyOut(name string, p []arg, dst string) {
	worst, desc := LevelLow, "local files"
	for _, src := range p[:len(p)-1] {
		if isRemote(src.s) {
			continue
		}
		if lvl, d := secretTier(src.s); lvl > LevelNone {
			a.add(CatExfiltration, LevelCritical, "`"+name+"` copies the credentials "+d+" to the remote host "+quote(dst))
			return
		}
		t := pathTier(src)
		if t.lvl >= LevelHigh && !t.data && (hasPrefixAny(src.s, "/", "~")) {
			worst, desc = LevelHigh, t.desc
		} else if l := strings.ToLower(src.s); worst < LevelMedium && (containsAny(l, "dump", "backup") || hasSuffixAny(l, ".sql", ".bak", ".db") || hasPrefixAny(l, "/var/lib", "/home")) {
			worst, desc = LevelMedium, quote(src.s)
		}
	}
	if worst < LevelMedium && dropSite([]arg{{s: "ssh://" + strings.TrimPrefix(dst[strings.IndexByte(dst, '@')+1:], "//")}}) != "" {
		worst = LevelMedium
	}
	a.add(CatExfiltration, worst, "`"+name+"` copies "+desc+" to the remote host "+quote(dst))
}

func isRemote(s string) bool {
	if strings.Contains(s, "://") {
		return true
	}
	i := strings.IndexByte(s, ':')
	return i > 0 && !strings.Contains(s[:i], "/") && !strings.HasPrefix(s, "[")
}

// ssh runs the remote command again through the analysis.
func (a *assessor) ssh(name string, args []arg, c ctx) {
	if v := flagValue(args, "-R"); v != "" {
		a.add(CatNetworkExposure, LevelMedium, "`ssh -R` exposes a local port on the remote host")
	}
	if hasFlag(args, "-D") || anyArg(args, func(x arg) bool { return strings.Contains(x.s, "GatewayPorts=yes") }) {
		a.add(CatNetworkExposure, LevelMedium, "`ssh` opens a proxy or gateway port")
	}
	p := skipOpts(args, "-p", "-i", "-l", "-o", "-F", "-J", "-L", "-R", "-D", "-b", "-c", "-E", "-e", "-m", "-O", "-Q", "-S", "-W", "-w", "-B", "-I")
	if len(p) == 0 {
		return
	}
	rest := p[1:]
	if c.stdin == stdinFile {
		if lvl, d := secretTier(c.hdoc); lvl > LevelNone {
			a.add(CatExfiltration, LevelCritical, "sends the credentials "+d+" to the remote host "+quote(p[0].s))
		}
	}
	cc := c
	cc.depth++
	cc.remote = p[0].s
	if len(rest) == 0 {
		switch c.stdin {
		case stdinText, stdinNet, stdinDecoded:
			a.stdinCode("bash", cc, true)
		case stdinFile:
			a.opaque("ssh " + p[0].s + " < " + c.hdoc)
		}
		return
	}
	if len(rest) == 1 {
		a.reparse(rest[0], cc, "`ssh "+p[0].s+"`")
		return
	}
	joined := arg{s: joinArgs(rest), static: true}
	for _, x := range rest {
		joined.static = joined.static && x.static
		joined.fetch = joined.fetch || x.fetch
	}
	a.reparse(joined, cc, "`ssh "+p[0].s+"`")
}

func (a *assessor) tunnel(name string, args []arg) {
	l := joinArgs(args)
	if name == "tailscale" && !strings.Contains(l, "funnel") {
		return
	}
	if name == "cloudflared" && !strings.Contains(l, "tunnel") {
		return
	}
	a.add(CatNetworkExposure, LevelHigh, "`"+strings.TrimSpace(name+" "+shorten(l, 40))+"` exposes a local service to the internet through a tunnel")
}

func (a *assessor) users(name string, args []arg) {
	l := joinArgs(args)
	switch name {
	case "usermod", "gpasswd", "adduser", "useradd":
		for _, g := range []string{"sudo", "wheel", "root", "admin", "docker", "adm", "disk", "lxd", "shadow"} {
			for _, x := range args {
				for _, part := range strings.Split(x.s, ",") {
					if part == g {
						lvl := LevelHigh
						if oneOf(g, "docker", "adm") {
							// Routine on CI runners, but docker membership is root-equivalent.
							lvl = LevelMedium
						}
						a.add(CatPrivilege, lvl, "`"+name+" "+l+"` adds a user to the privileged group `"+g+"`")
						return
					}
				}
			}
		}
		if flagValue(args, "-u", "--uid") == "0" || hasFlag(args, "-o") && anyArg(args, func(x arg) bool { return x.s == "0" }) || anyArg(args, func(x arg) bool { return oneOf(x.s, "-u0", "--uid=0") }) {
			a.add(CatPrivilege, LevelCritical, "`"+name+"` creates a second root account (uid 0)")
			return
		}
		if oneOf(name, "useradd", "adduser") {
			a.add(CatPrivilege, LevelLow, "`"+name+"` creates a user account")
			return
		}
		a.add(CatPrivilege, LevelMedium, "`"+name+" "+l+"` changes a user account")
	case "passwd":
		if hasShort(args, 'd') || anyArg(args, func(x arg) bool { return x.s == "root" }) {
			a.add(CatPrivilege, LevelHigh, "`passwd "+l+"` changes or removes the root password or deletes a password")
			return
		}
		a.add(CatPrivilege, LevelMedium, "`passwd` changes a password")
	case "chpasswd":
		a.add(CatPrivilege, LevelHigh, "`chpasswd` sets account passwords in bulk")
	case "setcap":
		a.add(CatPrivilege, LevelHigh, "`setcap` grants Linux capabilities to a binary ("+quote(l)+")")
	case "visudo", "sudoedit", "vipw":
		a.add(CatPrivilege, LevelHigh, "`"+name+"` edits the sudo or account configuration")
	case "userdel", "deluser":
		a.add(CatSystemProcess, LevelMedium, "`"+name+" "+l+"` deletes a user account")
	case "groupadd", "addgroup":
	default:
		a.add(CatPrivilege, LevelMedium, "`"+name+"` changes passwords or login shells")
	}
}

// rclone rates deletions on remote storage and syncs, which delete files at
// the destination that are missing from the source.
func (a *assessor) rclone(name string, args []arg, c ctx) {
	p := positionals(args, "--config", "--include", "--exclude", "--filter", "--min-age", "--max-age", "--transfers", "--checkers", "--backup-dir", "--log-file", "--bwlimit")
	if len(p) == 0 {
		return
	}
	target := nth(p, len(p)-1)
	root := hasSuffixAny(target, ":", ":/")
	dry := hasFlag(args, "--dry-run", "-n", "--interactive", "-i")
	switch p[0].s {
	case "purge", "delete", "deletefile", "rmdirs", "rmdir", "cleanup", "dedupe":
		lvl := LevelHigh
		switch {
		case dry:
			lvl = LevelLow
		case root && p[0].s != "cleanup":
			lvl = LevelCritical
		case oneOf(p[0].s, "cleanup", "rmdir", "dedupe"):
			lvl = LevelMedium
		}
		a.add(CatCloud, lvl, "`rclone "+p[0].s+" "+target+"` deletes files on remote storage")
	case "sync", "bisync", "move":
		lvl := LevelMedium
		if dry {
			lvl = LevelLow
		} else if root || pathTier(arg{s: target, static: true}).lvl >= LevelCritical {
			lvl = LevelHigh
		}
		a.add(CatDestructiveFS, lvl, "`rclone "+p[0].s+"` deletes files at "+quote(target)+" that are missing from the source")
		a.transfer(name, append([]arg(nil), p[1:]...), c)
	case "copy", "copyto", "moveto":
		a.transfer(name, append([]arg(nil), p[1:]...), c)
	}
}
