#!/usr/bin/env bash
# Runs the whole test suite: installs missing system packages and the S3 test tools, builds with strict import checks,
# runs `swift test` and the Python reader's tests (Scripts/test-python.sh), and prints a plain
# "N passed, N failed" line.
#
#   Scripts/test.sh                       the suite, as CI runs it
#   Scripts/test.sh --sanitize address    the Swift suite under AddressSanitizer (scratch .build-asan)
#   Scripts/test.sh --sanitize thread     the Swift suite under ThreadSanitizer (scratch .build-tsan)
#
# Under a sanitizer the end-to-end tests run the sanitized `annot` built beside the tests, and a
# sanitizer report fails the run (halt_on_error); the Python reader's tests are skipped (no Swift).
set -uo pipefail
cd "$(dirname "$0")/.."
sanitize=""
if [ "${1:-}" = "--sanitize" ]; then
  sanitize=${2:-}
  case $sanitize in address|thread) ;; *) echo "usage: Scripts/test.sh [--sanitize address|thread]" >&2; exit 2 ;; esac
fi
./Scripts/install-deps.sh || exit 1
# moto_server and the AWS CLI for the image-store tests, in .venv-s3/ (Scripts/s3-tools.sh).
# Without them the suite is skipped locally; under CI=true the tests fail instead.
if tools=$(./Scripts/s3-tools.sh); then export ANNOT_S3_TOOLS=$tools
else echo "test.sh: moto_server/awscli unavailable; the image-store tests will be skipped (or fail under CI=true)" >&2
fi
log=$(mktemp)
if [ -n "$sanitize" ]; then
  scratch=.build-${sanitize:0:1}san
  # Leaks at exit are libgit2/libxml2 process-lifetime caches, not bugs of interest.
  export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:${ASAN_OPTIONS:-}"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:${TSAN_OPTIONS:-}"
  swift build --scratch-path "$scratch" --build-tests --sanitize="$sanitize" || exit 1
  swift test --scratch-path "$scratch" --skip-build --sanitize="$sanitize" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
else
  swift build --explicit-target-dependency-import-check=error || exit 1
  swift test 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
fi
passed=$(grep -E '^(✔|􁁛) Test .* passed' "$log" | grep -vc ' Test run ' || true)
failed=$(grep -E '^(✘|􀢄) Test .* failed' "$log" | grep -vc ' Test run ' || true)
xpassed=$(grep -E "^Test Case .* passed" "$log" | wc -l)
xfailed=$(grep -E "^Test Case .* failed" "$log" | wc -l)
skipped=$(grep -cE '^➜ Test .* skipped' "$log" || true)
# The Python reader's tests (python/), in their own venv; their counts join the line below.
if [ -n "$sanitize" ]; then
  ppassed=0; pfailed=0; pskipped=0; prc=0
else
  ./Scripts/test-python.sh 2>&1 | tee "$log"
  prc=${PIPESTATUS[0]}
  read -r ppassed pfailed pskipped < <(sed -nE 's/^python: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/\1 \2 \3/p' "$log" | tail -1)
  [ -n "${ppassed:-}" ] || { ppassed=0; pfailed=1; pskipped=0; }
fi
[ "$rc" != 0 ] || rc=$prc
echo "$((passed + xpassed + ppassed)) passed, $((failed + xfailed + pfailed)) failed, $((skipped + pskipped)) skipped"
rm -f "$log"
exit $rc
