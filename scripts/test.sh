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
if ! npx tsc --noEmit -p .; then
    status=1
    # One failure in .ci/run's summary line (vitest's report shape, which test-summary.mjs reads).
    echo '{"numPassedTests":0,"numFailedTests":1,"numPendingTests":0,"numTodoTests":0,"numFailedTestSuites":1}' > .reports/typecheck.json
fi
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=.reports/unit.json || status=1
# Real servers and containers: one file at a time on two cores.
npx vitest run --project integration --no-file-parallelism --reporter=default --reporter=json --outputFile.json=.reports/integration.json || status=1
npx vitest run --project e2e --no-file-parallelism --reporter=default --reporter=json --outputFile.json=.reports/e2e.json || status=1
exit "$status"
