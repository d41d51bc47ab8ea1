// Command yaml2json turns a multi-document YAML stream (what `helm template`
// prints) into one JSON document per line, for scripts/k8s-validate.mjs.
// Empty documents are dropped.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "yaml2json:", err)
		os.Exit(1)
	}
}

func run(r io.Reader, w io.Writer) error {
	dec := yaml.NewDecoder(r)
	enc := json.NewEncoder(w)
	for i := 1; ; i++ {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("document %d: %w", i, err)
		}
		if doc == nil {
			continue
		}
		if err := enc.Encode(doc); err != nil {
			return fmt.Errorf("document %d: %w", i, err)
		}
	}
}
