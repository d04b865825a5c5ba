#!/usr/bin/env bash
# The image store on loopback, side by side with the AWS CLI against the same moto_server:
#   1. push of N images (default 5,000 × ~100 KB) to an empty bucket vs `aws s3 sync` of the files;
#   2. an incremental push of a round with 1% new images vs `aws s3 sync` of the same folder;
#   3. `fetch --images --where 'label == "rare"'` in a labels-only clone: objects and bytes moved;
#   4. clone of the labels of L images (default 100,000 tiny ones) from a git:// host.
# One run each (hyperfine --runs 1; the machine is shared), then the server's own request count.
# usage: Scripts/bench-s3.sh [N] [L]        results: bench-work/s3-N.md
# Env: SCRATCH (swift build scratch path, default .build).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5000}
L=${2:-100000}
ROOT=$PWD
WORK=$ROOT/bench-work
SCRATCH=${SCRATCH:-.build}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
TOOLS=$(./Scripts/s3-tools.sh)
swift build -c release --scratch-path "$SCRATCH" --product annot >/dev/null
ANNOT="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/annot"
DATA=$WORK/s3-data-$N
[ -f "$DATA/round2.json" ] || python3 Scripts/bench/gen_s3.py "$DATA" "$N"
SMALL=$WORK/s3-data-small-$L
[ -f "$SMALL/round1.json" ] || python3 Scripts/bench/gen_s3.py "$SMALL" "$L" 200
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
export GIT_AUTHOR_DATE="1767225600 +0000" GIT_COMMITTER_DATE="1767225600 +0000"
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
R=$WORK/s3-$N
rm -rf "$R" && mkdir -p "$R/srv"
OUT=$WORK/s3-$N.md

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$TOOLS/moto_server" -H 127.0.0.1 -p "$PORT" >"$R/moto.log" 2>&1 &
MOTO=$!
GPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$(git --exec-path)/git-daemon" --export-all --enable=receive-pack --base-path="$R/srv" --port="$GPORT" \
  --listen=127.0.0.1 --reuseaddr "$R/srv" &
DAEMON=$!
trap 'kill $MOTO $DAEMON 2>/dev/null || true' EXIT
E=http://127.0.0.1:$PORT
AWS="$TOOLS/aws --endpoint-url $E"
for _ in $(seq 100); do $AWS s3api list-buckets >/dev/null 2>&1 && break; sleep 0.2; done
requests() { grep -c "\"$1 " "$R/moto.log" || true; }

# Round 1 committed; round 2 (1% new images) committed on a branch kept aside.
"$ANNOT" init "$R/src" >/dev/null
cd "$R/src"
"$ANNOT" import coco "$DATA/round1.json" --images "$DATA/images" >/dev/null && "$ANNOT" commit -qm "round 1"
"$ANNOT" tag r1
"$ANNOT" import coco "$DATA/round2.json" --images "$DATA/images" >/dev/null && "$ANNOT" commit -qm "round 2"
"$ANNOT" tag r2
git --git-dir .annot update-ref refs/heads/main "$(git --git-dir .annot rev-parse r1)"
mkdir -p "$R/round1-files" && (cd "$DATA/images" && ls | head -n "$N" | xargs -I{} ln -f {} "$R/round1-files/{}") 2>/dev/null \
  || (cd "$DATA/images" && ls | head -n "$N" | xargs -I{} cp {} "$R/round1-files/{}")
git init -q --bare -b main "$R/srv/labels.git"
"$ANNOT" remote add origin "git://127.0.0.1:$GPORT/labels.git" --images s3://annot/ds --images-endpoint "$E"
$AWS s3 mb s3://annot >/dev/null; $AWS s3 mb s3://sync >/dev/null

# 1. Full push vs sync.
hyperfine --runs 1 --export-markdown "$R/push.md" \
  -n "annot push ($N images)" "$ANNOT push -q origin main" \
  -n "aws s3 sync ($N files)" "$AWS s3 sync --only-show-errors $R/round1-files s3://sync/ds/"
echo "objects: annot $($AWS s3 ls --recursive s3://annot/ds/objects/ | wc -l), sync $($AWS s3 ls --recursive s3://sync/ds/ | wc -l)" | tee "$R/objects.txt"

# 2. Incremental round: 1% new images.
NEW=$(( N / 100 )); [ "$NEW" -ge 1 ] || NEW=1
git --git-dir .annot update-ref refs/heads/main "$(git --git-dir .annot rev-parse r2)"
ln -f "$DATA"/images/* "$R/round1-files/" 2>/dev/null || cp "$DATA"/images/* "$R/round1-files/"
P0=$(requests PUT); H0=$(requests HEAD)
hyperfine --runs 1 --export-markdown "$R/incr.md" \
  -n "annot push (+$NEW images)" "$ANNOT push -q origin main" \
  -n "aws s3 sync (+$NEW files)" "$AWS s3 sync --only-show-errors $R/round1-files s3://sync/ds/"
echo "incremental requests: PUT $(( $(requests PUT) - P0 )), HEAD $(( $(requests HEAD) - H0 )) (annot and sync together)" | tee -a "$R/objects.txt"

# 3. fetch --where in a clone: only the matching images travel.
cd "$R"
"$ANNOT" clone -q "git://127.0.0.1:$GPORT/labels.git" c1
G0=$(requests GET)
( cd c1 && /usr/bin/time -f "%e s, %M KB max RSS" "$ANNOT" fetch --images --where 'label == "rare"' --json ) >"$R/where.json" 2>"$R/where.time"
MATCH=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len({a["image_id"] for a in d["annotations"] if a["category_id"] == 2}))' "$DATA/round2.json")
echo "fetch --where: $(cat "$R/where.json") in $(cat "$R/where.time"); server GETs $(( $(requests GET) - G0 )) (1 is the layout marker); matching images: $MATCH" | tee -a "$R/objects.txt"

# 4. Labels of L tiny images. The clone's cost does not depend on the bucket (images come on
# demand), and uploading L objects to moto takes minutes (it is the bottleneck, see the rate
# printed above), so the git host is made the way an image-store push leaves it, without the
# upload: the labels mirror as refs/heads/main (the clone is told the bucket with --images).
"$ANNOT" init "$R/big" >/dev/null
cd "$R/big"
/usr/bin/time -f "import of $L: %e s" "$ANNOT" import coco "$SMALL/round1.json" --images "$SMALL/images" >/dev/null
"$ANNOT" commit -qm "labels of $L"
git init -q --bare -b main "$R/srv/full.git"
"$ANNOT" remote add full "$R/srv/full.git"
/usr/bin/time -f "labels mirror + push to a plain git remote: %e s" "$ANNOT" push -q full main 2>&1 | tee -a "$R/objects.txt"
git init -q --bare -b main "$R/srv/big.git"
"$ANNOT" remote add origin "git://127.0.0.1:$GPORT/big.git" --images s3://big/ds --images-endpoint "$E"
git --git-dir .annot push -q "$R/srv/big.git" refs/annot/labels/main:refs/heads/main
echo "git host: $(du -sh "$R/srv/big.git" | cut -f1), fsck: $(git --git-dir "$R/srv/big.git" fsck --strict --no-dangling 2>&1 | wc -l) problems" | tee -a "$R/objects.txt"
cd "$R"
P0=$(requests PUT); G0=$(requests GET)
hyperfine --runs 3 --export-markdown "$R/clone.md" --prepare "rm -rf $R/c2" \
  -n "annot clone (labels of $L images)" "$ANNOT clone -q git://127.0.0.1:$GPORT/big.git $R/c2 --images s3://big/ds --images-endpoint $E"
echo "clone requests to the bucket: PUT $(( $(requests PUT) - P0 )), GET $(( $(requests GET) - G0 ))" | tee -a "$R/objects.txt"

{
  echo "## bench-s3: N=$N, L=$L ($(date -u +%Y-%m-%d), $(nproc) cores, shared machine)"
  echo; cat "$R/push.md"; echo; cat "$R/incr.md"; echo; cat "$R/clone.md"; echo; sed 's/^/    /' "$R/objects.txt"
} >"$OUT"
cat "$OUT"
