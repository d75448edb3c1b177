#!/usr/bin/env bash
# `npm test`: system packages, type check, unit tests, then integration tests on real servers.
# Each vitest run writes a JSON report under .reports/ that .ci/run sums up.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

bash scripts/install-system-deps.sh || exit 1
rm -rf .reports && mkdir -p .reports

status=0
npx tsc --noEmit -p . || status=1
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=.reports/unit.json || status=1
# Real servers: one file at a time on two cores.
npx vitest run --project integration --no-file-parallelism --reporter=default --reporter=json --outputFile.json=.reports/integration.json || status=1
exit "$status"
