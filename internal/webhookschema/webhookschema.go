// Package webhookschema validates webhook payloads against GitHub's own
// webhook schemas (npm @octokit/openapi-webhooks, under node_modules in the
// repository root), for events that @octokit/webhooks-examples has no
// example of (deployment_protection_rule): tests build those payloads and
// prove here that GitHub could have sent them.
//
// The description is OpenAPI 3.1, whose schemas are JSON Schema 2020-12
// (type arrays such as ["string", "null"]); they are compiled with
// santhosh-tekuri/jsonschema, the validator kin-openapi itself uses for 3.1.
package webhookschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/stepgate/stepgate/internal/testutil"
	"os"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// RelPath is where the description sits below the repository root.
const RelPath = "node_modules/@octokit/openapi-webhooks/generated/api.github.com.json"

// docURL names the loaded description inside the compiler.
const docURL = "https://stepgate.invalid/openapi-webhooks.json"

// Set compiles payload schemas of one description on demand.
type Set struct {
	mu       sync.Mutex
	compiler *jsonschema.Compiler
	names    map[string]bool // component schemas the description has
	schemas  map[string]*jsonschema.Schema
}

// Load reads the description at path.
func Load(path string) (*Set, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	var shape struct {
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &shape); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docURL, doc); err != nil {
		return nil, fmt.Errorf("loading %s: %w", path, err)
	}
	s := &Set{compiler: c, names: map[string]bool{}, schemas: map[string]*jsonschema.Schema{}}
	for name := range shape.Components.Schemas {
		s.names[name] = true
	}
	return s, nil
}

// SchemaName is the component schema of an event and action, e.g.
// "webhook-deployment-protection-rule-requested".
func SchemaName(event, action string) string {
	name := "webhook-" + strings.ReplaceAll(event, "_", "-")
	if action != "" {
		name += "-" + strings.ReplaceAll(action, "_", "-")
	}
	return name
}

// Validate checks payload (any JSON-encodable value) against the schema of
// event and action.
func (s *Set) Validate(event, action string, payload any) error {
	name := SchemaName(event, action)
	sch, err := s.schema(name)
	if err != nil {
		return err
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encoding payload: %w", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("decoding payload: %w", err)
	}
	if err := sch.Validate(v); err != nil {
		return fmt.Errorf("%s payload does not match GitHub's schema %s: %w", event, name, err)
	}
	return nil
}

func (s *Set) schema(name string) (*jsonschema.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.schemas[name]; ok {
		return sch, nil
	}
	if !s.names[name] {
		return nil, fmt.Errorf("GitHub's webhook description has no schema %s", name)
	}
	sch, err := s.compiler.Compile(docURL + "#/components/schemas/" + name)
	if err != nil {
		return nil, fmt.Errorf("compiling %s: %w", name, err)
	}
	s.schemas[name] = sch
	return sch, nil
}

// Find walks up from the working directory to the repository root's
// node_modules and returns the description's path.
func Find() (string, error) { return testutil.FindUp(RelPath) }

// ForTest returns the shared schemas of the test binary. Without
// node_modules the test is skipped locally and fails in CI (CI set).
var ForTest = testutil.NodeFile("webhook schemas", RelPath, Load)
