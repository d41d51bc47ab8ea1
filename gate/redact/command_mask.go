// Finding secrets in the literal text of a command's words, comments and
// here-documents, and masking them by source range without splitting an
// escape.

package redact

import (
	"sort"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// A piece is part of a unit's text. Literal pieces map back to src at start;
// the text of other pieces (expansions, context) only informs detection.
type piece struct {
	text   string
	start  int
	lit    bool
	escape bool // backslash escapes apply inside (unquoted, "…", $'…')
}

// A unit is one word, comment or here-document body: secrets are looked for
// in its text and never across units.
type unit struct{ pieces []piece }

// A span is a range of src to mask; only literal bytes in it are replaced.
type span struct {
	start, end int
	escape     bool
}

func wordUnit(src string, w *syntax.Word) unit {
	var u unit
	for _, p := range w.Parts {
		u.pieces = append(u.pieces, partPieces(src, p)...)
	}
	return u
}

func partPieces(src string, p syntax.WordPart) []piece {
	switch p := p.(type) {
	case *syntax.Lit:
		s, e := litRange(src, p)
		return []piece{{text: src[s:e], start: s, lit: true, escape: true}}
	case *syntax.SglQuoted:
		s, e := int(p.Left.Offset())+1, int(p.Right.Offset())
		if p.Dollar {
			s++
		}
		if s > e {
			return []piece{{text: " "}}
		}
		return []piece{{text: src[s:e], start: s, lit: true, escape: p.Dollar}}
	case *syntax.DblQuoted:
		var out []piece
		for _, q := range p.Parts {
			if l, ok := q.(*syntax.Lit); ok {
				s, e := litRange(src, l)
				out = append(out, piece{text: src[s:e], start: s, lit: true, escape: true})
				continue
			}
			out = append(out, piece{text: " "})
		}
		return out
	default:
		// An expansion: not literal, and a word boundary for detection.
		return []piece{{text: " "}}
	}
}

// acrossWords masks a known secret value that spans several words (a
// value with a space, inlined unquoted: -p${{ secrets.PW }}): its literal
// bytes in each word; the blanks and operators between stay.
func acrossWords(src string, units []unit, secrets []string) []span {
	var lit []span
	for _, u := range units {
		for _, p := range u.pieces {
			if p.lit {
				lit = append(lit, span{start: p.start, end: p.start + len(p.text), escape: p.escape})
			}
		}
	}
	var out []span
	for _, v := range secrets {
		if len(v) < 4 || !strings.ContainsAny(v, " \t\n;&|<>()") {
			continue // found within a word already
		}
		for i := 0; ; {
			j := strings.Index(src[i:], v)
			if j < 0 {
				break
			}
			s, e := i+j, i+j+len(v)
			for _, l := range lit {
				if a, b := max(s, l.start), min(e, l.end); a < b {
					out = append(out, span{start: a, end: b, escape: l.escape})
				}
			}
			i = e
		}
	}
	return out
}

// litRange is the source range of l. A here-document body's last literal
// ends, by its position, after the terminator; its value does not.
func litRange(src string, l *syntax.Lit) (int, int) {
	s, e := int(l.Pos().Offset()), int(l.End().Offset())
	if n := s + len(l.Value); n <= len(src) && n < e && src[s:n] == l.Value {
		e = n
	}
	return s, e
}

// text is u's text as detectors see it, with backslash escapes resolved,
// and for each byte its offset in src (-1: not literal, never masked).
// Offsets of bytes where backslash escapes apply are stored as -2-offset.
func (u unit) text() (string, []int) {
	var b strings.Builder
	var idx []int
	for _, p := range u.pieces {
		if !p.lit {
			b.WriteString(p.text)
			for range len(p.text) {
				idx = append(idx, -1)
			}
			continue
		}
		for i := 0; i < len(p.text); i++ {
			if p.escape && p.text[i] == '\\' && i+1 < len(p.text) {
				i++
				if p.text[i] == '\n' {
					continue // line continuation
				}
			}
			b.WriteByte(p.text[i])
			if p.escape {
				idx = append(idx, -2-(p.start+i))
			} else {
				idx = append(idx, p.start+i)
			}
		}
	}
	return b.String(), idx
}

// spansOf turns a range of u's text into the src spans of its literal bytes.
func spansOf(idx []int, from, to int) []span {
	var out []span
	for i := from; i < to && i < len(idx); i++ {
		at, esc := idx[i], false
		if at == -1 {
			continue
		}
		if at < -1 {
			at, esc = -2-at, true
		}
		if n := len(out); n > 0 && out[n-1].end == at && out[n-1].escape == esc {
			out[n-1].end++
			continue
		}
		out = append(out, span{start: at, end: at + 1, escape: esc})
	}
	return out
}

// find returns the src spans of secrets in u's text.
func (u unit) find(secrets []string) []span {
	t, idx := u.text()
	var spans []span
	for _, r := range detect(t, secrets) {
		spans = append(spans, spansOf(idx, r[0], r[1])...)
	}
	return spans
}

// applySpans replaces every maximal masked run with Mask, line by line (a
// here-document keeps its lines, so its terminator stays on its own), and
// never splits a backslash escape.
func applySpans(src string, spans []span) string {
	if len(spans) == 0 {
		return src
	}
	masked := make([]bool, len(src))
	for _, s := range spans {
		start, end := s.start, s.end
		if s.escape {
			start, end = widenEscapes(src, start, end)
		}
		for i := start; i < end; i++ {
			if src[i] != '\n' {
				masked[i] = true
			}
		}
	}
	var b strings.Builder
	for i := 0; i < len(src); {
		if !masked[i] {
			b.WriteByte(src[i])
			i++
			continue
		}
		j := i
		for j < len(src) && masked[j] {
			j++
		}
		b.WriteString(Mask)
		i = j
	}
	return b.String()
}

// widenEscapes grows [start,end) so it does not cut a backslash escape in
// two: `\` plus the byte after it are masked together or not at all.
func widenEscapes(src string, start, end int) (int, int) {
	// Find the escape pairs in the run's surroundings: scan back to the
	// first byte after a run of backslashes.
	bs := 0
	for k := start - 1; k >= 0 && src[k] == '\\'; k-- {
		bs++
	}
	if bs%2 == 1 {
		start-- // the byte at start is escaped by the one before it
	}
	bs = 0
	for k := end - 1; k >= start && src[k] == '\\'; k-- {
		bs++
	}
	if bs%2 == 1 && end < len(src) {
		end++ // the last masked byte escapes the next one
	}
	return start, end
}

// detect returns the ranges of secrets in t: the given values, known token
// formats and the keyed patterns. Ranges are sorted by start.
func detect(t string, secrets []string) [][2]int {
	var out [][2]int
	for _, v := range secrets {
		if len(v) < 4 {
			continue
		}
		for i := 0; ; {
			j := strings.Index(t[i:], v)
			if j < 0 {
				break
			}
			out = append(out, [2]int{i + j, i + j + len(v)})
			i += j + len(v)
		}
	}
	out = append(out, findPatterns(t)...)
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}
