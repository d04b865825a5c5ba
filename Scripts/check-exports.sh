#!/usr/bin/env bash
# Exports the demo repository (after Scripts/demo.sh) to COCO, YOLO and VOC and checks them with
# the readers people train with: pycocotools for COCO, Datumaro for YOLO and VOC.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD; VENV=$ROOT/.venv-peers; SHARED=${SHARED:-$ROOT/../shared}
[ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import pycocotools, datumaro" 2>/dev/null || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q -r "$SHARED/peers-requirements.txt"; }
A="$(swift build -c release --show-bin-path)/annot"
[ -d demo-out/shapes/.annot ] || ./Scripts/demo.sh >/dev/null
W=$(mktemp -d)
cd demo-out/shapes
"$A" query 'kind == "box" or kind == "polygon"' --json --rev v1 > "$W/expected.json"
for f in coco yolo voc; do "$A" export v1 --format $f --to "$W/$f" >/dev/null; done
"$VENV/bin/python" "$ROOT/Scripts/check-exports.py" "$W/expected.json" "$W/coco" "$W/yolo" "$W/voc"
