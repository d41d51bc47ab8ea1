package risk

import (
	"slices"
	"testing"
)

// TestAssessScripts covers multi-line `run:` blocks as GitHub Actions passes
// them: several statements, here-documents, conditionals and functions.
func TestAssessScripts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		script   string
		min, max Level
		cat      string
	}{
		{"build and push", `set -euo pipefail
echo "$REGISTRY_PASSWORD" | docker login ghcr.io -u "$GITHUB_ACTOR" --password-stdin
docker build -t "ghcr.io/${GITHUB_REPOSITORY}:${GITHUB_SHA}" .
docker push "ghcr.io/${GITHUB_REPOSITORY}:${GITHUB_SHA}"
echo "image=ghcr.io/${GITHUB_REPOSITORY}:${GITHUB_SHA}" >> "$GITHUB_OUTPUT"
`, N, L, ""},
		{"kube deploy", `aws eks update-kubeconfig --name prod --region eu-west-1
kubectl -n prod set image deployment/api api="$IMAGE"
kubectl -n prod rollout status deployment/api --timeout=5m
`, L, L, ""},
		{"setup tools", `sudo apt-get update
sudo apt-get install -y --no-install-recommends jq unzip
curl -fsSLo /tmp/tf.zip "https://releases.hashicorp.com/terraform/${TF_VERSION}/terraform_${TF_VERSION}_linux_amd64.zip"
sudo unzip -o /tmp/tf.zip -d /usr/local/bin
terraform version
`, L, L, ""},
		{"write config with heredoc", `mkdir -p ~/.kube
cat > ~/.kube/config <<EOF
${KUBECONFIG_CONTENT}
EOF
chmod 600 ~/.kube/config
`, N, L, ""},
		{"conditional release", `if [[ "$GITHUB_REF" == refs/tags/* ]]; then
  VERSION="${GITHUB_REF#refs/tags/v}"
  npm version "$VERSION" --no-git-tag-version
  npm publish --access public
fi
`, L, L, ""},
		{"matrix test with function", `run_tests() {
  local pkg="$1"
  go test -race -coverprofile="cover-${pkg}.out" "./${pkg}/..."
}
for p in api worker cli; do run_tests "$p"; done
`, N, N, ""},
		{"migrate via script", `cd services/api
./scripts/migrate.sh --env "$ENVIRONMENT"
`, L, M, CatOpaqueScript},
		{"cleanup gone wrong", `BUILD_DIR=$(cat .build-dir)
echo "cleaning $BUILD_DIR"
rm -rf "$BUILD_DIR/"*
`, C, C, CatDestructiveFS},
		{"teardown hidden in if", `if [ "$ENVIRONMENT" = "preview" ]; then
  terraform init -input=false
  terraform destroy -auto-approve
fi
`, C, C, CatInfraTeardown},
		{"secret leak in debug step", `echo "debugging"
env
cat ~/.docker/config.json
`, H, C, CatSecrets},
		{"installer piped to shell in the middle", `node --version
curl -fsSL https://bun.sh/install | bash
bun install
`, C, C, CatRemoteCode},
		{"sql heredoc", `psql "$DATABASE_URL" <<'SQL'
BEGIN;
DELETE FROM sessions;
COMMIT;
SQL
`, C, C, CatDatabase},
		{"remote script over ssh heredoc", `ssh -o StrictHostKeyChecking=no deploy@"$HOST" bash -s <<'EOF'
set -e
cd /srv/app
git fetch --all
git reset --hard origin/main
sudo systemctl restart app
EOF
`, H, C, CatVCSRewrite},
	}
	for _, tt := range tests {
		got := Assess(tt.script)
		if got.Level < tt.min || got.Level > tt.max {
			t.Errorf("%s: level = %s, want %s..%s; reasons %q", tt.name, got.Level, tt.min, tt.max, got.Reasons)
		}
		if tt.cat != "" && !slices.Contains(got.Categories, tt.cat) {
			t.Errorf("%s: categories = %v, want %s", tt.name, got.Categories, tt.cat)
		}
	}
}
