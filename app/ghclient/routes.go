package ghclient

import "slices"

// Routes returns the templates of the API routes the client calls, as in
// GitHub's OpenAPI description (also its metrics' route labels). The App
// manifest's permissions are checked against them (app/manifest).
func Routes() []string { return slices.Clone(routes) }
