// The syntax tree's shape, compared before and after masking so that a
// mask never changes what the command does.

package redact

import (
	"fmt"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// shape is the syntax tree's structure as text: node kinds, operators and
// names, in walk order with nesting, leaving out the contents of literals.
func shape(f *syntax.File) string {
	noBraces := unexpandedWords(f)
	var b strings.Builder
	syntax.Walk(f, func(n syntax.Node) bool {
		if n == nil {
			b.WriteString(")\n")
			return true
		}
		fmt.Fprintf(&b, "%T", n)
		if op, ok := operator(n); ok {
			fmt.Fprintf(&b, " %s", op)
		} else {
			nodeShape(&b, n, noBraces)
		}
		b.WriteString(" (\n")
		return true
	})
	return b.String()
}

// unexpandedWords are the words bash does not brace-expand: here-document
// bodies and assigned values.
func unexpandedWords(f *syntax.File) map[*syntax.Word]bool {
	noBraces := map[*syntax.Word]bool{}
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.Redirect:
			noBraces[n.Hdoc] = true
		case *syntax.Assign:
			noBraces[n.Value] = true
		}
		return true
	})
	return noBraces
}

// operator is the operator of the nodes whose shape is their kind and
// operator alone.
func operator(n syntax.Node) (fmt.Stringer, bool) {
	switch n := n.(type) {
	case *syntax.BinaryCmd:
		return n.Op, true
	case *syntax.Redirect:
		return n.Op, true
	case *syntax.ProcSubst:
		return n.Op, true
	case *syntax.ExtGlob:
		return n.Op, true
	case *syntax.BinaryArithm:
		return n.Op, true
	case *syntax.UnaryArithm:
		return n.Op, true
	case *syntax.BinaryTest:
		return n.Op, true
	case *syntax.UnaryTest:
		return n.Op, true
	}
	return nil, false
}

// nodeShape writes what else of n's structure a mask must not change.
func nodeShape(b *strings.Builder, n syntax.Node, noBraces map[*syntax.Word]bool) {
	switch n := n.(type) {
	case *syntax.Stmt:
		fmt.Fprintf(b, " neg=%v bg=%v co=%v", n.Negated, n.Background, n.Coprocess)
	case *syntax.CallExpr:
		fmt.Fprintf(b, " assigns=%d args=%d", len(n.Assigns), len(n.Args))
	case *syntax.Word:
		// Brace expansion is not parsed by default, but bash expands
		// it: a mask must not turn {a,b} into one word, or one word
		// into several.
		fmt.Fprintf(b, " parts=%d", len(n.Parts))
		if !noBraces[n] {
			b.WriteString(" braces=" + braces(n))
		}
	case *syntax.DblQuoted:
		fmt.Fprintf(b, " parts=%d dollar=%v", len(n.Parts), n.Dollar)
	case *syntax.SglQuoted:
		fmt.Fprintf(b, " dollar=%v", n.Dollar)
	case *syntax.ParamExp:
		paramShape(b, n)
	case *syntax.Assign:
		fmt.Fprintf(b, " append=%v naked=%v", n.Append, n.Naked)
		if n.Name != nil {
			fmt.Fprintf(b, " name=%s", n.Name.Value)
		}
	case *syntax.CmdSubst:
		fmt.Fprintf(b, " stmts=%d backquotes=%v", len(n.Stmts), n.Backquotes)
	case *syntax.CaseItem:
		fmt.Fprintf(b, " %s patterns=%d", n.Op, len(n.Patterns))
	case *syntax.DeclClause:
		if n.Variant != nil {
			fmt.Fprintf(b, " %s", n.Variant.Value)
		}
	case *syntax.FuncDecl:
		if n.Name != nil {
			fmt.Fprintf(b, " %s", n.Name.Value)
		}
	}
	// Anything else (a comment's text, a literal) has no structure to keep.
}

func paramShape(b *strings.Builder, n *syntax.ParamExp) {
	fmt.Fprintf(b, " short=%v excl=%v len=%v", n.Short, n.Excl, n.Length)
	if n.Param != nil {
		fmt.Fprintf(b, " param=%s", n.Param.Value)
	}
	if n.Exp != nil {
		fmt.Fprintf(b, " exp=%s", n.Exp.Op)
	}
}

// braces describes the brace expansions bash would find in w.
func braces(w *syntax.Word) string {
	cp := &syntax.Word{Parts: append([]syntax.WordPart(nil), w.Parts...)}
	if !syntax.SplitBraces(cp) {
		return "-"
	}
	var sig func(w *syntax.Word) string
	sig = func(w *syntax.Word) string {
		var b strings.Builder
		for _, p := range w.Parts {
			if be, ok := p.(*syntax.BraceExp); ok {
				fmt.Fprintf(&b, "{seq=%v", be.Sequence)
				for _, e := range be.Elems {
					b.WriteString("," + sig(e))
				}
				b.WriteString("}")
			}
		}
		return b.String()
	}
	return sig(cp)
}

// firstDifference names the first node where two shapes differ, without
// quoting any literal (shapes hold none).
func firstDifference(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			return fmt.Sprintf("masking would turn %q into %q", strings.TrimSuffix(la[i], " ("), strings.TrimSuffix(lb[i], " ("))
		}
	}
	return "masking would change the number of syntax nodes"
}
