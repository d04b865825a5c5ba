#!/usr/bin/env python3
"""Dataset for Scripts/bench-s3.sh, standard library only: N images of SIZE bytes (a valid PNG
header, then incompressible bytes: annot reads image headers, never pixels), COCO round 1, and
round 2 = round 1 plus 1% new images. 1% of the images carry the label "rare", so a query
selects a known subset.

usage: gen_s3.py OUT_DIR N [SIZE]     writes OUT_DIR/images/NNNNNN.png, round1.json, round2.json"""
import json, os, random, struct, sys, zlib

def png(w, h, size, rng):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    head = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    body = rng.randbytes(max(0, size - len(head) - 24))
    return head + chunk(b"IDAT", body) + chunk(b"IEND", b"")

def main():
    out, n = sys.argv[1], int(sys.argv[2])
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000
    rng = random.Random(1)
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    total = n + max(1, n // 100)
    images, anns = [], []
    for i in range(total):
        name = f"{i:06d}.png"
        path = os.path.join(out, "images", name)
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(png(64, 48, size, rng))
        images.append({"id": i + 1, "file_name": name, "width": 64, "height": 48})
        cat = 2 if i % 100 == 7 else 1
        anns.append({"id": i + 1, "image_id": i + 1, "category_id": cat, "bbox": [4, 4, 20, 20], "area": 400, "iscrowd": 0})
    cats = [{"id": 1, "name": "common"}, {"id": 2, "name": "rare"}]
    for fname, k in (("round1.json", n), ("round2.json", total)):
        with open(os.path.join(out, fname), "w") as f:
            json.dump({"images": images[:k], "annotations": anns[:k], "categories": cats}, f)

main()
