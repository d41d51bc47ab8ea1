// Commands that run a command once per input: xargs, find -exec, GNU
// parallel; the input stands in the argv as a dynamic word.

package shellcmd

import (
	"strings"
)

// peelXargs: xargs [opts] [CMD [ARGS]]; input words are appended, or
// replace the -I string.
func peelXargs(argv []Word) peeled {
	const valued = "-a --arg-file -d --delimiter -E -I -L -n --max-args -P --max-procs -s --max-chars --process-slot-var --replace -e -i -l --eof --max-lines"
	i := optScan(argv, 1, valued)
	rep := ""
	if v, ok := optValue(argv, 1, i, "-I --replace"); ok {
		rep = v.Text
	}
	for _, w := range argv[1:i] {
		if w.Text == "-i" || w.Text == "--replace" {
			rep = "{}"
		} else if strings.HasPrefix(w.Text, "-i") && len(w.Text) > 2 {
			rep = w.Text[2:]
		}
	}
	var inner []Word
	if i >= len(argv) {
		inner = []Word{Lit("echo")}
	} else {
		inner = append(inner, argv[i:]...)
	}
	input := Word{Text: "{input}", Dynamic: true, Split: rep == ""}
	if rep == "" {
		inner = append(inner, input)
	} else {
		inner = replaceIn(inner, rep)
	}
	return peeled{wrapper: true, inner: i, rewrite: inner}
}

// replaceIn makes every word containing rep dynamic: the input replaces it.
func replaceIn(ws []Word, reps ...string) []Word {
	out := make([]Word, len(ws))
	for i, w := range ws {
		out[i] = w
		for _, rep := range reps {
			if rep == "" || w.Dynamic || !strings.Contains(w.Text, rep) {
				continue
			}
			k := strings.Index(w.Text, rep)
			out[i] = Word{Text: w.Text, Prefix: w.Text[:k], Dynamic: true}
			break
		}
	}
	return out
}

// peelFind: find's own words stay one command; each -exec/-execdir/-ok
// runs a command of its own with {} standing for each file found.
func peelFind(argv []Word) peeled {
	var p peeled
	for i := 1; i < len(argv); i++ {
		s := argv[i].Text
		if s != "-exec" && s != "-execdir" && s != "-ok" && s != "-okdir" {
			continue
		}
		j := i + 1
		for j < len(argv) && argv[j].Text != ";" && argv[j].Text != "+" {
			j++
		}
		if j > i+1 {
			p.children = append(p.children, replaceIn(argv[i+1:j], "{}"))
		}
		i = j
	}
	return p
}

// peelParallel: GNU parallel runs its command words as shell code, with
// {} and friends replaced by each input.
func peelParallel(argv []Word) peeled {
	const valued = "-j --jobs -S --sshlogin --joblog -a --arg-file -d --delimiter -I -E --colsep -C -n -N -L --results --tmpdir --workdir --env --timeout --delay --retries --halt --tag-string --basefile --sshloginfile -P --max-procs --max-args --line-buffer-x"
	i := optScan(argv, 1, valued)
	j := i
	for j < len(argv) && !strings.HasPrefix(argv[j].Text, ":::") {
		j++
	}
	if j == i {
		return peeled{wrapper: true, stdin: true}
	}
	code := joinCode(argv[i:j])
	// With one ::: list of static inputs the commands are known: each input
	// replaces {} or is appended.
	var inputs []Word
	if j < len(argv) && argv[j].Text == ":::" {
		inputs = argv[j+1:]
		for _, w := range inputs {
			if w.Dynamic || strings.HasPrefix(w.Text, ":::") {
				inputs = nil
				break
			}
		}
	}
	if !code.Dynamic && len(inputs) > 0 && len(inputs) <= 16 && !strings.ContainsAny(strings.ReplaceAll(code.Text, "{}", ""), "{") {
		var codes []Word
		for _, in := range inputs {
			q := shellQuote(in.Text)
			t := code.Text + " " + q
			if strings.Contains(code.Text, "{}") {
				t = strings.ReplaceAll(code.Text, "{}", q)
			}
			codes = append(codes, Lit(t))
		}
		return peeled{wrapper: true, inner: i, code: codes}
	}
	if !code.Dynamic && strings.Contains(code.Text, "{") {
		k := strings.IndexByte(code.Text, '{')
		code = Word{Text: code.Text, Prefix: code.Text[:k], Dynamic: true, Split: true}
	} else if !code.Dynamic {
		// Without a replacement string each input is appended.
		code = Word{Text: code.Text + " {}", Prefix: code.Text + " ", Dynamic: true, Split: true}
	}
	return peeled{wrapper: true, inner: i, code: []Word{code}}
}
