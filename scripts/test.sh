#!/usr/bin/env bash
# `npm test`: system packages, type check, unit tests, then integration tests on real servers.
# Each vitest run writes a JSON report under .reports/ that .ci/run sums up.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

bash scripts/install-system-deps.sh || exit 1
rm -rf .reports && mkdir -p .reports

status=0
if ! npx tsc --noEmit -p .; then
    status=1
    # One failure in .ci/run's summary line (vitest's report shape, which test-summary.mjs reads).
    echo '{"numPassedTests":0,"numFailedTests":1,"numPendingTests":0,"numTodoTests":0,"numFailedTestSuites":1}' > .reports/typecheck.json
fi
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=.reports/unit.json || status=1
# Real servers: one file at a time on two cores.
npx vitest run --project integration --no-file-parallelism --reporter=default --reporter=json --outputFile.json=.reports/integration.json || status=1
exit "$status"
