// Package layout checks the shape rules of the code base (CONTRIBUTING.md):
// no Go file over 500 lines, no function over 60 lines, none with a
// cyclomatic complexity over 25 (closures counted with their function),
// outside table-driven data. Generated files are left out; the functions
// that are tables of data are listed by name below, so a new one is a
// decision someone made, not an accident.
package layout

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/internal/testutil"
)

const (
	maxFileLines = 500
	maxFuncLines = 60
	maxCyclo     = 25
)

// tableData are functions that are a table of cases or rules with a short
// loop (or none): long by content, not by logic. Each keeps its cyclomatic
// complexity under the limit anyway.
var tableData = map[string]bool{
	"gate/risk/rules_data.go:dataFamilies":                      true,
	"gate/risk/rules_backup.go:backupFamilies":                  true,
	"gate/risk/rules_cicd.go:cicdFamilies":                      true,
	"gate/action/gate_test.go:TestNothingRuns":                  true,
	"gate/policy/parse_test.go:TestParseErrors":                 true,
	"gate/risk/scripts_test.go:TestAssessScripts":               true,
	"gate/policy/match_test.go:TestPatternSemantics":            true,
	"gate/redact/command_test.go:TestCommandMasksSecretFormats": true,
	"gate/shellcmd/walk_test.go:TestParseLeaves":                true,
	"gate/policy/check_test.go:TestCheck":                       true,
}

func TestCodeShape(t *testing.T) {
	t.Parallel()
	mod, err := testutil.FindUp("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(mod)
	seen := map[string]bool{}
	err = eachGoFile(root, func(rel string, fset *token.FileSet, f *ast.File) {
		if n := fset.File(f.Pos()).LineCount(); n > maxFileLines {
			t.Errorf("%s: %d lines, more than %d: split it by topic", rel, n, maxFileLines)
		}
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && fd.Body != nil {
				checkFunc(t, rel+":"+fd.Name.Name, fset, fd, seen)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range tableData {
		if !seen[name] {
			t.Errorf("%s is listed as table data but no longer exists: remove it from the list", name)
		}
	}
}

// eachGoFile parses every Go file below root that is not generated (nor
// under node_modules, testdata or a dot directory) and hands it to fn with
// its slash-separated path relative to root.
func eachGoFile(root string, fn func(rel string, fset *token.FileSet, f *ast.File)) error {
	fset := token.NewFileSet()
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		if !ast.IsGenerated(f) {
			rel, _ := filepath.Rel(root, path)
			fn(filepath.ToSlash(rel), fset, f)
		}
		return nil
	})
}

// checkFunc holds one function to the limits; table data only to the
// complexity limit.
func checkFunc(t *testing.T, name string, fset *token.FileSet, fd *ast.FuncDecl, seen map[string]bool) {
	t.Helper()
	lines := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
	c := cyclomatic(fd)
	if c > maxCyclo {
		t.Errorf("%s: cyclomatic complexity %d, more than %d", name, c, maxCyclo)
	}
	if tableData[name] {
		seen[name] = true
		return
	}
	if lines > maxFuncLines {
		t.Errorf("%s: %d lines, more than %d: name its steps", name, lines, maxFuncLines)
	}
}

// cyclomatic is 1 plus the decisions of fn, closures included (as gocyclo
// counts): if, for, range, each non-default case and select clause, && and ||.
func cyclomatic(fn ast.Node) int {
	c := 1
	ast.Inspect(fn, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.IfStmt, *ast.ForStmt, *ast.RangeStmt:
			c++
		case *ast.CaseClause:
			if x.List != nil {
				c++
			}
		case *ast.CommClause:
			if x.Comm != nil {
				c++
			}
		case *ast.BinaryExpr:
			if x.Op == token.LAND || x.Op == token.LOR {
				c++
			}
		}
		return true
	})
	return c
}
