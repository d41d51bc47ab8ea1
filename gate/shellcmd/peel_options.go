// Getopt-style option scanning shared by the peelers: where a wrapper's
// options end, the value of one option, the operands.

package shellcmd

import (
	"strings"
)

// optScan walks getopt-style options: valued lists the options that take
// a value ("-n --adjustment"). It returns the index of the first operand.
// A dynamic word stops the scan: it may be anything, so it is treated as
// the operand (the wrapped command's name, which is then dynamic).
func optScan(argv []Word, start int, valued string) int {
	i := start
	for i < len(argv) {
		a := argv[i]
		if a.Dynamic {
			return i
		}
		s := a.Text
		if s == "--" {
			return i + 1
		}
		if len(s) < 2 || s[0] != '-' {
			return i
		}
		i++
		if strings.HasPrefix(s, "--") {
			if !strings.Contains(s, "=") && hasWord(valued, s) {
				i++
			}
			continue
		}
		if hasWord(valued, s) {
			i++
			continue
		}
		// A short cluster: a valued letter takes the rest or the next word.
		for k := 1; k < len(s); k++ {
			if hasWord(valued, "-"+s[k:k+1]) {
				if k == len(s)-1 {
					i++
				}
				break
			}
		}
	}
	return min(i, len(argv))
}

func hasWord(list, w string) bool {
	for len(list) > 0 {
		var f string
		f, list, _ = strings.Cut(list, " ")
		if f == w {
			return true
		}
	}
	return false
}

// optValue returns the value of one of names (space separated) in
// argv[start:end]: "-c X", "-cX", "--command=X", "--command X".
func optValue(argv []Word, start, end int, names string) (Word, bool) {
	for i := start; i < end && i < len(argv); i++ {
		s := argv[i].Text
		if argv[i].Dynamic || len(s) < 2 || s[0] != '-' {
			continue
		}
		if s == "--" {
			return Word{}, false
		}
		for _, n := range strings.Fields(names) {
			switch {
			case s == n && i+1 < len(argv):
				return argv[i+1], true
			case strings.HasPrefix(n, "--") && strings.HasPrefix(s, n+"="):
				v := argv[i]
				v.Text = s[len(n)+1:]
				v.Prefix = strings.TrimPrefix(v.Prefix, n+"=")
				return v, true
			case len(n) == 2 && !strings.HasPrefix(s, "--") && strings.HasPrefix(s, n) && len(s) > 2:
				v := argv[i]
				v.Text, v.Prefix = s[2:], strings.TrimPrefix(v.Prefix, n)
				return v, true
			case len(n) == 2 && !strings.HasPrefix(s, "--") && strings.HasSuffix(s, n[1:]) && i+1 < len(argv):
				return argv[i+1], true // a cluster ending in the letter: -qc CMD
			}
		}
	}
	return Word{}, false
}

// positionalIdx lists the indexes of operands from start, skipping options
// and the values of valued ones; after "--" nothing more is an option.
func positionalIdx(argv []Word, start int, valued string) []int {
	var out []int
	for i := start; i < len(argv); i++ {
		s := argv[i].Text
		if s == "--" {
			break
		}
		if len(s) > 1 && s[0] == '-' && !argv[i].Dynamic {
			if !strings.Contains(s, "=") && hasWord(valued, s) {
				i++
			}
			continue
		}
		out = append(out, i)
	}
	return out
}
