#!/usr/bin/env bash
# The one test command (README "Testing"): installs the pinned test
# dependencies, starts a DynamoDB-compatible server (dynalite) on a free
# loopback port, then runs vet, go mod tidy -diff, staticcheck (pinned), the
# race-enabled test suite, each fuzz target briefly, the container test (in
# CI, CI=true, a missing Docker engine fails it), the release and chart
# checks, and the demo in --auto mode. Everything it starts, it stops.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${STEPGATE_FUZZTIME:-5s}
pids=()
cleanup() {
	for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# Each step's time is printed as the next begins, and all of them at the
# end, so a slow machine shows where the 30-minute budget goes.
times=()
last_step="" last_start=$SECONDS
step() {
	[ -n "$last_step" ] && times+=("$(printf '%4ds  %s' $((SECONDS - last_start)) "$last_step")")
	last_step=$1 last_start=$SECONDS
	printf '\n==> %s\n' "$*"
}

step "npm ci (dynalite, @octokit/openapi, @octokit/webhooks-examples; pinned in package-lock.json)"
npm ci --no-audit --no-fund --loglevel=error

step "starting dynalite on 127.0.0.1"
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
node_modules/.bin/dynalite --host 127.0.0.1 --port "$port" >/tmp/stepgate-dynalite.log 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
	if node -e 'require("net").connect('"$port"',"127.0.0.1").on("connect",()=>process.exit(0)).on("error",()=>process.exit(1))' 2>/dev/null; then break; fi
	sleep 0.1
done
export STEPGATE_TEST_DYNAMODB_ENDPOINT="http://127.0.0.1:$port"
export AWS_REGION=${AWS_REGION:-us-east-1} AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test}
echo "STEPGATE_TEST_DYNAMODB_ENDPOINT=$STEPGATE_TEST_DYNAMODB_ENDPOINT"

step "go vet ./..."
go vet ./...

step "go mod tidy is clean"
go mod tidy -diff

step "staticcheck ./... (honnef.co/go/tools v0.8.2)"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

step "go test -race ./..."
go test -race -timeout 20m ./...

step "fuzzing each target for $FUZZTIME"
grep -rl --include='*_test.go' '^func Fuzz' . | grep -v node_modules | while read -r f; do
	dir=$(dirname "$f")
	for t in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
		echo "fuzz $dir $t"
		# Go's fuzzer can end a run with a bare "context deadline exceeded"
		# when -fuzztime runs out while a worker is mid-input (no failing
		# input is written). Such a run gets one retry; a real failure, which
		# writes its input under testdata/fuzz, fails at once.
		for attempt in 1 2; do
			if go test -run '^$' -fuzz "^$t\$" -fuzztime "$FUZZTIME" "$dir" >/tmp/stepgate-fuzz.log 2>&1; then break; fi
			if [ "$attempt" = 1 ] && grep -q 'context deadline exceeded' /tmp/stepgate-fuzz.log && ! grep -q 'Failing input written' /tmp/stepgate-fuzz.log; then
				echo "fuzz $dir $t: the fuzzer's deadline fired mid-input (no failing input); retrying once"
				continue
			fi
			cat /tmp/stepgate-fuzz.log
			exit 1
		done
	done
done

if [ -x scripts/container-test.sh ]; then
	step "container test"
	scripts/container-test.sh
fi

step "release check: goreleaser check, snapshot build, the composite action's installer (scripts/release-check.sh)"
scripts/release-check.sh

step "Helm chart check: helm lint, helm template, Kubernetes schemas (scripts/chart-check.sh)"
scripts/chart-check.sh

step "go run ./cmd/stepgate demo --auto"
go run ./cmd/stepgate demo --auto

step "done"
echo "step times:"
printf '  %s\n' "${times[@]}"
echo "all checks passed in $((SECONDS / 60))m$((SECONDS % 60))s"
