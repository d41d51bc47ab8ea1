package shellcmd

import (
	"path"
	"strings"
)

// binDirs are the standard directories whose programs are the same
// program as the bare name: /usr/bin/rm is rm.
var binDirs = []string{
	"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/local/bin/", "/usr/local/sbin/",
	"/usr/libexec/", "/opt/homebrew/bin/", "/snap/bin/", "/usr/games/", "/run/current-system/sw/bin/",
}

// CanonName returns the canonical form of a static command name: an
// absolute path in a standard bin directory becomes the bare name; other
// paths are cleaned (./bin//x → ./bin/x, bin/x → ./bin/x); `.` is source.
func CanonName(s string) string {
	if s == "." {
		return "source"
	}
	if !strings.Contains(s, "/") {
		return s
	}
	if strings.HasPrefix(s, "/") {
		c := path.Clean(s)
		for _, d := range binDirs {
			if rest, ok := strings.CutPrefix(c, d); ok && rest != "" && !strings.Contains(rest, "/") {
				return rest
			}
		}
		return c
	}
	return CanonPath(s)
}

// CanonPath cleans a relative path the way command names are compared:
// always with a leading "./" (a name with a slash never searches PATH).
func CanonPath(s string) string {
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, "~") {
		return path.Clean(s)
	}
	c := path.Clean(s)
	if c == "." || strings.HasPrefix(c, "../") || c == ".." {
		return c
	}
	return "./" + c
}
