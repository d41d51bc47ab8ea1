package shellcmd

import (
	"iter"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// braces yields the words of a brace expansion ({a,b}, {1..3}); the
// expand package bounds combinatorial blow-ups.
func braces(w *syntax.Word) iter.Seq[*syntax.Word] {
	return func(yield func(*syntax.Word) bool) {
		for bw, err := range expand.BracesSeq(nil, w) {
			if err != nil || !yield(bw) {
				return
			}
		}
	}
}
