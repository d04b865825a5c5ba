#!/usr/bin/env bash
# Runs the whole test suite: installs missing system packages, builds with strict import checks,
# runs `swift test`, and prints a plain "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
./Scripts/install-deps.sh || exit 1
swift build --explicit-target-dependency-import-check=error || exit 1
log=$(mktemp)
swift test 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
passed=$(grep -E '^(✔|􁁛) Test .* passed' "$log" | grep -vc ' Test run ' || true)
failed=$(grep -E '^(✘|􀢄) Test .* failed' "$log" | grep -vc ' Test run ' || true)
xpassed=$(grep -E "^Test Case .* passed" "$log" | wc -l)
xfailed=$(grep -E "^Test Case .* failed" "$log" | wc -l)
skipped=$(grep -cE '^➜ Test .* skipped' "$log" || true)
echo "$((passed + xpassed)) passed, $((failed + xfailed)) failed, $skipped skipped"
rm -f "$log"
exit $rc
