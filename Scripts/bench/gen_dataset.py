#!/usr/bin/env python3
"""Generates a benchmark dataset: N noisy JPEGs of about 100 KB with a COCO file, and a second
round (10% of images with edited labels) whose recorded edits let tests check the diff.

usage: gen_dataset.py OUT_DIR [N] [--seed S]
Writes OUT_DIR/images/train/NNNNNN.jpg, OUT_DIR/round1.json, OUT_DIR/round2.json,
OUT_DIR/round2-edits.json. Deterministic for a given N and seed."""
import json, os, random, sys

def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 and not sys.argv[2].startswith("--") else 5000
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 1
    rng = random.Random(seed)
    from PIL import Image
    import numpy as np
    classes = ["person", "car", "truck", "bicycle", "dog", "cat", "bus", "traffic light"]
    os.makedirs(os.path.join(out, "images", "train"), exist_ok=True)
    images, anns = [], []
    nprng = np.random.default_rng(seed)
    for i in range(n):
        name = f"train/{i:06d}.jpg"
        path = os.path.join(out, "images", name)
        w, h = 392, 294  # noise JPEGs of about 100 KB, like the photos of PLATFORM.md
        if not os.path.exists(path):
            arr = nprng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
            Image.fromarray(arr).save(path, quality=90)
        images.append({"id": i + 1, "file_name": name, "width": w, "height": h})
        for k in range(rng.randint(4, 12)):
            bw, bh = rng.randint(8, 120), rng.randint(8, 100)
            x, y = rng.randint(0, w - bw), rng.randint(0, h - bh)
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": rng.randint(1, len(classes)),
                         "bbox": [x, y, bw, bh], "area": bw * bh, "iscrowd": 0,
                         "attributes": {"occluded": rng.random() < 0.2}})
    cats = [{"id": k + 1, "name": c, "supercategory": "thing"} for k, c in enumerate(classes)]
    with open(os.path.join(out, "round1.json"), "w") as f:
        json.dump({"images": images, "annotations": anns, "categories": cats}, f)
    # Round 2: 10% of images get one recorded edit each.
    edits, r2 = [], [dict(a, bbox=list(a["bbox"])) for a in anns]
    by_image = {}
    for a in r2:
        by_image.setdefault(a["image_id"], []).append(a)
    for img in rng.sample(sorted(by_image), max(1, n // 10)):
        a = rng.choice(by_image[img])
        kind = rng.choice(["moved", "relabeled", "resized"])
        if kind == "moved":
            dx = 3 if a["bbox"][0] + a["bbox"][2] + 3 <= images[img - 1]["width"] else -3
            a["bbox"][0] += dx
        elif kind == "relabeled":
            a["category_id"] = a["category_id"] % len(classes) + 1
        else:
            a["bbox"][2] = max(4, a["bbox"][2] - 4)
        edits.append({"image": images[img - 1]["file_name"], "annotation": a["id"], "kind": kind})
    with open(os.path.join(out, "round2.json"), "w") as f:
        json.dump({"images": images, "annotations": r2, "categories": cats}, f)
    with open(os.path.join(out, "round2-edits.json"), "w") as f:
        json.dump(edits, f, indent=1)

if __name__ == "__main__":
    main()
