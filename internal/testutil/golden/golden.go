// Package golden is the one golden-file helper of the tests: compare what
// a test rendered with a file under testdata/ (or a generated part of a
// document), and rewrite it with `go test -update`. It is its own package
// because it registers the -update flag: only test binaries import it.
package golden

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files (testdata/*.golden) and generated document sections")

// Updating reports whether the test run was asked to rewrite golden files.
func Updating() bool { return *update }

// File compares got with the file at path; with -update it writes got
// there instead.
func File(t testing.TB, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// Section compares got with the part of the file at path between the
// first line equal to begin and the next line equal to end (both kept);
// with -update it rewrites that part. Documents use it for text generated
// from code (a configuration table), so the two cannot drift.
func Section(t testing.TB, path, begin, end, got string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, "\n"+begin+"\n")
	if i < 0 {
		t.Fatalf("%s: no line %q", path, begin)
	}
	start := i + len(begin) + 2
	n := strings.Index(doc[start:], "\n"+end+"\n")
	if n < 0 && strings.HasPrefix(doc[start:], end+"\n") {
		n = -1 // empty section
	} else if n < 0 {
		t.Fatalf("%s: no line %q after %q", path, end, begin)
	}
	stop := start + n + 1
	if *update {
		if err := os.WriteFile(path, []byte(doc[:start]+got+doc[stop:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if diff := cmp.Diff(doc[start:stop], got); diff != "" {
		t.Errorf("%s, between %q and %q, is not what the code generates (run go test -update) (-want +got):\n%s", path, begin, end, diff)
	}
}
