#!/usr/bin/env bash
# Semantic diff cost: (1) at 10,000 and 100,000 images with the same 1,000 changed documents
# (goal: nearly flat); (2) on the 5,000-image set with 10% of images edited, side by side with
# Datumaro's `datum compare` and a naive Python script matching COCO ids; peak memory of each.
# usage: Scripts/bench-diff.sh            results: bench-work/diff-*.md
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD; WORK=$ROOT/bench-work; VENV=$ROOT/.venv-peers; SHARED=${SHARED:-$ROOT/../shared}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
[ -x "$VENV/bin/datum" ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q -r "$SHARED/peers-requirements.txt"; }
swift build -c release >/dev/null
A="$(swift build -c release --show-bin-path)/annot"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
mem() { /usr/bin/time -v bash -c "$1" 2>&1 >/dev/null | awk '/Maximum resident/ {printf "%.0f", $6/1024}'; }
rounds() {  # repo data r1 r2 images
  rm -rf "$1"; "$A" init "$1" >/dev/null
  (cd "$1" && "$A" import coco "$3" --images "$5" >/dev/null && "$A" commit -m r1 >/dev/null && "$A" switch -c r2 >/dev/null \
    && "$A" import coco "$4" --images "$5" >/dev/null && "$A" commit -m r2 >/dev/null && "$A" switch main >/dev/null)
}
# (1) flat cost in repository size
for N in 10000 100000; do
  D=$WORK/small-$N
  [ -f "$D/round2.json" ] || python3 Scripts/bench/gen_small.py "$D" $N 1000
  [ -d "$WORK/repo-$N/.annot" ] || rounds "$WORK/repo-$N" "$D" "$D/round1.json" "$D/round2.json" "$D/images"
done
hyperfine --warmup 1 --runs 10 --export-markdown "$WORK/diff-scale.md" \
  -n "annot diff, 10,000 images, 1,000 changed" "cd $WORK/repo-10000 && $A diff main r2 --json >/dev/null" \
  -n "annot diff, 100,000 images, 1,000 changed" "cd $WORK/repo-100000 && $A diff main r2 --json >/dev/null"
echo "peak RSS MB: 10k $(mem "cd $WORK/repo-10000 && $A diff main r2 --json"), 100k $(mem "cd $WORK/repo-100000 && $A diff main r2 --json")" > "$WORK/diff-scale-memory.txt"
# The diff must report exactly the recorded edits.
(cd "$WORK/repo-100000" && "$A" diff main r2 --json) | python3 -c "
import json,sys; s=json.load(sys.stdin)['summary']; e=json.load(open('$WORK/small-100000/round2-edits.json'))
want={k:sum(1 for x in e if x['kind']==k) for k in ('moved','relabeled','resized')}
got={k:s[k] for k in want}; print('recorded', want, 'reported', got); assert want==got and s['annotations_added']==0 and s['annotations_removed']==0
" | tee "$WORK/diff-check.txt"
# (2) against Datumaro and the naive script, 5,000 images, 10% edited
D=$WORK/data-5000
[ -f "$D/round2.json" ] || "$VENV/bin/python" Scripts/bench/gen_dataset.py "$D" 5000
[ -d "$WORK/repo-5000/.annot" ] || rounds "$WORK/repo-5000" "$D" "$D/round1.json" "$D/round2.json" "$D/images"
for r in 1 2; do
  mkdir -p "$WORK/coco-r$r/annotations"; ln -sfn "$D/images" "$WORK/coco-r$r/images"
  cp "$D/round$r.json" "$WORK/coco-r$r/annotations/instances_default.json"
done
rm -rf "$WORK/datum-out"
hyperfine --runs 3 --export-markdown "$WORK/diff-peers.md" \
  -n "annot diff --json (5,000 images, 10% edited)" "cd $WORK/repo-5000 && $A diff main r2 --json >/dev/null" \
  -n "naive Python id-matching script" "python3 Scripts/bench/naive_diff.py $D/round1.json $D/round2.json >/dev/null"
hyperfine --runs 1 --export-markdown "$WORK/diff-datum.md" --prepare "rm -rf $WORK/datum-out" \
  -n "datum compare -m distance (CLI)" "$VENV/bin/datum compare $WORK/coco-r1:coco $WORK/coco-r2:coco -m distance -o $WORK/datum-out >/dev/null 2>&1"
{
  echo "peak RSS MB: annot $(mem "cd $WORK/repo-5000 && $A diff main r2 --json")"
  echo "naive script $(mem "python3 Scripts/bench/naive_diff.py $D/round1.json $D/round2.json")"
  rm -rf "$WORK/datum-out"
  echo "datum compare $(mem "$VENV/bin/datum compare $WORK/coco-r1:coco $WORK/coco-r2:coco -m distance -o $WORK/datum-out")"
} > "$WORK/diff-peers-memory.txt"
cat "$WORK/diff-scale.md" "$WORK/diff-scale-memory.txt" "$WORK/diff-check.txt" "$WORK/diff-peers.md" "$WORK/diff-datum.md" "$WORK/diff-peers-memory.txt"
