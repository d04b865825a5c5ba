#!/usr/bin/env bash
# Renders the demo review page (RenderingTests.htmlPage writes it when REVIEW_PAGE_OUT is set)
# and screenshots it in headless Chromium, with the network disabled, so a person can look at
# the overlays. Needs: `apt-get install -y chromium`.
#
#   Scripts/check-review-page.sh [OUT_DIR]     (default /tmp/annot-review)
#
# Checks: the page loads from file:// with no network, and the screenshot is a non-trivial PNG.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-/tmp/annot-review}"
mkdir -p "$out"
scratch="${SCRATCH_PATH:-.build-diff}"

swift build --scratch-path "$scratch" --product annotPackageTests >/dev/null
REVIEW_PAGE_OUT="$out/review.html" swift test --scratch-path "$scratch" --skip-build \
  --filter 'AnnotDiffTests.RenderingTests/htmlPage' >/dev/null
test -s "$out/review.html" || { echo "check-review-page: no page written" >&2; exit 1; }

browser="$(command -v chromium || command -v chromium-browser || true)"
[ -n "$browser" ] || { echo "check-review-page: chromium not installed (apt-get install -y chromium)" >&2; exit 1; }

# A proxy that does not exist: any network request the page tried would fail, and the CSP forbids them anyway.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --proxy-server=127.0.0.1:9 --window-size=1200,900 \
  --screenshot="$out/review.png" "file://$out/review.html" >/dev/null 2>&1

size=$(stat -c %s "$out/review.png" 2>/dev/null || echo 0)
if [ "$size" -lt 20000 ]; then
  echo "check-review-page: screenshot missing or blank ($size bytes)" >&2; exit 1
fi
echo "review page: $out/review.html"
echo "screenshot:  $out/review.png ($size bytes)"

# The inline script ran (it marks <body data-ready>), and a fragment filter hides the other classes.
dom="$("$browser" --headless --no-sandbox --disable-gpu --proxy-server=127.0.0.1:9 --dump-dom \
  "file://$out/review.html#class=dog" 2>/dev/null)"
grep -q '<body data-ready="1"' <<<"$dom" || { echo "check-review-page: the page script did not run" >&2; exit 1; }
grep -q '<g class="ann removed" data-kinds="removed" data-class="dog">' <<<"$dom" \
  || { echo "check-review-page: dog overlay missing" >&2; exit 1; }
grep -q '<g class="ann new" data-kinds="moved resized relabeled" data-class="truck" style="display: none;">' <<<"$dom" \
  || { echo "check-review-page: class filter did not hide the truck overlay" >&2; exit 1; }
echo "filters:     script ran, #class=dog hides other classes"
