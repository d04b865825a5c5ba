#!/usr/bin/env python3
"""Benchmark of the Python reader (annot_reader) against pycocotools on the same revision.

usage: bench_reader.py REPO COCO_JSON EXPORT_IMAGES_DIR [--runs N] [--workers W]

1. labels: open the revision and iterate every example's annotations (label, class id, box),
   vs pycocotools: COCO(file) and, per image, loadAnns(getAnnIds(imgIds=...)) touching the
   same fields. Each measurement runs in a fresh process (cold interpreter, warm page cache).
2. images + labels with W worker processes (fork), each reading its share of image bytes
   and labels: from the revision (each worker opens its own handle) vs from the exported
   directory (image files + the COCO index loaded in the parent before the fork).
Prints a markdown table and one JSON line per measurement."""
import json
import os
import resource
import statistics
import subprocess
import sys
import time

LABELS_ANNOT = r"""
import sys, time, resource, json
t0 = time.perf_counter(); c0 = time.process_time()
import annot_reader
if len(sys.argv) > 2 and sys.argv[2] == "noindex":  # the fallback: as if .annot/annot/index.sqlite were absent
    annot_reader.revision._open_index = lambda path: None
rev = annot_reader.open(sys.argv[1], "main")
t1 = time.perf_counter()
name_to_id = {c.name: c.id for c in rev.schema}
n_img = n_ann = 0
acc = 0.0
for ex in rev:
    n_img += 1
    for a in ex.annotations:
        n_ann += 1
        cid = name_to_id[a.label]
        b = a.bounding_box
        acc += b[2] + cid
t2 = time.perf_counter()
print(json.dumps({"open": t1 - t0, "total": t2 - t0, "cpu": time.process_time() - c0, "images": n_img, "annotations": n_ann, "check": acc,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

LABELS_COCO = r"""
import sys, time, resource, json, io, contextlib
t0 = time.perf_counter(); c0 = time.process_time()
from pycocotools.coco import COCO
with contextlib.redirect_stdout(io.StringIO()):
    coco = COCO(sys.argv[1])
t1 = time.perf_counter()
n_img = n_ann = 0
acc = 0.0
for img_id in coco.getImgIds():
    n_img += 1
    for a in coco.loadAnns(coco.getAnnIds(imgIds=img_id)):
        n_ann += 1
        cid = a["category_id"]
        b = a["bbox"]
        acc += b[2] + cid
t2 = time.perf_counter()
print(json.dumps({"open": t1 - t0, "total": t2 - t0, "cpu": time.process_time() - c0, "images": n_img, "annotations": n_ann, "check": acc,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

WORKERS = r"""
import sys, os, time, json, io, contextlib
import multiprocessing as mp
mode, repo, coco_file, images_dir, W = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
decode = len(sys.argv) > 6 and sys.argv[6] == "decode"

def work_annot(args):
    rev, k = args
    n = nb = 0
    for i in range(k, len(rev), W):
        ex = rev[i]
        data = ex.image_bytes()
        if decode:
            from PIL import Image
            Image.open(io.BytesIO(data)).load()
        n += len(ex.annotations)
        nb += len(data)
    return n, nb

def work_dir(k):
    n = nb = 0
    for i in range(k, len(IMGS), W):
        img = IMGS[i]
        with open(os.path.join(images_dir, img["file_name"]), "rb") as f:
            data = f.read()
        if decode:
            from PIL import Image
            Image.open(io.BytesIO(data)).load()
        n += len(COCO_.loadAnns(COCO_.getAnnIds(imgIds=img["id"])))
        nb += len(data)
    return n, nb

t0 = time.perf_counter()
ctx = mp.get_context("fork")
if mode == "annot":
    import annot_reader
    rev = annot_reader.open(repo, "main")
    with ctx.Pool(W) as pool:
        res = pool.map(work_annot, [(rev, k) for k in range(W)])
    n_img = len(rev)
else:
    from pycocotools.coco import COCO
    with contextlib.redirect_stdout(io.StringIO()):
        COCO_ = COCO(coco_file)
    IMGS = COCO_.loadImgs(COCO_.getImgIds())
    with ctx.Pool(W) as pool:
        res = pool.map(work_dir, range(W))
    n_img = len(IMGS)
t1 = time.perf_counter()
print(json.dumps({"total": t1 - t0, "images": n_img, "annotations": sum(r[0] for r in res),
                  "bytes": sum(r[1] for r in res), "rate": n_img / (t1 - t0)}))
"""


def run(code, *args):
    p = subprocess.run([sys.executable, "-c", code] + list(args), capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("benchmark step failed:\n" + p.stderr)
    return json.loads(p.stdout.strip().splitlines()[-1])


def main():
    repo, coco_file, images_dir = sys.argv[1:4]
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 3
    W = int(sys.argv[sys.argv.index("--workers") + 1]) if "--workers" in sys.argv else 4
    wruns = int(sys.argv[sys.argv.index("--worker-runs") + 1]) if "--worker-runs" in sys.argv else runs
    skip_workers = "--no-workers" in sys.argv
    results = {"annot_reader": [], "pycocotools": [], "annot_reader, no index": []}
    steps = (("annot_reader", LABELS_ANNOT, (repo,)), ("pycocotools", LABELS_COCO, (coco_file,)),
             ("annot_reader, no index", LABELS_ANNOT, (repo, "noindex")))
    if "--no-fallback" in sys.argv:
        steps = steps[:2]
    for _ in range(runs):  # alternating, so that all see the same machine load
        for name, code, args in steps:
            r = run(code, *args)
            print(json.dumps(dict(r, what="labels " + name)), file=sys.stderr)
            results[name].append(r)
    a, c, f = results["annot_reader"], results["pycocotools"], results["annot_reader, no index"]
    for rs in (a, f):
        if rs:
            assert rs[0]["images"] == c[0]["images"] and rs[0]["annotations"] == c[0]["annotations"], (rs[0], c[0])
            assert abs(rs[0]["check"] - c[0]["check"]) < 1e-6 * max(1, abs(c[0]["check"])), "different labels read"
    med = lambda rs, k: statistics.median(r[k] for r in rs)
    mn = lambda rs, k: min(r[k] for r in rs)
    print("Labels: %d images, %d annotations; %d runs of each, alternating, each in a fresh process\n"
          % (a[0]["images"], a[0]["annotations"], runs))
    print("| reader | open / load (wall, median) | open + iterate all labels (wall): min | median | max | CPU time: min | median | peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    rows = [("`annot_reader.open` + iterate (query index present)", a), ("pycocotools `COCO()` + `loadAnns` per image", c)]
    if f:
        rows.append(("`annot_reader.open` + iterate, no query index (checked path)", f))
    for name, rs in rows:
        print("| %s | %.2f s | %.2f s | %.2f s | %.2f s | %.2f s | %.2f s | %.0f MB |" % (
            name, med(rs, "open"), mn(rs, "total"), med(rs, "total"), max(r["total"] for r in rs),
            mn(rs, "cpu"), med(rs, "cpu"), med(rs, "rss_mb")))
    print("\nannot_reader / pycocotools: %.2f× the wall time (median), %.2f× (min); %.2f× the CPU time (median)"
          % (med(a, "total") / med(c, "total"), mn(a, "total") / mn(c, "total"), med(a, "cpu") / med(c, "cpu")))
    if f:
        print("without the index: %.2f× the wall time (median), %.2f× the CPU time (median)"
              % (med(f, "total") / med(c, "total"), med(f, "cpu") / med(c, "cpu")))
    print()
    if skip_workers:
        return
    print("Images + labels, %d worker processes (fork, a multiprocessing pool), median of %d runs:\n" % (W, wruns))
    print("| source | bytes only: images/s | with PIL decode: images/s |")
    print("|---|---|---|")
    got = {}
    for _ in range(wruns):
        for dec in ("bytes", "decode"):
            for mode in ("annot", "dir"):
                r = run(WORKERS, mode, repo, coco_file, images_dir, str(W), dec)
                print(json.dumps(dict(r, what="workers %s %s" % (mode, dec))), file=sys.stderr)
                got.setdefault((mode, dec), []).append(r)
    rates = {k: med(v, "rate") for k, v in got.items()}
    print("| revision (annot_reader, a handle per worker) | %.0f | %.0f |" % (rates[("annot", "bytes")], rates[("annot", "decode")]))
    print("| exported directory (files + pycocotools index) | %.0f | %.0f |" % (rates[("dir", "bytes")], rates[("dir", "decode")]))
    print("| ratio | %.0f%% | %.0f%% |" % (100 * rates[("annot", "bytes")] / rates[("dir", "bytes")],
                                        100 * rates[("annot", "decode")] / rates[("dir", "decode")]))


if __name__ == "__main__":
    main()
