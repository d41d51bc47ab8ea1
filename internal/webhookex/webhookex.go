// Package webhookex loads GitHub's real webhook payload examples (npm
// @octokit/webhooks-examples, under node_modules in the repository root)
// so tests can modify, sign and deliver payloads GitHub actually sends.
package webhookex

import (
	"encoding/json"
	"fmt"
	"github.com/stepgate/stepgate/internal/testutil"
	"os"
	"testing"
)

// RelPath is where the examples sit below the repository root.
const RelPath = "node_modules/@octokit/webhooks-examples/api.github.com/index.json"

// Set is a loaded collection of examples.
type Set struct {
	raw map[string][]json.RawMessage // event name -> examples
}

// Load reads the examples file.
func Load(path string) (*Set, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var events []struct {
		Name     string            `json:"name"`
		Examples []json.RawMessage `json:"examples"`
	}
	if err := json.Unmarshal(b, &events); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	s := &Set{raw: map[string][]json.RawMessage{}}
	for _, e := range events {
		s.raw[e.Name] = append(s.raw[e.Name], e.Examples...)
	}
	return s, nil
}

// Find walks up from the working directory to the repository root's
// node_modules and returns the examples file's path.
func Find() (string, error) { return testutil.FindUp(RelPath) }

// All returns fresh copies of every example of event whose "action" is
// action ("" matches all), in the package's order.
func (s *Set) All(event, action string) []map[string]any {
	var out []map[string]any
	for _, raw := range s.raw[event] {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			continue
		}
		if a, _ := m["action"].(string); action == "" || a == action {
			out = append(out, m)
		}
	}
	return out
}

// First returns a fresh copy of the first example of event and action for
// which keep returns true (keep may be nil).
func (s *Set) First(event, action string, keep func(map[string]any) bool) (map[string]any, bool) {
	for _, m := range s.All(event, action) {
		if keep == nil || keep(m) {
			return m, true
		}
	}
	return nil, false
}

// ForTest returns the shared examples (the file is 4 MB: tests of one
// binary share one parsed copy). Without node_modules the test is skipped
// locally and fails in CI (CI set).
var ForTest = testutil.NodeFile("webhook examples", RelPath, Load)

// Example returns the first example of event/action matching keep, failing
// t if there is none.
func Example(t testing.TB, event, action string, keep func(map[string]any) bool) map[string]any {
	t.Helper()
	m, ok := ForTest(t).First(event, action, keep)
	if !ok {
		t.Fatalf("no %s %s example in @octokit/webhooks-examples", event, action)
	}
	return m
}

// Get follows a path of keys through nested maps (nil when absent).
func Get(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}
