#!/usr/bin/env bash
# Runs the whole test suite: installs missing system packages and the S3 test tools, builds with strict import checks,
# runs `swift test` and the Python reader's tests (Scripts/test-python.sh), and prints a plain
# "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
./Scripts/install-deps.sh || exit 1
# moto_server and the AWS CLI for the image-store tests, in .venv-s3/ (Scripts/s3-tools.sh).
# Without them the suite is skipped locally; under CI=true the tests fail instead.
if tools=$(./Scripts/s3-tools.sh); then export ANNOT_S3_TOOLS=$tools
else echo "test.sh: moto_server/awscli unavailable; the image-store tests will be skipped (or fail under CI=true)" >&2
fi
swift build --explicit-target-dependency-import-check=error || exit 1
log=$(mktemp)
swift test 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
passed=$(grep -E '^(✔|􁁛) Test .* passed' "$log" | grep -vc ' Test run ' || true)
failed=$(grep -E '^(✘|􀢄) Test .* failed' "$log" | grep -vc ' Test run ' || true)
xpassed=$(grep -E "^Test Case .* passed" "$log" | wc -l)
xfailed=$(grep -E "^Test Case .* failed" "$log" | wc -l)
skipped=$(grep -cE '^➜ Test .* skipped' "$log" || true)
# The Python reader's tests (python/), in their own venv; their counts join the line below.
./Scripts/test-python.sh 2>&1 | tee "$log"
prc=${PIPESTATUS[0]}
read -r ppassed pfailed pskipped < <(sed -nE 's/^python: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/\1 \2 \3/p' "$log" | tail -1)
[ -n "${ppassed:-}" ] || { ppassed=0; pfailed=1; pskipped=0; }
[ "$rc" != 0 ] || rc=$prc
echo "$((passed + xpassed + ppassed)) passed, $((failed + xfailed + pfailed)) failed, $((skipped + pskipped)) skipped"
rm -f "$log"
exit $rc
