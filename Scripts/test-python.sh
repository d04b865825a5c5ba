#!/usr/bin/env bash
# Tests of the Python reader (python/annot_reader) against the annot binary: makes a virtual
# environment .venv-test/ from PyPI (pytest, pygit2, numpy, Pillow, pycocotools), installs
# ./python into it, runs pytest, and ends with "python: N passed, N failed, N skipped".
# usage: Scripts/test-python.sh [pytest args]      ANNOT=/path/to/annot (default: the debug build)
#        PYTHON_TEST_VENV=DIR: use (or make) that venv instead, e.g. one where torch and datasets
#        are installed, so that the adapter tests that skip here run too.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${PYTHON_TEST_VENV:-$ROOT/.venv-test}
fail() { echo "test-python: $*" >&2; echo "python: 0 passed, 1 failed, 0 skipped"; exit 1; }

PY=$(command -v python3 || true)
[ -n "$PY" ] || fail "python3 not found (apt-get install python3)"
if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PY" -m venv "$VENV" >/dev/null 2>&1; then
    # Debian's python3 ships venv/ensurepip separately.
    rm -rf "$VENV"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    echo "installing: python3-venv"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null \
      || fail "cannot install python3-venv"
    /usr/bin/python3 -m venv "$VENV" || fail "cannot create $VENV"
  fi
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check pytest pygit2 numpy Pillow pycocotools \
  || fail "pip install of the test requirements failed"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps --force-reinstall "$ROOT/python" \
  || fail "pip install ./python failed"

export ANNOT=${ANNOT:-$ROOT/.build/debug/annot}
[ -x "$ANNOT" ] || fail "no annot binary at $ANNOT (run 'swift build' first)"
log=$(mktemp)
# Run from the tests directory so the installed package (not the source tree) is what is imported.
(cd "$ROOT/python/tests" && "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@" .) 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
summary=$(grep -E '^=*\s*[0-9]+ (passed|failed|skipped|error)' "$log" | tail -1)
[ -n "$summary" ] || summary=$(tail -1 "$log")
num() { echo "$summary" | grep -oE "[0-9]+ $1" | grep -oE '^[0-9]+' || echo 0; }
passed=$(num passed); failed=$(num failed); skipped=$(num skipped); errors=$(num error)
rm -f "$log"
failed=$((failed + errors))
[ "$rc" = 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "python: $passed passed, $failed failed, $skipped skipped"
exit $rc
