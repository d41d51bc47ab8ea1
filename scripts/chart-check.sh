#!/usr/bin/env bash
# Checks the Helm chart (deploy/helm/stepgate): `helm lint --strict`,
# `helm template` with CI values and with a one-replica bolt install, a
# schema check of every rendered object against the Kubernetes API schemas
# (npm kubernetes-models, offline), and that bad values fail with a message
# naming the value. Helm is helm.sh/helm/v3 v3.22.0, run from its Go module.
# scripts/test.sh runs this; it takes about TIME_CHART (see BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."

chart=deploy/helm/stepgate
tmp=$(mktemp -d /tmp/stepgate-chart.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# Built once (cached like go run, linked once for the six calls below).
GOBIN="$tmp/bin" go install helm.sh/helm/v3/cmd/helm@v3.22.0
HELM=("$tmp/bin/helm")
fail() { echo "chart check FAILED: $*" >&2; exit 1; }

if [ ! -d node_modules/kubernetes-models ]; then
	if [ "${CI:-}" = true ]; then fail "node_modules/kubernetes-models is missing (npm ci: it is in package.json)"; fi
	echo "chart check: node_modules/kubernetes-models is missing (run npm ci); skipping the schema check outside CI"
	schema=false
else
	schema=true
fi
go build -o "$tmp/yaml2json" ./scripts/yaml2json

echo "helm lint"
"${HELM[@]}" lint --strict "$chart" -f deploy/helm/ci-values.yaml

render() { # name, then helm template flags
	local name=$1; shift
	"${HELM[@]}" template stepgate "$chart" --namespace stepgate "$@" >"$tmp/$name.yaml"
	"$tmp/yaml2json" <"$tmp/$name.yaml" >"$tmp/$name.jsonl"
	if $schema; then node scripts/k8s-validate.mjs --require "$REQUIRE" <"$tmp/$name.jsonl"; fi
}
echo "helm template: DynamoDB, 2 replicas, ingress"
REQUIRE=Deployment,Service,PodDisruptionBudget,ServiceAccount,Ingress render dynamo -f deploy/helm/ci-values.yaml
if $schema; then # the schema check itself: a wrong type must be refused
	sed 's/"containerPort":8080/"containerPort":"8080"/' "$tmp/dynamo.jsonl" >"$tmp/broken.jsonl"
	grep -q '"containerPort":"8080"' "$tmp/broken.jsonl" || fail "could not build the broken Deployment"
	if node scripts/k8s-validate.mjs <"$tmp/broken.jsonl" >/dev/null 2>&1; then fail "the schema check accepted containerPort as a string"; fi
fi
grep -q '"/readyz"\|path: /readyz' "$tmp/dynamo.yaml" || fail "no readiness probe on /readyz"
grep -q 'path: /healthz' "$tmp/dynamo.yaml" || fail "no liveness probe on /healthz"
grep -q 'runAsNonRoot: true' "$tmp/dynamo.yaml" || fail "the pod may run as root"
echo "helm template: bolt, 1 replica"
REQUIRE=Deployment,Service render bolt -f deploy/helm/ci-values.yaml --set replicaCount=1 --set store.type=bolt --set store.bolt.existingClaim=stepgate-data --set ingress.enabled=false
if grep -q 'kind: PodDisruptionBudget' "$tmp/bolt.yaml"; then fail "a PodDisruptionBudget for a single replica blocks node drains"; fi

echo "helm template: bad values are refused with a message"
expect_fail() { # message, then flags
	local msg=$1; shift
	if "${HELM[@]}" template stepgate "$chart" "$@" >"$tmp/out" 2>&1; then fail "rendered despite: $msg"; fi
	grep -q "$msg" "$tmp/out" || { cat "$tmp/out" >&2; fail "the error does not say: $msg"; }
}
expect_fail "publicURL is required" --set github.appID=1 --set github.existingSecret=s
expect_fail "github.existingSecret is required" --set publicURL=https://x.example --set github.appID=1
expect_fail "set replicaCount 1" -f deploy/helm/ci-values.yaml --set store.type=bolt --set store.bolt.existingClaim=c
echo "chart check passed"
