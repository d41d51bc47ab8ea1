// Redirections: what a statement reads on its standard input and which
// files it writes.

package shellcmd

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

func (w *walker) redirect(rd *syntax.Redirect, e *env, info *callInfo) {
	if rd.Word != nil {
		w.substs(rd.Word, *e)
	}
	switch rd.Op {
	case syntax.Hdoc, syntax.DashHdoc:
		e.stdin, e.text = stdinText, ""
		if rd.Hdoc != nil {
			w.substs(rd.Hdoc, *e)
			t := w.word(rd.Hdoc)
			if rd.Word != nil && quotedDelim(rd.Word) {
				t = Lit(rawText(rd.Hdoc))
			}
			e.text = t.Text
			if t.Dynamic {
				e.stdin = stdinDynamic
			}
		}
	case syntax.WordHdoc:
		t := w.word(rd.Word)
		e.stdin, e.text = stdinText, t.Text
		if t.Dynamic {
			e.stdin = stdinDynamic
		}
	case syntax.RdrIn:
		e.stdin, e.text = stdinDynamic, ""
	case syntax.RdrOut, syntax.AppOut, syntax.RdrAll, syntax.AppAll, syntax.RdrClob, syntax.RdrInOut:
		t := w.word(rd.Word)
		if !harmlessTarget(t) {
			info.writes = append(info.writes, t)
		}
	case syntax.DplOut, syntax.DplIn:
		t := w.word(rd.Word)
		if t.Dynamic || (t.Text != "-" && !allDigits(t.Text)) {
			if rd.Op == syntax.DplOut {
				info.writes = append(info.writes, t)
			}
		}
	}
}

func quotedDelim(w *syntax.Word) bool {
	for _, p := range w.Parts {
		switch p.(type) {
		case *syntax.SglQuoted, *syntax.DblQuoted:
			return true
		}
	}
	return strings.ContainsRune(w.Lit(), '\\')
}

// rawText is a quoted-delimiter here-document's text, which the shell
// does not expand.
func rawText(w *syntax.Word) string {
	var b strings.Builder
	for _, p := range w.Parts {
		if l, ok := p.(*syntax.Lit); ok {
			b.WriteString(l.Value)
		}
	}
	return b.String()
}

func harmlessTarget(t Word) bool {
	if t.Dynamic {
		return false
	}
	switch t.Text {
	case "/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty":
		return true
	}
	return false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
