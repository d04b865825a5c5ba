#!/usr/bin/env bash
# Builds the Python reader's wheel (and sdist) into dist-python/ with PyPA's `build`, in a
# throwaway virtual environment. Install it with: pip install dist-python/annot_reader-*.whl
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-$PWD/dist-python}
VENV=$(mktemp -d)
trap 'rm -rf "$VENV"' EXIT
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check build
rm -rf python/build python/*.egg-info
"$VENV/bin/python" -m build --outdir "$OUT" python >/dev/null
rm -rf python/build python/*.egg-info
ls -1 "$OUT"
