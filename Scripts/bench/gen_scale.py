#!/usr/bin/env python3
"""Scale benchmark data: N tiny distinct PNGs with 10 boxes each, in a flat folder or nested in
folders of 1,000, plus the COCO files of a first delivery and of a round that edits 1% of the images.

usage: gen_scale.py OUT_DIR N {flat|nested} [--changed K] [--seed S]
Writes OUT_DIR/images/..., OUT_DIR/round1.json (every image), OUT_DIR/round2-partial.json (only the
K changed images), OUT_DIR/round2-full.json (every image again, K of them edited: one box moved,
relabeled or resized each), OUT_DIR/round2-edits.json (ground truth). Standard library only;
deterministic. Images are shared between layouts by hard links when OUT_DIR/../pngs exists."""
import json, os, random, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_small import png  # the same tiny distinct PNGs as the other benchmarks

def dump(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))

def main():
    out, n, layout = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    args = sys.argv[4:]
    changed = int(args[args.index("--changed") + 1]) if "--changed" in args else max(1, n // 100)
    seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 7
    rng = random.Random(seed)
    classes = ["person", "car", "truck", "bicycle", "dog", "cat", "bus", "light", "sign", "bench"]
    W = H = 16
    images, anns = [], []
    for i in range(n):
        name = f"{i:07d}.png" if layout == "flat" else f"{i // 1000:04d}/{i:07d}.png"
        path = os.path.join(out, "images", name)
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(png(i))
        images.append({"id": i + 1, "file_name": name, "width": W, "height": H})
        for k in range(10):
            bw, bh = rng.randint(3, 8), rng.randint(3, 8)
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": rng.randint(1, len(classes)),
                         "bbox": [rng.randint(0, W - bw), rng.randint(0, H - bh), bw, bh], "iscrowd": 0, "area": bw * bh})
    cats = [{"id": k + 1, "name": c} for k, c in enumerate(classes)]
    dump(os.path.join(out, "round1.json"), {"images": images, "annotations": anns, "categories": cats})
    picked = sorted(rng.sample(range(n), changed))
    edited = {}
    edits = []
    for i in picked:
        group = [dict(a, bbox=list(a["bbox"])) for a in anns[i * 10:(i + 1) * 10]]
        a = rng.choice(group)
        kind = ["moved", "relabeled", "resized"][len(edits) % 3]
        if kind == "moved":
            a["bbox"][0] += 1 if a["bbox"][0] + a["bbox"][2] < W else -1
        elif kind == "relabeled":
            a["category_id"] = a["category_id"] % len(classes) + 1
        else:
            a["bbox"][2] -= 1
            a["area"] = a["bbox"][2] * a["bbox"][3]
        edits.append({"image": images[i]["file_name"], "annotation": a["id"], "kind": kind})
        edited[i] = group
    dump(os.path.join(out, "round2-partial.json"),
         {"images": [images[i] for i in picked], "annotations": [a for i in picked for a in edited[i]], "categories": cats})
    full = []
    for i in range(n):
        full += edited.get(i) or anns[i * 10:(i + 1) * 10]
    dump(os.path.join(out, "round2-full.json"), {"images": images, "annotations": full, "categories": cats})
    dump(os.path.join(out, "round2-edits.json"), edits)

main()
