#!/usr/bin/env bash
# Crash and race harness: kill -9 at random moments of every writing command, with concurrent
# readers and a concurrent writer, then check the repository.
#
#   Scripts/crash-test.sh ROUNDS [SEED]
#
# Each round picks a command (import+commit, commit, merge, reindex, push, export, clone, gc),
# prepares what it needs, starts it in its own process group together with two reader loops
# (log, status, query, diff) and one writer loop (tag), and sends SIGKILL to the command's
# process group after a random delay drawn from [0, the command's measured duration]. Then:
#   - nothing the command started still runs (a child outside the killed process group would go
#     on writing without the lock),
#   - `git fsck --strict` on the repository and on the bare remote (an error is a fsck error),
#   - `annot fsck` (must pass),
#   - every commit any command reported ("[branch abc1234]", or a finished round's tip) must
#     still be reachable from a ref (else a lost commit),
#   - the next writing command (`annot tag`) must get the lock (else a stuck lock),
#   - an export or clone target must be absent or whole (`annot verify`, `annot fsck`), and its
#     retry must succeed.
# Readers must never fail; the concurrent writer may only fail by waiting too long for the lock.
# Prints one summary line per category and exits non-zero on any fsck error, lost commit,
# stuck lock, surviving process or reader failure. Binary: $ANNOT_BIN, else .build/debug/annot (built if missing).
set -uo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-100}
RANDOM=${2:-$$}
ROOT=$PWD
if [ -n "${ANNOT_BIN:-}" ]; then A=$ANNOT_BIN; else swift build --product annot >/dev/null || exit 1; A=$ROOT/.build/debug/annot; fi
W=$(mktemp -d /tmp/annot-crash.XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$W"' EXIT
export GIT_AUTHOR_NAME=crash GIT_AUTHOR_EMAIL=crash@example.com GIT_COMMITTER_NAME=crash GIT_COMMITTER_EMAIL=crash@example.com
export NO_COLOR=1 LC_ALL=C

# Data: 150 PNG images and 6 COCO rounds whose boxes move by the round number.
python3 - "$W/data" <<'EOF'
import json, os, struct, sys, zlib
d = sys.argv[1]; os.makedirs(d + "/images", exist_ok=True); os.makedirs(d + "/extra", exist_ok=True)
def png(w, h, seed):
    raw = b"".join(b"\0" + bytes((x * 7 + y * 3 + seed) % 256 for x in range(w * 3)) for y in range(h))
    ch = lambda t, p: struct.pack(">I", len(p)) + t + p + struct.pack(">I", zlib.crc32(t + p))
    return b"\x89PNG\r\n\x1a\n" + ch(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + ch(b"IDAT", zlib.compress(raw)) + ch(b"IEND", b"")
N = 150
for i in range(N):
    open(f"{d}/images/img_{i}.png", "wb").write(png(64, 48, i))
for i in range(2000):
    open(f"{d}/extra/x_{i}.png", "wb").write(png(8, 8, i))
for r in range(6):
    imgs = [{"id": i + 1, "file_name": f"img_{i}.png", "width": 64, "height": 48} for i in range(N)]
    anns = [{"id": i * 2 + k + 1, "image_id": i + 1, "category_id": 1 + k, "bbox": [4 + k * 20 + r, 6, 16, 12], "area": 192, "iscrowd": 0}
            for i in range(N) for k in range(2)]
    cats = [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]
    json.dump({"images": imgs, "annotations": anns, "categories": cats}, open(f"{d}/round{r}.json", "w"))
EOF

R=$W/repo
git init -q --bare -b main "$W/server.git"
"$A" init "$R" >/dev/null
cd "$R"
"$A" import coco "$W/data/round0.json" --images "$W/data/images" >/dev/null && "$A" commit -m "round 0" >/dev/null
"$A" remote add origin "$W/server.git" && "$A" push origin main >/dev/null 2>&1 || { echo "setup failed"; exit 1; }
reported="$W/reported"; : > "$reported"
git --git-dir .annot rev-parse main >> "$reported"
extra=0
mkdir -p "$R/images"
# Sets X to a new image under images/ (no subshell: the counter must survive).
next_extra() { extra=$((extra + 1)); cp "$W/data/extra/x_$extra.png" "$R/images/x_$extra.png"; X="images/x_$extra.png"; }

# The victim commands; each prints nothing and may leave "[branch id]" lines in $W/out.
victim() {
  case $1 in
    import) "$A" import coco "$W/data/round$((RANDOM % 6)).json" --images "$W/data/images" && "$A" commit -m "import $2" ;;
    commit) "$A" commit -m "commit $2" ;;
    merge) "$A" merge "side-$2" -m "merge $2" ;;
    reindex) "$A" reindex ;;
    push) "$A" push origin main ;;
    export) "$A" export HEAD --format coco --to "$W/export-$2" ;;
    clone) "$A" clone "$W/server.git" "$W/clone-$2" ;;
    gc) if [ $((RANDOM % 2)) = 0 ]; then "$A" gc --prune=now; else "$A" gc; fi ;;
  esac
}
prepare() {
  case $1 in
    commit|push) next_extra; "$A" add "$X" >/dev/null && { [ "$1" = commit ] || "$A" commit -m "pre $2" | tee -a "$W/out" >/dev/null; } ;;
    merge)
      "$A" switch -c "side-$2" >/dev/null 2>&1
      next_extra; "$A" add "$X" >/dev/null && "$A" commit -m "side $2" | tee -a "$W/out" >/dev/null
      "$A" switch main >/dev/null 2>&1
      next_extra; "$A" add "$X" >/dev/null && "$A" commit -m "main $2" | tee -a "$W/out" >/dev/null ;;
  esac
}
commands=(import commit merge reindex push export clone gc)

# Measure each command once (unkilled): the kill delay is drawn below its duration.
declare -A dur
for c in "${commands[@]}"; do
  prepare "$c" m >/dev/null 2>&1
  t0=$(date +%s%N); victim "$c" m >>"$W/out" 2>&1; t1=$(date +%s%N)
  dur[$c]=$(( (t1 - t0) / 1000000 )); [ "${dur[$c]}" -gt 0 ] || dur[$c]=1
done
cat "$W/out" > "$W/measure.log"; rm -rf "$W"/export-m "$W"/clone-m
git --git-dir .annot for-each-ref --format='%(objectname)' refs/heads >> "$reported"

readers() {   # $1: stop file
  while [ ! -e "$1" ]; do
    for cmd in "log -n 3" "status" "query label==\"cat\" --count" "diff HEAD~1 HEAD --stat"; do
      [ -e "$1" ] && break
      # shellcheck disable=SC2086
      out=$("$A" $cmd 2>&1) || { case $out in *"unknown revision"*) ;; *) echo "reader '$cmd': $out" >> "$W/reader-errors" ;; esac; }
    done
  done
}
writer() {    # $1: stop file, $2: round
  local i=0
  while [ ! -e "$1" ]; do
    i=$((i + 1))
    out=$("$A" tag -f "w-$2" 2>&1) || { case $out in *"another annot process"*) echo x >> "$W/lock-waits" ;; *) echo "writer: $out" >> "$W/writer-errors" ;; esac; }
    sleep 0.05
  done
}

kills=0; finished=0; survivors=0; fsck_errors=0; annot_fsck_errors=0; lost=0; stuck=0; torn_targets=0; retry_failures=0
declare -A per_kill per_round
for r in $(seq 1 "$ROUNDS"); do
  c=${commands[$((RANDOM % ${#commands[@]}))]}
  per_round[$c]=$(( ${per_round[$c]:-0} + 1 ))
  prepare "$c" "$r" >/dev/null 2>&1
  stop="$W/stop-$r"
  readers "$stop" & rp1=$!
  readers "$stop" & rp2=$!
  writer "$stop" "$r" & wp=$!
  setsid bash -c "$(declare -f victim); A='$A' W='$W' victim $c $r" >>"$W/out" 2>&1 & vp=$!
  delay=$(( RANDOM * 32768 + RANDOM )); delay=$(( delay % (dur[$c] + 1) ))
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  if kill -0 "$vp" 2>/dev/null; then
    kill -9 -- "-$vp" 2>/dev/null && { kills=$((kills + 1)); per_kill[$c]=$(( ${per_kill[$c]:-0} + 1 )); }
  else
    finished=$((finished + 1))
  fi
  wait "$vp" 2>/dev/null
  # Nothing the command started may outlive the kill of its process group (the victim's bash is
  # a session leader, so its session holds everything it started, whatever their groups). A
  # survivor would go on writing without the lock, beside the checks below; wait for it to end.
  alive_in_session() { ps -o pid=,stat=,args= -s "$vp" 2>/dev/null | awk '$2 !~ /^Z/'; }
  for _ in 1 2 3 4 5 6 7 8 9 10; do [ -z "$(alive_in_session)" ] && break; sleep 0.1; done
  left=$(alive_in_session)
  if [ -n "$left" ]; then
    survivors=$((survivors + 1)); echo "round $r ($c): still running after the kill: $(echo "$left" | head -2 | tr -s ' ' | tr '\n' ';')"
    for _ in $(seq 1 600); do [ -z "$(alive_in_session)" ] && break; sleep 0.1; done
  fi
  touch "$stop"; wait "$rp1" "$rp2" "$wp" 2>/dev/null
  # A merge that stopped (conflict or kill) is abandoned so the next round starts clean.
  [ -e .annot/annot/MERGE_HEAD ] && "$A" merge --abort >/dev/null 2>&1

  # Checks.
  if ! git --git-dir .annot fsck --strict --no-progress >"$W/fsck.txt" 2>&1; then fsck_errors=$((fsck_errors + 1)); echo "round $r ($c): git fsck: $(head -3 "$W/fsck.txt")"; fi
  if ! git --git-dir "$W/server.git" fsck --strict --no-progress >"$W/fsck.txt" 2>&1; then fsck_errors=$((fsck_errors + 1)); echo "round $r ($c): git fsck (remote): $(head -3 "$W/fsck.txt")"; fi
  if ! "$A" fsck >"$W/afsck.txt" 2>&1; then annot_fsck_errors=$((annot_fsck_errors + 1)); echo "round $r ($c): annot fsck: $(head -3 "$W/afsck.txt")"; fi
  # Reported commits: "[main abc1234]" lines of every command so far, and finished tips.
  # (short ids are resolved once, when first seen; an id that no longer resolves is lost too)
  for id in $(grep -oE '^\[[^] ]+( \(root-commit\))? [0-9a-f]{7,40}\]' "$W/out" | grep -oE '[0-9a-f]{7,40}\]$' | tr -d ']'); do
    git --git-dir .annot rev-parse -q --verify "$id^{commit}" >> "$reported" 2>/dev/null || { lost=$((lost + 1)); echo "round $r ($c): reported commit $id is gone"; }
  done
  : > "$W/out"
  git --git-dir .annot rev-parse main >> "$reported"
  sort -u "$reported" -o "$reported"
  git --git-dir .annot rev-list --all | sort > "$W/all"
  missing=$(comm -23 "$reported" "$W/all" | wc -l)
  [ "$missing" = 0 ] || { lost=$((lost + missing)); echo "round $r ($c): $missing reported commits unreachable: $(comm -23 "$reported" "$W/all" | head -3 | tr '\n' ' ')"; }
  # The next writer gets the lock.
  if ! out=$("$A" tag -f "after-$r" 2>&1); then stuck=$((stuck + 1)); echo "round $r ($c): next command failed: $out"; fi
  "$A" tag -d "after-$r" >/dev/null 2>&1; "$A" tag -d "w-$r" >/dev/null 2>&1
  # Export and clone targets: absent or whole; the retry works.
  case $c in
    export)
      t="$W/export-$r"
      if [ -e "$t" ] && ! "$A" verify "$t" >/dev/null 2>&1; then torn_targets=$((torn_targets + 1)); echo "round $r: torn export"; fi
      "$A" export HEAD --format coco --to "$t" >/dev/null 2>&1 && "$A" verify "$t" >/dev/null 2>&1 || { retry_failures=$((retry_failures + 1)); echo "round $r: export retry failed"; }
      rm -rf "$t" ;;
    clone)
      t="$W/clone-$r"
      if [ -e "$t" ] && ! (cd "$t" && "$A" fsck >/dev/null 2>&1); then torn_targets=$((torn_targets + 1)); echo "round $r: torn clone"; fi
      rm -rf "$t"
      "$A" clone "$W/server.git" "$t" >/dev/null 2>&1 && (cd "$t" && "$A" fsck >/dev/null 2>&1) || { retry_failures=$((retry_failures + 1)); echo "round $r: clone retry failed"; }
      rm -rf "$t" ;;
  esac
  [ $((r % 10)) = 0 ] && echo "… $r rounds, $kills kills, $fsck_errors fsck errors, $lost lost, $stuck stuck" >&2
  ls -d "$W"/.export-*.annot-export-* "$W"/.clone-*.annot-clone-* >/dev/null 2>&1 && rm -rf "$W"/.export-*.annot-export-* "$W"/.clone-*.annot-clone-*
done

reader_errors=$(cat "$W/reader-errors" 2>/dev/null | wc -l)
writer_errors=$(cat "$W/writer-errors" 2>/dev/null | wc -l)
lock_waits=$(cat "$W/lock-waits" 2>/dev/null | wc -l)
[ "$reader_errors" = 0 ] || head -5 "$W/reader-errors"
[ "$writer_errors" = 0 ] || head -5 "$W/writer-errors"
echo "rounds: $ROUNDS"
echo "kills: $kills (landed while the command ran; $finished rounds finished before the kill)"
for c in "${commands[@]}"; do echo "  $c: ${per_round[$c]:-0} rounds, ${per_kill[$c]:-0} killed (measured duration ${dur[$c]} ms)"; done
echo "commits checked: $(wc -l < "$reported")"
echo "git fsck --strict errors: $fsck_errors"
echo "annot fsck errors: $annot_fsck_errors"
echo "lost commits: $lost"
echo "stuck locks: $stuck"
echo "processes outliving the kill: $survivors"
echo "torn export/clone targets: $torn_targets; failed retries: $retry_failures"
echo "reader errors: $reader_errors; concurrent writer errors: $writer_errors (lock waits: $lock_waits)"
[ $((fsck_errors + annot_fsck_errors + lost + stuck + survivors + torn_targets + retry_failures + reader_errors + writer_errors)) = 0 ]
