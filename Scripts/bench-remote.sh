#!/usr/bin/env bash
# Remotes over git:// on loopback, side by side with plain git on the same repository:
# push and clone of N images (default 2,000 × ~100 KB JPEG), a labels-only clone (size and time),
# fetching the images of HEAD into it afterwards, an incremental push of a 10% labeling round,
# and the cost of the labels-mirror hook in `annot commit` (with and without it).
# Times: hyperfine (warm cache). usage: Scripts/bench-remote.sh [N]   results: bench-work/remote-N.md
# Env: SCRATCH (swift build scratch path, default .build), PY (python with numpy + Pillow).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000}
ROOT=$PWD
WORK=$ROOT/bench-work
SCRATCH=${SCRATCH:-.build}
PY=${PY:-$ROOT/.venv-peers/bin/python}
[ -x "$PY" ] || PY=/work/main/.venv-peers/bin/python
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
swift build -c release --scratch-path "$SCRATCH" --product annot >/dev/null
ANNOT="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/annot"
DATA=$WORK/data-$N
[ -f "$DATA/round1.json" ] || "$PY" Scripts/bench/gen_dataset.py "$DATA" "$N"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
export GIT_AUTHOR_DATE="1767225600 +0000" GIT_COMMITTER_DATE="1767225600 +0000"
R=$WORK/remote-$N
rm -rf "$R" && mkdir -p "$R/srv"
OUT=$WORK/remote-$N.md

# The repository both tools move: round 1 committed by annot, tagged so runs can return to it.
"$ANNOT" init "$R/src" >/dev/null
(cd "$R/src" && "$ANNOT" import coco "$DATA/round1.json" --images "$DATA/images" >/dev/null && "$ANNOT" commit -m "round 1" >/dev/null && "$ANNOT" tag r1)

PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$(git --exec-path)/git-daemon" --export-all --enable=receive-pack --base-path="$R/srv" --port="$PORT" \
  --listen=127.0.0.1 --reuseaddr "$R/srv" &
DAEMON=$!
trap 'kill $DAEMON 2>/dev/null || true' EXIT
for _ in $(seq 50); do git ls-remote "git://127.0.0.1:$PORT/none" >/dev/null 2>&1 && break; (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
URL=git://127.0.0.1:$PORT

fresh() { rm -rf "$R/srv/$1" && git init -q --bare -b main "$R/srv/$1"; }
cd "$R/src"
"$ANNOT" remote add bench "$URL/annot.git"

hyperfine --runs 3 --export-markdown "$R/push.md" \
  -n "annot push (git://)" --prepare "$(declare -f fresh); R=$R; fresh annot.git" "$ANNOT push bench main >/dev/null" \
  -n "git push (git://)" --prepare "$(declare -f fresh); R=$R; fresh git.git" "git --git-dir .annot push -q $URL/git.git main"

# Leave both servers populated for the clones.
fresh annot.git; "$ANNOT" push bench main >/dev/null
M1=$(git --git-dir .annot rev-parse refs/annot/labels/main)
fresh git.git; git --git-dir .annot push -q "$URL/git.git" main
cd "$R"
hyperfine --runs 3 --export-markdown "$R/clone.md" \
  -n "annot clone (git://)" --prepare "rm -rf $R/c1" "$ANNOT clone $URL/annot.git $R/c1 >/dev/null 2>&1" \
  -n "git clone --bare (git://)" --prepare "rm -rf $R/c2" "git clone -q --bare $URL/git.git $R/c2" \
  -n "annot clone --labels-only (git://)" --prepare "rm -rf $R/c3" "$ANNOT clone --labels-only $URL/annot.git $R/c3 >/dev/null 2>&1"

rm -rf c1 c2 c3
"$ANNOT" clone "$URL/annot.git" c1 >/dev/null 2>&1
git clone -q --bare "$URL/git.git" c2
"$ANNOT" clone --labels-only "$URL/annot.git" c3 >/dev/null 2>&1
size() { du -sk "$1" | cut -f1; }
hyperfine --runs 3 --export-markdown "$R/images.md" \
  -n "annot fetch --images HEAD (labels-only clone)" \
  --prepare "rm -rf $R/c4 && $ANNOT clone --labels-only $URL/annot.git $R/c4 >/dev/null 2>&1" \
  "cd $R/c4 && $ANNOT fetch --images HEAD >/dev/null"

# A 10% labeling round: commit with and without the labels-mirror hook, then the incremental push.
cd "$R/src"
PREP="cd $R/src && $ANNOT reset --hard r1 >/dev/null && $ANNOT import coco $DATA/round2.json --images $DATA/images >/dev/null"
hyperfine --runs 5 --export-markdown "$R/commit.md" \
  -n "annot commit (round 2, with labels mirror)" --prepare "$PREP" "$ANNOT commit -m 'round 2' >/dev/null" \
  -n "annot commit (round 2, ANNOT_NO_LABELS_MIRROR=1)" --prepare "$PREP" "ANNOT_NO_LABELS_MIRROR=1 $ANNOT commit -m 'round 2' >/dev/null"
PREP1="rm -rf $R/r1 && $ANNOT init $R/r1 >/dev/null && cd $R/r1 && $ANNOT import coco $DATA/round1.json --images $DATA/images >/dev/null"
hyperfine --runs 3 --export-markdown "$R/commit1.md" \
  -n "annot commit (round 1, root, with labels mirror)" --prepare "$PREP1" "cd $R/r1 && $ANNOT commit -m 'round 1' >/dev/null" \
  -n "annot commit (round 1, root, ANNOT_NO_LABELS_MIRROR=1)" --prepare "$PREP1" "cd $R/r1 && ANNOT_NO_LABELS_MIRROR=1 $ANNOT commit -m 'round 1' >/dev/null"
cd "$R/src"
eval "$PREP" && "$ANNOT" commit -m "round 2" >/dev/null
R2=$(git --git-dir .annot rev-parse HEAD)
R1=$(git --git-dir .annot rev-parse r1)
hyperfine --runs 3 --export-markdown "$R/push2.md" \
  -n "annot push (round 2 on top of round 1)" \
  --prepare "git --git-dir $R/srv/annot.git update-ref refs/heads/main $R1 && git --git-dir $R/srv/annot.git update-ref refs/annot/labels/main $M1" \
  "$ANNOT push bench main >/dev/null" \
  -n "git push (round 2 on top of round 1)" \
  --prepare "git --git-dir $R/srv/git.git update-ref refs/heads/main $R1" \
  "git --git-dir .annot push -q $URL/git.git $R2:refs/heads/main"

{
  echo "# Remotes over git:// on loopback, $N images ($(du -sh "$DATA/images" | cut -f1) of JPEG)"
  echo; echo "## push of round 1 to an empty bare repository"; cat "$R/push.md"
  echo; echo "## clone"; cat "$R/clone.md"
  echo; echo "## sizes after clone (KiB)"
  echo "| repository | size |"; echo "|---|---|"
  echo "| annot clone (.annot) | $(size "$R/c1/.annot") |"
  echo "| git clone --bare | $(size "$R/c2") |"
  echo "| annot clone --labels-only (.annot) | $(size "$R/c3/.annot") |"
  echo; echo "## images on demand"; cat "$R/images.md"
  echo; echo "## round 2 (10% of images relabeled): commit cost of the labels mirror"; cat "$R/commit.md"
  echo; echo "## root commit of round 1: cost of building the mirror and shards from scratch"; cat "$R/commit1.md"
  echo; echo "## incremental push of round 2"; cat "$R/push2.md"
  echo; echo "objects sent by the incremental annot push: $(cd "$R/src" && git --git-dir .annot rev-list --objects $R2 ^$R1 | wc -l) in the branch (+ labels mirror, shards)"
} > "$OUT"
( cd "$R/c1" && git --git-dir .annot fsck --strict --no-dangling && echo "annot clone: git fsck --strict ok" ) >> "$OUT" 2>&1
cat "$OUT"
