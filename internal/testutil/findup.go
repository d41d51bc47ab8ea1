package testutil

import (
	"fmt"
	"os"
	"path/filepath"
)

// FindUp walks up from the working directory and returns the first
// existing dir/rel: how tests find the repository root's node_modules
// (GitHub's OpenAPI description, webhook examples and schemas).
func FindUp(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s not found above the working directory (run npm ci)", rel)
		}
		dir = parent
	}
}
