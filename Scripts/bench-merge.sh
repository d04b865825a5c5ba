#!/usr/bin/env bash
# Merging a labeling round that touches 1% of a 100,000-image repository (1,000 documents)
# into a main branch that changed 1,000 other documents: time and peak memory.
# usage: Scripts/bench-merge.sh           results: bench-work/merge-*.md
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD; WORK=$ROOT/bench-work
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
swift build -c release >/dev/null
A="$(swift build -c release --show-bin-path)/annot"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
N=${1:-100000}; D=$WORK/small-$N; R=$WORK/merge-$N
[ -f "$D/round2.json" ] || python3 Scripts/bench/gen_small.py "$D" $N 1000
[ -f "$D/other.json" ] || python3 - "$D" <<'PY'
import json, sys, random
# A second, disjoint round on main: 1,000 other images, one box moved each.
d = sys.argv[1]; r1 = json.load(open(d + "/round1.json")); r2 = json.load(open(d + "/round2.json"))
taken = {i["id"] for i in r2["images"]}
rng = random.Random(3)
pick = set(rng.sample([i["id"] for i in r1["images"] if i["id"] not in taken], 1000))
anns = [dict(a, bbox=list(a["bbox"])) for a in r1["annotations"] if a["image_id"] in pick]
seen = set()
for a in anns:
    if a["image_id"] not in seen:
        seen.add(a["image_id"]); a["bbox"][1] = a["bbox"][1] + 1 if a["bbox"][1] + a["bbox"][3] < 16 else a["bbox"][1] - 1
json.dump({"images": [i for i in r1["images"] if i["id"] in pick], "annotations": anns, "categories": r1["categories"]}, open(d + "/other.json", "w"))
PY
if [ ! -d "$R/.annot" ]; then
  "$A" init "$R" >/dev/null
  (cd "$R" && "$A" import coco "$D/round1.json" --images "$D/images" >/dev/null && "$A" commit -m r1 >/dev/null \
    && "$A" switch -c round >/dev/null && "$A" import coco "$D/round2.json" --images "$D/images" >/dev/null && "$A" commit -m round >/dev/null \
    && "$A" switch main >/dev/null && "$A" import coco "$D/other.json" --images "$D/images" >/dev/null && "$A" commit -m other >/dev/null)
fi
cd "$R"
MAIN=$(git --git-dir .annot rev-parse main)
hyperfine --runs 5 --export-markdown "$WORK/merge-$N.md" --prepare "$A reset --hard $MAIN >/dev/null" \
  -n "annot merge (1% round into $N images, other 1% changed on main)" "$A merge round --no-ff -m merge >/dev/null"
"$A" reset --hard "$MAIN" >/dev/null
echo "peak RSS MB: $(/usr/bin/time -v "$A" merge round --no-ff -m merge 2>&1 >/dev/null | awk '/Maximum resident/ {printf "%.0f", $6/1024}')" > "$WORK/merge-$N-memory.txt"
"$A" diff "$MAIN" HEAD --stat | tail -2 >> "$WORK/merge-$N-memory.txt"
git --git-dir .annot fsck --strict --no-dangling && echo "fsck --strict ok" >> "$WORK/merge-$N-memory.txt"
"$A" reset --hard "$MAIN" >/dev/null
cat "$WORK/merge-$N.md" "$WORK/merge-$N-memory.txt"
