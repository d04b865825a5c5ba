#!/usr/bin/env bash
# Export of 5,000 images (~100 KB each) to YOLO and COCO, side by side with `git archive | tar -x`
# of the same tree (goal: within 1.3x), peak memory, and import of every format's export of the
# same data (the fixture of each format scaled to 5,000 images).
# usage: Scripts/bench-export.sh          results: bench-work/export-*.md
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD; WORK=$ROOT/bench-work; VENV=$ROOT/.venv-peers; SHARED=${SHARED:-$ROOT/../shared}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
[ -x "$VENV/bin/python" ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q -r "$SHARED/peers-requirements.txt"; }
swift build -c release >/dev/null
A="$(swift build -c release --show-bin-path)/annot"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
D=$WORK/data-5000; R=$WORK/repo-5000
[ -f "$D/round1.json" ] || "$VENV/bin/python" Scripts/bench/gen_dataset.py "$D" 5000
if [ ! -d "$R/.annot" ]; then
  "$A" init "$R" >/dev/null
  (cd "$R" && "$A" import coco "$D/round1.json" --images "$D/images" >/dev/null && "$A" commit -m r1 >/dev/null)
fi
cd "$R"
O=$WORK/export-out
hyperfine --runs 3 --export-markdown "$WORK/export-5000.md" --prepare "rm -rf $O" \
  -n "annot export --format yolo" "$A export main --format yolo --to $O >/dev/null" \
  -n "annot export --format coco" "$A export main --format coco --to $O >/dev/null" \
  -n "git archive | tar -x" "mkdir -p $O && git --git-dir .annot archive main | tar -x -C $O"
mem() { rm -rf $O; /usr/bin/time -v bash -c "$1" 2>&1 >/dev/null | awk '/Maximum resident/ {printf "%.0f", $6/1024}'; }
echo "peak RSS MB: yolo $(mem "$A export main --format yolo --to $O"), coco $(mem "$A export main --format coco --to $O"), git archive|tar $(mem "mkdir -p $O && git --git-dir .annot archive main | tar -x -C $O")" > "$WORK/export-5000-memory.txt"
# Import of each format at 5,000 images: export once, then import into a fresh repository.
echo "| format | import of 5,000 images (s) |" > "$WORK/import-formats.md"; echo "|---|---|" >> "$WORK/import-formats.md"
for f in coco yolo voc cvat labelme labelstudio; do
  rm -rf "$WORK/fmt-$f"; "$A" export main --format $f --to "$WORK/fmt-$f" >/dev/null
  case $f in
    coco) src="$WORK/fmt-coco/annotations/instances_default.json"; extra=(--images "$WORK/fmt-coco/images/default") ;;
    *) src="$WORK/fmt-$f"; extra=() ;;
  esac
  rm -rf "$WORK/imp-$f"; "$A" init "$WORK/imp-$f" >/dev/null
  t0=$(date +%s.%N); (cd "$WORK/imp-$f" && "$A" import $f "$src" "${extra[@]}" >/dev/null); t1=$(date +%s.%N)
  echo "| $f | $(echo "$t1 - $t0" | bc) |" >> "$WORK/import-formats.md"
done
cat "$WORK/export-5000.md" "$WORK/export-5000-memory.txt" "$WORK/import-formats.md"
