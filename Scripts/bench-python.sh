#!/usr/bin/env bash
# Python reader benchmark: a revision of N tiny images (default 100,000, 10 boxes each, from
# Scripts/bench/gen_small.py) opened with annot_reader and all labels iterated, against
# pycocotools loading the same revision's COCO export (load + iterate), in the same run
# (interleaved, each measurement in a fresh process); then images + labels with 4 worker
# processes against the exported directory; then, when TORCH_PYTHON names a python with torch
# (a benchmark-only venv: torch is not a dependency), torch's DataLoader with 4 workers over
# annot_reader.torch.AnnotDataset against the same DataLoader over the exported directory.
# The revision's query index is built first (by an `annot query`, not timed), so
# the reader takes its trusted path; the same reader without the index is measured too.
# usage: Scripts/bench-python.sh [N] [RUNS]        results: bench-work/python-N.md
#        WORKER_RUNS=K: runs of the worker comparisons (default RUNS); LABELS_ONLY=1: labels only
#        TORCH_PYTHON=/path/to/venv/bin/python Scripts/bench-python.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD; WORK=$ROOT/bench-work; N=${1:-100000}; RUNS=${2:-3}; WRUNS=${WORKER_RUNS:-$RUNS}
swift build -c release 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
A="$(swift build -c release --show-bin-path)/annot"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
D=$WORK/small-$N; R=$WORK/pyrepo-$N; C=$WORK/pycoco-$N
mkdir -p "$WORK"
[ -f "$D/round1.json" ] || python3 Scripts/bench/gen_small.py "$D" "$N" 1000
if [ ! -d "$R/.annot" ]; then
  rm -rf "$R"; "$A" init "$R" >/dev/null
  (cd "$R" && "$A" import coco "$D/round1.json" --images "$D/images" >/dev/null && "$A" commit -m r1 >/dev/null)
fi
[ -f "$C/annotations/instances_default.json" ] || (cd "$R" && "$A" export main --format coco --to "$C" >/dev/null)
# A first import of 100k images leaves indexing to the first query; do it now (not timed).
(cd "$R" && "$A" query 'label == "person"' --images >/dev/null)
# The same virtual environment as the tests (pytest is unused here).
V=$ROOT/.venv-test
[ -x "$V/bin/python" ] || python3 -m venv "$V"
"$V/bin/python" -m pip install -q --disable-pip-version-check pygit2 numpy Pillow pycocotools
"$V/bin/python" -m pip install -q --disable-pip-version-check --no-deps --force-reinstall "$ROOT/python"
OUT=$WORK/python-$N.md
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start; $("$V/bin/python" --version)" > "$OUT"
echo >> "$OUT"
(cd "$WORK" && "$V/bin/python" "$ROOT/Scripts/bench/bench_reader.py" "$R" "$C/annotations/instances_default.json" \
  "$C/images/default" --runs "$RUNS" --worker-runs "$WRUNS" --workers 4 ${LABELS_ONLY:+--no-workers}) \
  2> "$WORK/python-$N.jsonl" >> "$OUT"
if [ -n "${TORCH_PYTHON:-}" ] && [ -z "${LABELS_ONLY:-}" ]; then
  "$TORCH_PYTHON" -m pip install -q --disable-pip-version-check pygit2 numpy Pillow pycocotools
  "$TORCH_PYTHON" -m pip install -q --disable-pip-version-check --no-deps --force-reinstall "$ROOT/python"
  echo >> "$OUT"; echo "torch $("$TORCH_PYTHON" -c 'import torch; print(torch.__version__)'), load average $(cut -d' ' -f1-3 /proc/loadavg) before it" >> "$OUT"
  (cd "$WORK" && "$TORCH_PYTHON" "$ROOT/Scripts/bench/bench_torch.py" "$R" "$C/annotations/instances_default.json" \
    "$C/images/default" --runs "$WRUNS" --workers 4) 2>> "$WORK/python-$N.jsonl" >> "$OUT"
fi
echo >> "$OUT"; echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT"
cat "$OUT"
