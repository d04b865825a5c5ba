#!/usr/bin/env bash
# Fuzzes one parser with libFuzzer under AddressSanitizer.
#
#   Scripts/fuzz.sh TARGET SECONDS [libFuzzer options…]
#   Scripts/fuzz.sh list
#
# TARGET is one of the folders of Tests/Fuzz/Corpus (document manifest coco cvat voc yolo
# yolo-yaml labelme labelstudio query image png rle brush). The harness (Tests/Fuzz/Harness) is
# built with `-sanitize=fuzzer,address` in its own scratch directory (.build-fuzz), so it never
# touches the normal `.build`. New inputs that add coverage go to .build-fuzz/corpus/TARGET (the
# committed seeds in Tests/Fuzz/Corpus/TARGET are read, never written); a crashing input is saved
# as .build-fuzz/artifacts/TARGET/crash-* and the script exits non-zero. To keep a crash fixed,
# copy it into Tests/Fuzz/Corpus/TARGET/: the normal test suite replays that folder.
# Do not pause a run (SIGSTOP) to free the machine: libFuzzer's -timeout counts wall time, so the
# input it resumes on is reported as a timeout. Run benchmarks beside it at its nice level instead.
set -euo pipefail
cd "$(dirname "$0")/.."
targets="document manifest coco cvat voc yolo yolo-yaml labelme labelstudio query image png rle brush"
if [ "${1:-}" = "list" ]; then echo "$targets"; exit 0; fi
if [ $# -lt 2 ]; then echo "usage: Scripts/fuzz.sh TARGET SECONDS [libFuzzer options...] (targets: $targets)" >&2; exit 2; fi
target=$1; seconds=$2; shift 2
case " $targets " in *" $target "*) ;; *) echo "unknown target '$target'; one of: $targets" >&2; exit 2;; esac

export ANNOT_FUZZ=1
scratch=.build-fuzz
swift build --scratch-path "$scratch" --product annot-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld >&2
bin="$scratch/debug/annot-fuzz"
mkdir -p "$scratch/corpus/$target" "$scratch/artifacts/$target"
export ANNOT_FUZZ_TARGET="$target"
# Leak checking is off: parse trees freed at exit are not leaks of interest, and libgit2/libxml2
# keep process-lifetime caches. -rss_limit_mb bounds memory (the limits in Docs/RELIABILITY.md
# keep a 64 KiB input far below it); -timeout flags an input that takes more than 10 s.
ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}" "$bin" \
  -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$scratch/artifacts/$target/" "$@" \
  "$scratch/corpus/$target" "Tests/Fuzz/Corpus/$target"
