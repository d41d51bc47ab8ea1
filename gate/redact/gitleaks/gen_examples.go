//go:build ignore

// gen_examples extracts the literal true and false positives that gitleaks
// writes next to each rule (cmd/generate/config/rules/*.go) into
// examples.json, so the embedded rule set is tested against its own
// examples. Run it with the gitleaks source of the pinned version:
//
//	go run gen_examples.go "$(go env GOMODCACHE)/github.com/zricethezav/gitleaks/v8@v8.30.1/cmd/generate/config/rules" > examples.json
//
// Only plain string literals are taken (examples built with fmt.Sprintf or
// random generators are left out); GenerateSampleSecrets(id, secret) becomes
// the one sample line "<id>_token: <secret>".
package main

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

type example struct {
	Rule string   `json:"rule"`
	TPs  []string `json:"tps,omitempty"`
	FPs  []string `json:"fps,omitempty"`
}

func main() {
	files, _ := filepath.Glob(filepath.Join(os.Args[1], "*.go"))
	fset := token.NewFileSet()
	var out []example
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			panic(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			var ex example
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.KeyValueExpr:
					if k, ok := n.Key.(*ast.Ident); ok && k.Name == "RuleID" {
						if s, ok := str(n.Value); ok && ex.Rule == "" {
							ex.Rule = s
						}
					}
				case *ast.AssignStmt:
					for i, l := range n.Lhs {
						id, ok := l.(*ast.Ident)
						if !ok || i >= len(n.Rhs) {
							continue
						}
						switch id.Name {
						case "tps", "truePositives":
							ex.TPs = append(ex.TPs, literals(n.Rhs[i])...)
						case "fps", "falsePositives":
							ex.FPs = append(ex.FPs, literals(n.Rhs[i])...)
						}
					}
				}
				return true
			})
			if ex.Rule != "" && (len(ex.TPs) > 0 || len(ex.FPs) > 0) {
				out = append(out, ex)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rule < out[j].Rule })
	e := json.NewEncoder(os.Stdout)
	e.SetIndent("", "  ")
	if err := e.Encode(out); err != nil {
		panic(err)
	}
}

func str(e ast.Expr) (string, bool) {
	b, ok := e.(*ast.BasicLit)
	if !ok || b.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(b.Value)
	return s, err == nil
}

// literals returns the plain string literals of a []string{…} literal, an
// append(x, …) call or a GenerateSampleSecrets call.
func literals(e ast.Expr) []string {
	var out []string
	switch e := e.(type) {
	case *ast.CompositeLit:
		for _, el := range e.Elts {
			if s, ok := str(el); ok {
				out = append(out, s)
			}
		}
	case *ast.CallExpr:
		name := ""
		switch f := e.Fun.(type) {
		case *ast.Ident:
			name = f.Name
		case *ast.SelectorExpr:
			name = f.Sel.Name
		}
		switch name {
		case "append":
			for _, a := range e.Args[1:] {
				if s, ok := str(a); ok {
					out = append(out, s)
				} else {
					out = append(out, literals(a)...)
				}
			}
		case "GenerateSampleSecrets":
			id, ok1 := str(e.Args[0])
			s, ok2 := str(e.Args[1])
			if ok1 && ok2 {
				out = append(out, id+"_token: "+s)
			}
		}
	}
	return out
}
