#!/usr/bin/env bash
# Makes .venv-s3/ with the S3 tools the image-store tests and Scripts/bench-s3.sh use:
# moto's S3-compatible server (moto[server]) and an independent S3 client (awscli).
# Prints the venv's bin directory; the test scripts export it as ANNOT_S3_TOOLS.
# usage: Scripts/s3-tools.sh            (idempotent; reinstalls only what is missing)
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=$PWD/.venv-s3
fail() { echo "s3-tools: $*" >&2; exit 1; }
PY=$(command -v python3 || true)
[ -n "$PY" ] || fail "python3 not found (apt-get install python3)"
if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PY" -m venv "$VENV" >/dev/null 2>&1; then
    rm -rf "$VENV"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null \
      || fail "cannot install python3-venv"
    /usr/bin/python3 -m venv "$VENV" || fail "cannot create $VENV"
  fi
fi
if [ ! -x "$VENV/bin/moto_server" ] || [ ! -x "$VENV/bin/aws" ]; then
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check 'moto[server]' awscli >&2 \
    || fail "pip install of moto[server] and awscli failed"
fi
echo "$VENV/bin"
