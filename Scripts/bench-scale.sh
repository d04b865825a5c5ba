#!/usr/bin/env bash
# Scale benchmark: N tiny distinct images with 10 boxes each, in one flat folder and nested in
# folders of 1,000, through every step a team repeats each labeling round, side by side with git
# where git does the same job. Wall time and peak RSS of each step from /usr/bin/time.
#
# usage: Scripts/bench-scale.sh N [flat|nested|both]      results: bench-work/scale-N-LAYOUT.md
#        NO_GIT=1 Scripts/bench-scale.sh ...   skips the git side (copying 1M files for it takes long)
# Steps: round 1 import + commit (git: add -A + commit of the same files); status; a 1% round with
# only the changed images in its COCO file (import, commit, diff --stat, fast-forward merge); a full
# re-delivery of every image with 1% changed (import twice: the second must leave nothing to
# commit); a three-way merge of that round with another 1% round made on a second branch;
# export --format yolo (git: archive | tar -x; cp -r of the images); the bytes a 1% round adds to
# the store (git's on-disk size of the objects it introduces). Ends with git fsck --strict.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:?usage: bench-scale.sh N [flat|nested|both]}
LAYOUTS=${2:-both}; [ "$LAYOUTS" = both ] && LAYOUTS="flat nested"
ROOT=$PWD
WORK=$ROOT/bench-work
mkdir -p "$WORK"
./Scripts/install-deps.sh
swift build -c release 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
ANNOT="$(swift build -c release --show-bin-path)/annot"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
export ANNOT_PAGER=cat PAGER=cat
TIMING=$(mktemp)
trap 'rm -f "$TIMING"' EXIT

for LAYOUT in $LAYOUTS; do
  DATA=$WORK/scale-data-$N-$LAYOUT
  [ -f "$DATA/round2-full.json" ] || python3 Scripts/bench/gen_scale.py "$DATA" "$N" "$LAYOUT"
  [ -f "$DATA/round2-other.json" ] || python3 Scripts/bench/gen_other_round.py "$DATA"
  OUT=$WORK/scale-$N-$LAYOUT.md
  R=$WORK/scale-run-$N-$LAYOUT
  rm -rf "$R" && mkdir -p "$R"
  echo "| step | annot s | annot peak RSS MB | git s | git peak RSS MB |" > "$OUT"
  echo "|---|---|---|---|---|" >> "$OUT"
  # measure DIR CMD -> "seconds MB"
  measure() {
    if [ "${NO_GIT:-0}" = 1 ] && [ "$1" = "$G" ]; then echo "- -"; return; fi
    (cd "$1" && /usr/bin/time -o "$TIMING" -f "%e %M" bash -c "$2" >/dev/null 2>"$TIMING.err") || { echo "FAILED: $2" >&2; cat "$TIMING.err" >&2; exit 1; }
    awk '{printf "%s %.0f", $1, $2/1024}' "$TIMING"
  }
  row() { # name "annot s MB" ["git s MB"]
    local a=($2) g=(${3:-- -})
    echo "| $1 | ${a[0]} | ${a[1]} | ${g[0]} | ${g[1]} |" | tee -a "$OUT"
  }
  A="$R/annot"; G="$R/git"
  mkdir -p "$G"
  [ "${NO_GIT:-0}" = 1 ] || cp -r "$DATA/images" "$DATA/round1.json" "$G/"
  $ANNOT init "$A" >/dev/null
  IMG=$DATA/images
  row "round 1: import" "$(measure "$A" "$ANNOT import coco $DATA/round1.json --images $IMG")"
  row "round 1: commit (git: add -A + commit)" "$(measure "$A" "$ANNOT commit -m round1")" \
      "$(measure "$G" "git init -q && git add -A && git commit -qm round1")"
  row "status, nothing staged" "$(measure "$A" "$ANNOT status")" "$(measure "$G" "git status")"
  ROUND1=$(cd "$A" && git --git-dir .annot rev-parse HEAD)
  # A 1% round, only the changed images listed.
  (cd "$A" && $ANNOT branch round2 >/dev/null && $ANNOT switch round2 >/dev/null)
  row "1% round (partial file): import" "$(measure "$A" "$ANNOT import coco $DATA/round2-partial.json --images $IMG")"
  [ "${NO_GIT:-0}" = 1 ] || cp "$DATA/round2-partial.json" "$G/round1.json"
  row "1% round: commit (git: commit of the new COCO file)" "$(measure "$A" "$ANNOT commit -m round2")" "$(measure "$G" "git commit -qam round2")"
  row "1% round: status" "$(measure "$A" "$ANNOT status")" "$(measure "$G" "git status")"
  row "1% round: diff --stat" "$(measure "$A" "$ANNOT diff --stat main round2")" "$(measure "$G" "git diff --stat HEAD~1 HEAD")"
  row "1% round: diff --json" "$(measure "$A" "$ANNOT diff --json main round2")"
  ROUND2=$(cd "$A" && git --git-dir .annot rev-parse round2)
  added=$(cd "$A" && git --git-dir .annot rev-list --objects $ROUND1..$ROUND2 | cut -d' ' -f1 | git --git-dir .annot cat-file --batch-check='%(objectsize:disk)' | awk '{s+=$1} END {print s}')
  total=$(cd "$A" && du -sb .annot/objects | awk '{print $1}')
  echo "store growth of the 1% round: $((added / 1024)) KiB of $((total / 1024 / 1024)) MiB ($(awk -v a=$added -v t=$total 'BEGIN {printf "%.2f", 100 * a / t}')%)" | tee -a "$OUT"
  (cd "$A" && $ANNOT switch main >/dev/null)
  row "1% round: fast-forward merge" "$(measure "$A" "$ANNOT merge round2")"
  # Another 1% round on a branch from round 1, merged into main that has round 2.
  (cd "$A" && $ANNOT branch other $ROUND1 >/dev/null && $ANNOT switch other >/dev/null && \
     $ANNOT import coco $DATA/round2-other.json --images $IMG >/dev/null && $ANNOT commit -m other >/dev/null && $ANNOT switch main >/dev/null)
  row "three-way merge of two 1% rounds" "$(measure "$A" "$ANNOT merge other -m merged")"
  # A full re-delivery: every image listed again, 1% changed, from round 1.
  (cd "$A" && $ANNOT branch redelivery $ROUND1 >/dev/null && $ANNOT switch redelivery >/dev/null)
  row "full re-delivery (1% changed): import" "$(measure "$A" "$ANNOT import coco $DATA/round2-full.json --images $IMG")"
  row "full re-delivery: commit" "$(measure "$A" "$ANNOT commit -m redelivery")"
  row "same full re-delivery again: import" "$(measure "$A" "$ANNOT import coco $DATA/round2-full.json --images $IMG")"
  (cd "$A" && ! $ANNOT commit -m again >/dev/null 2>&1) || { echo "the second identical re-delivery left something to commit" >&2; exit 1; }
  # Deleting 300k files leaves ext4 work behind; whichever step ran next paid for it.
  rm -rf "$R/export" "$R/archive" "$R/cp" && sync && sleep 5
  row "export --format yolo (git: archive \\| tar -x)" "$(measure "$A" "$ANNOT export HEAD --format yolo --to $R/export")" \
      "$(measure "$G" "mkdir -p $R/archive && git archive HEAD | tar -x -C $R/archive")"
  # The same for cp: export's files are still being written back, and cp would pay for them.
  sync && sleep 5
  row "cp -r of the images" "$(measure "$R" "cp -r $IMG $R/cp")"
  (cd "$A" && git --git-dir .annot fsck --strict --no-dangling) && echo "git fsck --strict: ok" | tee -a "$OUT"
  { du -sm "$A/.annot" 2>/dev/null || true; } | awk '{print "annot store: " $1 " MB"}' | tee -a "$OUT"
  [ "${NO_GIT:-0}" = 1 ] || { git -C "$G" gc --quiet 2>/dev/null || true; du -sm "$G/.git" 2>/dev/null || true; } | awk '{print "git store: " $1 " MB"}' | tee -a "$OUT"
done
