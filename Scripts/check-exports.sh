#!/usr/bin/env bash
# Checks annot's exports and imports against the tools people use: pycocotools, Datumaro,
# supervision, globox, labelme and label-studio-converter (Scripts/check-exports.py says what is
# compared). Installs the pinned PyPI packages (Scripts/check-exports-requirements.txt) into
# .venv-check on first use, builds the debug binary, and runs on a generated dataset in a
# temporary directory. Prints one line per check; exits 1 if any fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${CHECK_EXPORTS_VENV:-$ROOT/.venv-check}
REQ=$ROOT/Scripts/check-exports-requirements.txt
UV_VERSION=0.13.9
stamp=$( (echo "uv $UV_VERSION"; cat "$REQ") | sha256sum | cut -c1-16)
if [ "$(cat "$VENV/.stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "check-exports: installing readers into $VENV (once)"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  # uv (a PyPI client) installs the ~80 pinned wheels in parallel: ~25 s instead of ~2.5 min with pip.
  if "$VENV/bin/pip" install -q --disable-pip-version-check "uv==$UV_VERSION"; then
    "$VENV/bin/uv" pip install -q --python "$VENV/bin/python" -r "$REQ"
  else
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ"
  fi
  echo "$stamp" > "$VENV/.stamp"
fi
swift build 2>&1 | grep -E "error|warning: unre" || true
A="$(swift build --show-bin-path)/annot"
[ -x "$A" ] || { echo "check-exports: no annot binary at $A" >&2; exit 1; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export GIT_AUTHOR_NAME="check-exports" GIT_AUTHOR_EMAIL="check@example.com"
export GIT_COMMITTER_NAME="check-exports" GIT_COMMITTER_EMAIL="check@example.com"
export NO_COLOR=1 ANNOT_PAGER=cat QT_QPA_PLATFORM=offscreen
"$VENV/bin/python" "$ROOT/Scripts/check-exports.py" "$A" "$W/work"
