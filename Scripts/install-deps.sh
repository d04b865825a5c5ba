#!/usr/bin/env bash
# Installs the Debian packages annot builds against, only if some are missing.
set -euo pipefail
PKGS="libgit2-dev libsqlite3-dev zlib1g-dev libssl-dev libpng-dev pkg-config git less"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
