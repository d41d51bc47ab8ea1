// Package manifest holds the GitHub App manifest that registers stepgate
// with exactly the permissions and events it uses (see README.md).
package manifest

import _ "embed"

// JSON is github-app.json.
//
//go:embed github-app.json
var JSON []byte
