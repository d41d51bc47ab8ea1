package policy

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxFileSize is the largest policy file Parse accepts. Real policies are a
// few KiB; the limit keeps a hostile default branch from costing memory.
const MaxFileSize = 1 << 20

const (
	maxErrors = 100
	maxCount  = 1000
)

// FieldError is one problem in a policy file. Field is a path such as
// "rules[1].require.all_of[0].team"; Line and Column are 1-based (0 when the
// problem concerns the whole file).
type FieldError struct {
	Line, Column int
	Field        string
	Msg          string
}

// ParseError lists every problem Parse found, in file order.
type ParseError struct {
	Filename string
	Errors   []FieldError
}

func (e *ParseError) Error() string {
	lines := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		var b strings.Builder
		b.WriteString(e.Filename)
		if fe.Line > 0 {
			fmt.Fprintf(&b, ":%d", fe.Line)
		}
		b.WriteString(": ")
		if fe.Field != "" {
			b.WriteString(fe.Field + ": ")
		}
		b.WriteString(fe.Msg)
		lines[i] = b.String()
	}
	return strings.Join(lines, "\n")
}

// Parse reads a policy file strictly: unknown fields, wrong types and bad
// values are errors naming the line and field; all of them are collected
// into a *ParseError. filename is only used in messages.
func Parse(filename string, data []byte) (p *Policy, err error) {
	fail := func(line int, msg string) (*Policy, error) {
		return nil, &ParseError{Filename: filename, Errors: []FieldError{{Line: line, Msg: msg}}}
	}
	if len(data) > MaxFileSize {
		return fail(0, fmt.Sprintf("policy file is %d bytes; the limit is %d", len(data), MaxFileSize))
	}
	defer func() {
		// yaml.v3 has panicked on hostile input before; a policy file must
		// never take the App down.
		if r := recover(); r != nil {
			p, err = fail(0, fmt.Sprintf("cannot parse YAML: %v", r))
		}
	}()
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return fail(0, "empty policy file: want at least \"version: 1\" and \"rules:\"")
		}
		line, msg := yamlErrorLine(err)
		return fail(line, msg)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fail(extra.Line, "more than one YAML document; a policy file holds one")
	}
	d := &decoder{}
	if d.refuseAnchors(&root); len(d.errs) == 0 {
		p = d.policy(root.Content[0])
	}
	if len(d.errs) > 0 {
		// Report in file order, however the walk found them.
		slices.SortStableFunc(d.errs, func(a, b FieldError) int { return cmp.Compare(a.Line, b.Line) })
		if d.truncated {
			d.errs = append(d.errs, FieldError{Msg: fmt.Sprintf("more than %d errors; the rest are not shown", maxErrors)})
		}
		return nil, &ParseError{Filename: filename, Errors: d.errs}
	}
	return p.compile(), nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlErrorLine(err error) (int, string) {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, "invalid YAML: " + m[2]
	}
	return 0, "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")
}

// decoder walks the yaml.Node tree, collecting errors instead of stopping
// at the first, so one `stepgate policy check` run shows everything.
type decoder struct {
	errs      []FieldError
	truncated bool // more than maxErrors: the rest were dropped
}

func (d *decoder) errorf(n *yaml.Node, field, format string, args ...any) {
	if len(d.errs) >= maxErrors {
		d.truncated = true
		return
	}
	d.errs = append(d.errs, FieldError{Line: n.Line, Column: n.Column, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// refuseAnchors rejects anchors, aliases and merge keys outright: a policy
// has no use for them and aliases are how "billion laughs" files blow up.
func (d *decoder) refuseAnchors(root *yaml.Node) {
	stack := []*yaml.Node{root}
	for len(stack) > 0 && !d.truncated {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Kind == yaml.AliasNode || n.Anchor != "" {
			d.errorf(n, "", "YAML anchors and aliases (&name, *name) are not supported in policy files")
			continue
		}
		stack = append(stack, n.Content...)
	}
}

type field struct {
	key, val *yaml.Node
}

// mapping checks that n is a mapping with only known, unique keys and
// returns the values by key. Unknown keys get a "did you mean" hint.
func (d *decoder) mapping(n *yaml.Node, path string, known ...string) map[string]field {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, got %s", describe(n))
		return nil
	}
	out := make(map[string]field, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := k.Value
		p := join(path, name)
		switch {
		case k.Kind != yaml.ScalarNode:
			d.errorf(k, path, "keys must be plain names, got %s", describe(k))
		case !contains(known, name):
			if s := suggest(name, known); s != "" {
				d.errorf(k, p, "unknown field (did you mean %q?)", s)
			} else {
				d.errorf(k, p, "unknown field (want one of %s)", strings.Join(known, ", "))
			}
		case out[name].key != nil:
			d.errorf(k, p, "duplicate field (first at line %d)", out[name].key.Line)
		default:
			out[name] = field{k, v}
		}
	}
	return out
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing (null)"
		case "!!bool":
			return "true/false (" + n.Value + ")"
		case "!!int", "!!float":
			return "a number (" + n.Value + ")"
		}
		return fmt.Sprintf("a string (%q)", n.Value)
	}
	return "something else"
}

// str returns a scalar's text. Numbers are accepted as text (a login may be
// all digits); null, booleans and collections are not.
func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || tag == "!!null" || tag == "!!bool" {
		d.errorf(n, path, "expected a string, got %s", describe(n))
		return "", false
	}
	if tag != "!!str" && tag != "!!int" && tag != "!!float" && tag != "!!timestamp" {
		d.errorf(n, path, "unsupported YAML tag %s", tag)
		return "", false
	}
	s := strings.TrimSpace(n.Value)
	if s == "" {
		d.errorf(n, path, "must not be empty")
		return "", false
	}
	return s, true
}

// strList accepts a single string or a non-empty list of strings.
func (d *decoder) strList(n *yaml.Node, path string) ([]string, bool) {
	if n.Kind == yaml.ScalarNode {
		s, ok := d.str(n, path)
		return []string{s}, ok
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "expected a string or a list of strings, got %s", describe(n))
		return nil, false
	}
	if len(n.Content) == 0 {
		d.errorf(n, path, "empty list")
		return nil, false
	}
	out := make([]string, 0, len(n.Content))
	ok := true
	for i, c := range n.Content {
		s, good := d.str(c, fmt.Sprintf("%s[%d]", path, i))
		ok = ok && good
		out = append(out, s)
	}
	return out, ok
}

func (d *decoder) integer(n *yaml.Node, path string) (int, bool) {
	var v int
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		d.errorf(n, path, "expected a whole number, got %s", describe(n))
		return 0, false
	}
	return v, true
}

func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	var v bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		d.errorf(n, path, "expected true or false, got %s", describe(n))
		return false, false
	}
	return v, true
}

func (d *decoder) duration(n *yaml.Node, path string) (int64, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return 0, false
	}
	v, err := ParseDuration(s)
	if err != nil {
		d.errorf(n, path, "%v", err)
		return 0, false
	}
	return int64(v), true
}

// suggest returns the known name closest to s, if it is a plausible typo.
func suggest(s string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if dist := editDistance(strings.ToLower(s), k); dist < bestDist && dist <= max(1, len(k)/3) {
			best, bestDist = k, dist
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
