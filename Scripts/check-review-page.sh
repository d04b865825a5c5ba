#!/usr/bin/env bash
# Checks the HTML review page in headless Chromium (Debian: `apt-get install -y chromium`), with
# the network disabled, and keeps the screenshots as artifacts:
#
# 1. The demo page (ReviewPageTests.htmlPage writes it when REVIEW_PAGE_OUT is set): it loads
#    from file://, its picture comes from review_files/, the script runs and a fragment filter
#    hides the other classes. Screenshot: OUT/demo/review.png.
# 2. A real round: a repository of N (default 1000) images, every one changed between main and
#    round-2, built with the annot binary. `annot diff main round-2 --html` must write only the
#    page and its folder (each picture once), and headless Chromium must load and screenshot the
#    page in under LIMIT seconds (default 2) more than it takes for a blank page.
#    Screenshot: OUT/round/review.png.
#
#   Scripts/check-review-page.sh [OUT_DIR]     (default .build/artifacts/review-page)
#   N=200 LIMIT=2 Scripts/check-review-page.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-$PWD/.build/artifacts/review-page}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
n="${N:-1000}"
limit="${LIMIT:-2}"
scratch="${SCRATCH_PATH:-.build}"

browser="$(command -v chromium || command -v chromium-browser || true)"
[ -n "$browser" ] || { echo "check-review-page: chromium not installed (apt-get install -y chromium)" >&2; exit 1; }
# A proxy that does not exist: any network request the page tried would fail (the CSP forbids them anyway).
chrome() { "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --proxy-server=127.0.0.1:9 \
  --no-first-run --no-default-browser-check --user-data-dir="$out/chromium-profile" "$@" 2>/dev/null; }
now() { date +%s.%N; }
fail() { echo "check-review-page: $*" >&2; exit 1; }

# --- 1. The demo page ------------------------------------------------------------------------
swift build --scratch-path "$scratch" --build-tests >/dev/null
rm -rf "$out/demo"; mkdir -p "$out/demo"
REVIEW_PAGE_OUT="$out/demo/review.html" swift test --scratch-path "$scratch" --skip-build \
  --filter 'AnnotReviewTests.ReviewPageTests/htmlPage' >/dev/null
test -s "$out/demo/review.html" || fail "no demo page written"
ls "$out/demo/review_files/"*.png >/dev/null 2>&1 || fail "no picture beside the demo page"

chrome --window-size=1200,1500 --screenshot="$out/demo/review.png" "file://$out/demo/review.html" >/dev/null
size=$(stat -c %s "$out/demo/review.png" 2>/dev/null || echo 0)
[ "$size" -ge 20000 ] || fail "demo screenshot missing or blank ($size bytes)"
echo "demo page:   $out/demo/review.html"
echo "screenshot:  $out/demo/review.png ($size bytes)"

# No script error, no CSP complaint, no refused request in the console.
console="$("$browser" --headless --no-sandbox --disable-gpu --proxy-server=127.0.0.1:9 --user-data-dir="$out/chromium-profile" \
  --enable-logging=stderr --v=0 --dump-dom "file://$out/demo/review.html#class=dog" 2>&1 >/dev/null | grep ':CONSOLE' || true)"
[ -z "$console" ] || fail "the browser console reported: $console"
# The inline script ran (it marks <body data-ready>), and a fragment filter hides the other classes.
dom="$(chrome --dump-dom "file://$out/demo/review.html#class=dog")"
grep -q '<body data-ready="1"' <<<"$dom" || fail "the page script did not run"
grep -q '<g class="ann removed" data-kinds="removed" data-class="dog">' <<<"$dom" || fail "dog overlay missing"
grep -q '<g class="ann new" data-kinds="moved resized relabeled" data-class="truck" style="display: none;">' <<<"$dom" \
  || fail "class filter did not hide the truck overlay"
echo "filters:     script ran, #class=dog hides other classes"

# --- 2. A real round of N changed images -----------------------------------------------------
swift build --scratch-path "$scratch" --product annot >/dev/null
annot="$(swift build --scratch-path "$scratch" --show-bin-path)/annot"
work="$out/round"
rm -rf "$work"; mkdir -p "$work/data/images" "$work/page"
python3 - "$work/data" "$n" <<'PY'
import json, os, random, struct, sys, zlib
root, n = sys.argv[1], int(sys.argv[2])
W, H = 640, 480
# A gradient with one bit of noise in the red channel: about 140 KB, like a photo's PNG.
row_len = 1 + W * 3
base = b"".join(b"\0" + bytes(((x // 3 * 255 // W) ^ (y * 255 // H)) & 0xFE for x in range(W * 3)) for y in range(H))
keep = int.from_bytes(b"".join(b"\0" + b"\1\0\0" * W for _ in range(H)), "big")
def png(seed):
    tint = bytes((b ^ (seed * 37 & 0xFE)) for b in range(256))
    noise = int.from_bytes(random.Random(seed).randbytes(len(base)), "big") & keep
    raw = (int.from_bytes(base.translate(tint), "big") | noise).to_bytes(len(base), "big")
    # Each row starts with its filter byte, 0 (none): the tint changed it, so set it back.
    raw = bytearray(raw)
    raw[::row_len] = bytes(H)
    idat = zlib.compress(bytes(raw), 6)
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0)) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
cats = [{"id": i + 1, "name": c} for i, c in enumerate(["car", "truck", "person", "bike", "dog"])]
def dataset(round2):
    r = random.Random(11)
    images, anns = [], []
    for i in range(n):
        images.append({"id": i + 1, "file_name": f"{i:05d}.png", "width": W, "height": H})
        for k in range(6):
            x, y, w, h = r.randint(0, 500), r.randint(0, 360), r.randint(20, 130), r.randint(20, 110)
            x, y = min(x, W - w), min(y, H - h)
            c = r.randint(1, 5)
            if round2 and k == 0: x = min(x + 12, W - w)          # a move in every image
            if round2 and k == 1 and i % 3 == 0: c = c % 5 + 1     # a relabel in every third
            if round2 and k == 5 and i % 4 == 0: continue          # a removal in every fourth
            anns.append({"image_id": i + 1, "category_id": c, "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0})
    for j, a in enumerate(anns): a["id"] = j + 1                     # renumbered, as tools do
    return {"images": images, "annotations": anns, "categories": cats}
for i in range(n):
    with open(os.path.join(root, "images", f"{i:05d}.png"), "wb") as f: f.write(png(i))
for name, r2 in (("round1.json", False), ("round2.json", True)):
    with open(os.path.join(root, name), "w") as f: json.dump(dataset(r2), f)
PY
(
  cd "$work" && export NO_COLOR=1 ANNOT_PAGER=cat GIT_AUTHOR_NAME=check GIT_AUTHOR_EMAIL=check@example.com \
    GIT_COMMITTER_NAME=check GIT_COMMITTER_EMAIL=check@example.com
  "$annot" init repo >/dev/null && cd repo
  "$annot" import coco ../data/round1.json --images ../data/images >/dev/null
  "$annot" commit -m "round 1" >/dev/null
  "$annot" switch -c round-2 >/dev/null 2>&1 || { "$annot" branch round-2 >/dev/null; "$annot" switch round-2 >/dev/null; }
  "$annot" import coco ../data/round2.json --images ../data/images >/dev/null
  "$annot" commit -m "round 2" >/dev/null
  start=$(now)
  "$annot" diff main round-2 --html ../page/review.html 2>"$work/diff.log" >/dev/null
  echo "render:      $(echo "$(now) - $start" | bc) s ($(cat "$work/diff.log"))"
)
page="$work/page/review.html"
test -s "$page" || fail "annot diff --html wrote no page"
# Only the page and its folder; each picture once (the images did not change: one file each).
extra="$(cd "$work/page" && ls -A | grep -vx -e review.html -e review_files || true)"
[ -z "$extra" ] || fail "annot diff --html wrote more than the page and its folder: $extra"
pictures=$(ls "$work/page/review_files" | wc -l)
[ "$pictures" -eq "$n" ] || fail "expected $n pictures (one per image), found $pictures"
echo "page:        $page ($(du -k "$page" | cut -f1) KB) + review_files/ ($pictures pictures, $(du -sm "$work/page/review_files" | cut -f1) MB)"

echo '<!DOCTYPE html><title>blank</title>' > "$work/blank.html"
chrome --window-size=1200,900 --screenshot="$work/blank.png" "file://$work/blank.html" >/dev/null   # warm up
best_blank=999; best_page=999
for _ in 1 2 3; do
  s=$(now); chrome --window-size=1200,900 --screenshot="$work/blank.png" "file://$work/blank.html" >/dev/null; e=$(now)
  best_blank=$(echo "t=$e - $s; if (t < $best_blank) t else $best_blank" | bc)
  s=$(now); chrome --window-size=1200,900 --screenshot="$work/review.png" "file://$page" >/dev/null; e=$(now)
  best_page=$(echo "t=$e - $s; if (t < $best_page) t else $best_page" | bc)
done
load=$(echo "$best_page - $best_blank" | bc)
size=$(stat -c %s "$work/review.png" 2>/dev/null || echo 0)
[ "$size" -ge 20000 ] || fail "round screenshot missing or blank ($size bytes)"
echo "chromium:    page + screenshot ${best_page} s, blank page ${best_blank} s: the page costs ${load} s (best of 3; limit ${limit} s)"
echo "screenshot:  $work/review.png ($size bytes)"
# At load only the first screen's pictures are fetched, not all N.
fetched="$(chrome --window-size=1200,900 --dump-dom "file://$page" | python3 -c '
import re, sys
dom = re.sub(r"<noscript>.*?</noscript>", "", sys.stdin.read(), flags=re.S)
print(len(re.findall(r"<img[^>]* src=\"review_files/", dom)), "ready" if "<body data-ready=\"1\"" in dom else "not-ready")')"
echo "pictures:    $fetched at load (of $((2 * n)) panels)"
[ "${fetched#* }" = ready ] || fail "the page script did not run on the round page"
[ "${fetched% *}" -le 12 ] || fail "the page fetched ${fetched% *} pictures at load: not lazy"
[ "$(echo "$load < $limit" | bc)" -eq 1 ] || fail "the page of $n changed images took ${load} s to load (limit ${limit} s)"
echo "ok"
