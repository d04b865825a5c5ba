#!/usr/bin/env bash
# Query index at 100,000 images / 1,000,000 annotations: full build rate (annot reindex, from git
# objects, parse included), incremental indexing of a 1% round, query latency for selective label,
# area and attribute filters, and the index size on disk. Query latency twice: whole `annot`
# processes (hyperfine, p50 = median), and the query call alone inside one process (annot-bench:
# index opened once, 3 warm-up runs, 30 timed), at main (a snapshot) and r2 (a delta).
# usage: Scripts/bench-index.sh           results: bench-work/index-*.md
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD; WORK=$ROOT/bench-work
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
swift build -c release >/dev/null
A="$(swift build -c release --show-bin-path)/annot"
B="$(swift build -c release --show-bin-path)/annot-bench"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
N=100000; D=$WORK/small-$N; R=$WORK/repo-$N
[ -f "$D/round2.json" ] || python3 Scripts/bench/gen_small.py "$D" $N 1000
if [ ! -d "$R/.annot" ]; then
  "$A" init "$R" >/dev/null
  (cd "$R" && "$A" import coco "$D/round1.json" --images "$D/images" >/dev/null && "$A" commit -m r1 >/dev/null && "$A" switch -c r2 >/dev/null \
    && "$A" import coco "$D/round2.json" --images "$D/images" >/dev/null && "$A" commit -m r2 >/dev/null && "$A" switch main >/dev/null)
fi
cd "$R"
OUT=$WORK/index-$N.md
{
  echo "| step | time | notes |"; echo "|---|---|---|"
  rm -f .annot/annot/index.sqlite*
  t0=$(date +%s.%N); "$A" query 'label == "car"' --rev main --count >/dev/null; t1=$(date +%s.%N)
  anns=$("$A" sql "SELECT count(*) FROM annotations" --rev main | tail -1)
  echo "| full build (main: $N images, $anns annotations) | $(echo "$t1 - $t0" | bc) s | $(echo "$anns / ($t1 - $t0)" | bc) annotations/s |"
  t0=$(date +%s.%N); "$A" query 'label == "car"' --rev r2 --count >/dev/null; t1=$(date +%s.%N)
  echo "| incremental: index r2 (1,000 changed documents) and query | $(echo "$t1 - $t0" | bc) s | |"
  echo "| index size on disk | $(du -ch .annot/annot/index.sqlite* | tail -1 | cut -f1) | |"
} > "$OUT"
hyperfine --warmup 2 --runs 15 --export-markdown "$WORK/index-queries.md" --export-json "$WORK/index-queries.json" \
  -n 'label == "bench"' "$A query 'label == \"bench\"' --count" \
  -n 'label and area' "$A query 'label == \"car\" and area < 12' --count" \
  -n 'attr and label' "$A query 'attr.occluded == true and label == \"dog\"' --count" \
  -n 'count per image' "$A query 'count(label == \"person\") >= 4' --images --count" \
  -n 'images listing, path glob' "$A query 'path ~ \"05*/*\" and label == \"cat\"' --images"
python3 -c "
import json; d=json.load(open('$WORK/index-queries.json'))
print('| query | p50 (median) ms | mean ms |'); print('|---|---|---|')
for r in d['results']: print('| %s | %.1f | %.1f |' % (r['command'], r['median']*1000, r['mean']*1000))
" > "$WORK/index-queries-p50.md"
for rev in main r2; do
  "$B" "$R" --rev $rev --runs 30 --warmup 3 --markdown -- \
    'count:label == "bench"' 'count:label == "car" and area < 12' 'count:attr.occluded == true and label == "dog"' \
    'count:count(label == "person") >= 4' 'images:path ~ "05*/*" and label == "cat"' > "$WORK/index-inprocess-$rev.md"
done
cat "$OUT" "$WORK/index-queries-p50.md"
for rev in main r2; do echo; echo "in process, --rev $rev:"; cat "$WORK/index-inprocess-$rev.md"; done
