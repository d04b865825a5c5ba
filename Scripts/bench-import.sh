#!/usr/bin/env bash
# Import + commit of N images (default 5,000 × ~100 KB JPEG) with their COCO file, side by side with
# `git add -A && git commit`, `dvc add` + commit, and Oxen's add + commit, in one run: round 1 (a
# fresh repository each run) and round 2, the round users repeat: the vendor re-delivers every
# image with a new COCO file in which 10% of the images' labels were edited. Each tool versions
# round 2 on top of its own round 1; hyperfine's --prepare puts round 1 back (untimed) before each
# run, and for annot also deletes the import memo, so every run is a first re-delivery.
# Then `annot diff --json` of the round. Times: hyperfine (warm cache). Peak memory: /usr/bin/time -v.
# usage: Scripts/bench-import.sh [N]      results: bench-work/import-*.md
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5000}
ROOT=$PWD
WORK=$ROOT/bench-work
SHARED=${SHARED:-$ROOT/../shared}
VENV=$ROOT/.venv-peers
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
[ -x "$VENV/bin/dvc" ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q -r "$SHARED/peers-requirements.txt"; }
swift build -c release >/dev/null
ANNOT="$(swift build -c release --show-bin-path)/annot"
DATA=$WORK/data-$N
[ -f "$DATA/round1.json" ] || "$VENV/bin/python" Scripts/bench/gen_dataset.py "$DATA" "$N"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
export PATH="$VENV/bin:$PATH"
R=$WORK/run
# Each tool gets its own copy of the files in its repository directory, as its users would have.
prep_copy='rm -rf '$R' && mkdir -p '$R' && cp -r '$DATA'/images '$DATA'/round1.json '$R'/'
cat > "$WORK/oxen_add_commit.py" <<'PY'
import sys, oxen
oxen.user.config_user("bench", "bench@example.com")
r = oxen.Repo(sys.argv[1]); r.init(); r.add(sys.argv[1] + "/images"); r.add(sys.argv[1] + "/round1.json"); r.commit("round 1")
PY
hyperfine --runs 3 --export-markdown "$WORK/import-$N.md" --export-json "$WORK/import-$N.json" \
  -n "annot import coco + commit" --prepare "rm -rf $R && mkdir -p $R" \
     "cd $R && $ANNOT init r >/dev/null && cd r && $ANNOT import coco $DATA/round1.json --images $DATA/images >/dev/null && $ANNOT commit -m r1 >/dev/null" \
  -n "git add -A + commit" --prepare "$prep_copy" \
     "cd $R && git init -q && git add -A && git commit -qm r1" \
  -n "dvc add + commit" --prepare "$prep_copy" \
     "cd $R && git init -q && dvc init -q && dvc add -q images round1.json && git add -A && git commit -qm r1" \
  -n "oxen add + commit" --prepare "$prep_copy" \
     "python $WORK/oxen_add_commit.py $R"
echo "| tool | peak RSS (MB) |" > "$WORK/import-$N-memory.md"
echo "|---|---|" >> "$WORK/import-$N-memory.md"
mem() { /usr/bin/time -v bash -c "$2" 2>&1 >/dev/null | awk -v n="$1" '/Maximum resident/ {printf "| %s | %.0f |\n", n, $6/1024}' >> "$WORK/import-$N-memory.md"; }
rm -rf $R && mkdir -p $R && mem "annot import coco + commit" "cd $R && $ANNOT init r >/dev/null && cd r && $ANNOT import coco $DATA/round1.json --images $DATA/images >/dev/null && $ANNOT commit -m r1 >/dev/null"
( cd $R/r && git --git-dir .annot fsck --strict --no-dangling && echo "annot repository: git fsck --strict ok" ) | tee "$WORK/import-$N-fsck.txt"
eval "$prep_copy" && mem "git add -A + commit" "cd $R && git init -q && git add -A && git commit -qm r1"
eval "$prep_copy" && mem "dvc add + commit" "cd $R && git init -q && dvc init -q && dvc add -q images round1.json && git add -A && git commit -qm r1"
eval "$prep_copy" && mem "oxen add + commit" "python $WORK/oxen_add_commit.py $R"
du -sh "$DATA/images" | awk '{print "image bytes: " $1}' > "$WORK/import-$N-size.txt"

# Round 2. One repository per tool under $R2, each holding round 1 as its users would have it.
R2=$WORK/rounds
rm -rf "$R2" && mkdir -p "$R2/git" "$R2/dvc" "$R2/oxen"
"$ANNOT" init "$R2/annot" >/dev/null
(cd "$R2/annot" && "$ANNOT" import coco "$DATA/round1.json" --images "$DATA/images" >/dev/null && "$ANNOT" commit -m r1 >/dev/null && "$ANNOT" tag r1 >/dev/null)
for t in git dvc oxen; do cp -r "$DATA/images" "$R2/$t/" && cp "$DATA/round1.json" "$R2/$t/annotations.json"; done
(cd "$R2/git" && git init -q && git add -A && git commit -qm r1)
(cd "$R2/dvc" && git init -q && dvc init -q && dvc add -q images annotations.json && git add -A && git commit -qm r1)
cat > "$WORK/oxen_round.py" <<'PY'
import sys, oxen
oxen.user.config_user("bench", "bench@example.com")
d, init = sys.argv[1], len(sys.argv) > 3
r = oxen.Repo(d)
if init: r.init(); r.add(d + "/images")
r.add(d + "/annotations.json"); r.commit(sys.argv[2])
PY
python "$WORK/oxen_round.py" "$R2/oxen" r1 init
hyperfine --runs 5 --export-markdown "$WORK/import-$N-round2.md" --export-json "$WORK/import-$N-round2.json" \
  -n "annot import coco + commit" \
     --prepare "cd $R2/annot && $ANNOT reset -q --hard r1 && rm -f .annot/annot/import-memo" \
     "cd $R2/annot && $ANNOT import coco $DATA/round2.json --images $DATA/images >/dev/null && $ANNOT commit -m r2 >/dev/null" \
  -n "git add -A + commit" --prepare "cd $R2/git && cp $DATA/round1.json annotations.json && git commit -qam back || true" \
     "cd $R2/git && cp $DATA/round2.json annotations.json && git add -A && git commit -qm r2" \
  -n "dvc add + commit" --prepare "cd $R2/dvc && cp $DATA/round1.json annotations.json && dvc add -q images annotations.json && git commit -qam back || true" \
     "cd $R2/dvc && cp $DATA/round2.json annotations.json && dvc add -q images annotations.json && git add -A && git commit -qm r2" \
  -n "oxen add + commit" --prepare "cp $DATA/round1.json $R2/oxen/annotations.json && python $WORK/oxen_round.py $R2/oxen back || true" \
     "cp $DATA/round2.json $R2/oxen/annotations.json && python $WORK/oxen_round.py $R2/oxen r2"
(cd "$R2/annot" && git --git-dir .annot fsck --strict --no-dangling && echo "annot repository after round 2: git fsck --strict ok") | tee -a "$WORK/import-$N-fsck.txt"
# The diff of the round, as a reviewer asks for it.
(cd "$R2/annot" && "$ANNOT" tag r2 >/dev/null)
hyperfine --warmup 2 --runs 10 --export-markdown "$WORK/import-$N-diff.md" \
  -n "annot diff --json r1 r2" "cd $R2/annot && $ANNOT diff --json r1 r2 >/dev/null" \
  -n "annot diff --stat r1 r2" "cd $R2/annot && $ANNOT diff --stat r1 r2 >/dev/null" \
  -n "git diff --stat (the COCO file)" "cd $R2/git && git diff --stat HEAD~1 HEAD >/dev/null"
cat "$WORK/import-$N.md" "$WORK/import-$N-memory.md" "$WORK/import-$N-size.txt" "$WORK/import-$N-round2.md" "$WORK/import-$N-diff.md"
