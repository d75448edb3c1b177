#!/usr/bin/env bash
# `npm test`: system packages, type check, unit tests, integration tests on real servers and
# containers, then end-to-end tests on the real Docker engine and the real Pulumi CLI.
# Each vitest run writes a JSON report under .reports/ that .ci/run sums up.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

bash scripts/install-system-deps.sh || exit 1
rm -rf .reports && mkdir -p .reports

# The Docker engine and local registry the container tests use: started here once (installed
# first on a fresh machine, as root) and stopped at the end only if this run started them.
engine_started_here=false
if ! bash scripts/docker-engine.sh status >/dev/null 2>&1; then
    engine_started_here=true
fi
# shellcheck disable=SC2317 # called by the EXIT trap
stop_engine() {
    if [ "$engine_started_here" = true ]; then bash scripts/docker-engine.sh stop --force >/dev/null 2>&1 || true; fi
}
trap stop_engine EXIT
started=$SECONDS
bash scripts/docker-engine.sh start || exit 1
echo "test.sh: Docker engine and registry ready in $((SECONDS - started)) s"
started=$SECONDS
bash scripts/build-images.sh >/dev/null || exit 1
echo "test.sh: local images ready in $((SECONDS - started)) s"
# The Pulumi CLI from the Go module proxy, into a cache outside the repository (minutes cold, seconds warm).
started=$SECONDS
bash scripts/install-pulumi.sh >/dev/null || exit 1
echo "test.sh: Pulumi engine ready in $((SECONDS - started)) s"

status=0
# A failed static check counts as one failure in .ci/run's summary line (vitest's report shape,
# which test-summary.mjs reads); a passed one as one pass.
gate() {
    local name=$1
    shift
    if "$@"; then
        echo '{"numPassedTests":1,"numFailedTests":0,"numPendingTests":0,"numTodoTests":0,"numFailedTestSuites":0}' > ".reports/$name.json"
    else
        status=1
        echo '{"numPassedTests":0,"numFailedTests":1,"numPendingTests":0,"numTodoTests":0,"numFailedTestSuites":1}' > ".reports/$name.json"
    fi
}
gate typecheck npx tsc --noEmit -p .
gate format npx prettier --check components policies cli test scripts index.ts
gate lint npx eslint components policies cli test scripts index.ts
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=.reports/unit.json || status=1
# Real servers and containers: one file at a time on two cores.
npx vitest run --project integration --no-file-parallelism --reporter=default --reporter=json --outputFile.json=.reports/integration.json || status=1
npx vitest run --project e2e --no-file-parallelism --reporter=default --reporter=json --outputFile.json=.reports/e2e.json || status=1
exit "$status"
