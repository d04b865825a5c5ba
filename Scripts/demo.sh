#!/usr/bin/env bash
# The main job on the bundled dataset: installs missing system packages, builds release, then
# import → commit → a second round on a branch → diff → merge → export → verify, in ./demo-out/.
set -euo pipefail
cd "$(dirname "$0")/.."
./Scripts/install-deps.sh
swift build -c release 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
ANNOT="$(swift build -c release --show-bin-path)/annot"
export NO_COLOR=1 ANNOT_PAGER=cat
DATA="$PWD/Scripts/demo-data"
OUT="$PWD/demo-out"
rm -rf "$OUT"; mkdir -p "$OUT"
run() { echo; echo "\$ annot $*"; "$ANNOT" "$@"; }
export GIT_AUTHOR_NAME="Demo Labeler" GIT_AUTHOR_EMAIL="labeler@example.com"
export GIT_COMMITTER_NAME="Demo Labeler" GIT_COMMITTER_EMAIL="labeler@example.com"
export GIT_AUTHOR_DATE="1767225600 +0000" GIT_COMMITTER_DATE="1767225600 +0000"

run init "$OUT/shapes"
cd "$OUT/shapes"
run import coco "$DATA/round1/instances.json" --images "$DATA/round1/images"
run status
run commit -m "round 1 from vendor A"
run branch round-2
run switch round-2
# The vendor renumbered every annotation id; annot re-attaches them to round 1 by geometry.
run import coco "$DATA/round2/instances.json" --images "$DATA/round1/images"
run commit -m "round 2: vendor fixes"
run diff main round-2
run diff main round-2 --stat
run diff main round-2 --html "$OUT/review.html"
run switch main
# Meanwhile a reviewer relabels two other boxes on main.
run import coco "$DATA/review/instances.json" --images "$DATA/round1/images"
run commit -m "review: two class fixes"
run merge round-2 -m "merge round 2"
run log --oneline
run show HEAD:images/train/0013.png
run tag v1
run export v1 --format yolo --to "$OUT/export-yolo"
run export v1 --format coco --to "$OUT/export-coco"
run verify "$OUT/export-yolo"
echo; echo "\$ git --git-dir .annot fsck --strict"
git --git-dir .annot fsck --strict --no-dangling
echo; echo "demo finished: repository in $OUT/shapes, review page $OUT/review.html, exports in $OUT/export-*"
