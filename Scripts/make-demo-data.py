#!/usr/bin/env python3
"""Writes the small bundled demo dataset under Scripts/demo-data/ (deterministic: same bytes every run).

round1/instances.json + round1/images/: 24 PNG images of coloured shapes, COCO boxes and polygons.
round2/instances.json: a second labeling round of the same images, as a vendor would send it back:
annotation ids renumbered, some boxes moved or resized, some relabeled, one removed, one added.
Only the standard library is used, so the data can be regenerated anywhere."""
import json, os, random, struct, zlib

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo-data")
W, H = 96, 64
CLASSES = [(1, "circle", (220, 60, 60)), (2, "square", (60, 160, 220)), (3, "triangle", (80, 200, 90))]

def png(pixels):
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))

def main():
    rng = random.Random(20261127)
    images, anns = [], []
    for i in range(24):
        split = "train" if i < 18 else "val"
        name = f"{split}/{i:04d}.png"
        px = [[235, 235, 225] * W for _ in range(H)]
        for k in range(rng.randint(1, 3)):
            cid, cname, col = rng.choice(CLASSES)
            w, h = rng.randint(12, 30), rng.randint(12, 30)
            x, y = rng.randint(0, W - w), rng.randint(0, H - h)
            for yy in range(y, y + h):
                for xx in range(x, x + w):
                    inside = True
                    if cname == "circle":
                        inside = ((xx - x - w / 2) / (w / 2)) ** 2 + ((yy - y - h / 2) / (h / 2)) ** 2 <= 1
                    elif cname == "triangle":
                        inside = (xx - x) >= (w / 2) * (1 - (yy - y) / h) and (xx - x) <= w / 2 + (w / 2) * (yy - y) / h
                    if inside:
                        px[yy][3 * xx:3 * xx + 3] = col
            a = {"id": len(anns) + 1, "image_id": i + 1, "category_id": cid, "bbox": [x, y, w, h],
                 "area": w * h, "iscrowd": 0, "segmentation": []}
            if cname == "triangle":
                a["segmentation"] = [[x + w / 2, y, x + w, y + h, x, y + h]]
                a["area"] = w * h / 2
            anns.append(a)
        path = os.path.join(HERE, "round1", "images", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(png(px))
        images.append({"id": i + 1, "file_name": name, "width": W, "height": H})
    cats = [{"id": c, "name": n, "supercategory": "shape"} for c, n, _ in CLASSES]
    r1 = {"images": images, "annotations": anns, "categories": cats}
    with open(os.path.join(HERE, "round1", "instances.json"), "w") as f:
        json.dump(r1, f, indent=1, sort_keys=True)
    # Round 2: the vendor renumbers ids (as CVAT's COCO export does) and edits some labels.
    r2 = []
    for n, a in enumerate(anns):
        b = dict(a, bbox=list(a["bbox"]))
        if n % 7 == 1 and not b["segmentation"]:
            b["bbox"][0] = max(0, b["bbox"][0] - 3); b["bbox"][1] = min(H - b["bbox"][3], b["bbox"][1] + 2)   # moved
        if n % 9 == 4 and not b["segmentation"]:
            b["category_id"] = 2 if b["category_id"] == 1 else 1                                              # relabeled
        if n == 5:
            continue                                                                                             # removed
        r2.append(b)
    r2.append({"id": 0, "image_id": 3, "category_id": 2, "bbox": [2, 2, 10, 10], "area": 100, "iscrowd": 0, "segmentation": []})
    for k, a in enumerate(r2):
        a["id"] = 1000 + k
    with open(os.path.join(HERE, "round2", "instances.json"), "w") as f:
        os.makedirs(os.path.join(HERE, "round2"), exist_ok=True)
    with open(os.path.join(HERE, "round2", "instances.json"), "w") as f:
        json.dump({"images": images, "annotations": r2, "categories": cats}, f, indent=1, sort_keys=True)

def review_round():
    """A reviewer's fixes on main while round 2 runs: two boxes relabeled, other ids kept."""
    r1 = json.load(open(os.path.join(HERE, "round1", "instances.json")))
    for a in r1["annotations"]:
        if a["id"] in (2, 40) and not a["segmentation"]:
            a["category_id"] = 3 if a["category_id"] != 3 else 1
    os.makedirs(os.path.join(HERE, "review"), exist_ok=True)
    with open(os.path.join(HERE, "review", "instances.json"), "w") as f:
        json.dump(r1, f, indent=1, sort_keys=True)

if __name__ == "__main__":
    main()
    review_round()
