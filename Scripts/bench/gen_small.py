#!/usr/bin/env python3
"""Large-repository benchmark data: N tiny PNGs (distinct bytes) with a COCO file of about
10 boxes per image, and a round-2 COCO file holding only the images a small round edits.

usage: gen_small.py OUT_DIR N CHANGED [--seed S]
Writes OUT_DIR/images/<shard>/<n>.png, OUT_DIR/round1.json, OUT_DIR/round2.json (CHANGED images,
one edit each: moved, relabeled or resized, same annotation ids), OUT_DIR/round2-edits.json.
Standard library only; deterministic."""
import json, os, random, struct, sys, zlib

def png(seed):
    raw = b"".join(b"\x00" + bytes(((x * 7 + y * 13 + seed) & 255) for x in range(48)) for y in range(16))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"seed\x00" + str(seed).encode()) + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))

def main():
    out, n, changed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 7
    rng = random.Random(seed)
    classes = ["person", "car", "truck", "bicycle", "dog", "cat", "bus", "light", "sign", "bench"]
    W = H = 16
    images, anns = [], []
    for i in range(n):
        name = f"{i // 1000:03d}/{i:06d}.png"
        path = os.path.join(out, "images", name)
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(png(i))
        images.append({"id": i + 1, "file_name": name, "width": W, "height": H})
        for k in range(10):
            bw, bh = rng.randint(3, 8), rng.randint(3, 8)
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": rng.randint(1, len(classes)),
                         "bbox": [rng.randint(0, W - bw), rng.randint(0, H - bh), bw, bh], "iscrowd": 0,
                         "attributes": {"occluded": rng.random() < 0.2}})
    cats = [{"id": k + 1, "name": c} for k, c in enumerate(classes)]
    with open(os.path.join(out, "round1.json"), "w") as f:
        json.dump({"images": images, "annotations": anns, "categories": cats}, f)
    picked = sorted(rng.sample(range(n), changed))
    by_image = {}
    for a in anns:
        by_image.setdefault(a["image_id"], []).append(a)
    r2imgs, r2anns, edits = [], [], []
    for i in picked:
        r2imgs.append(images[i])
        group = [dict(a, bbox=list(a["bbox"])) for a in by_image[i + 1]]
        a = rng.choice(group)
        kind = ["moved", "relabeled", "resized"][len(edits) % 3]
        if kind == "moved":
            a["bbox"][0] += 1 if a["bbox"][0] + a["bbox"][2] < W else -1
        elif kind == "relabeled":
            a["category_id"] = a["category_id"] % len(classes) + 1
        else:
            a["bbox"][2] -= 1
        edits.append({"image": images[i]["file_name"], "annotation": a["id"], "kind": kind})
        r2anns += group
    with open(os.path.join(out, "round2.json"), "w") as f:
        json.dump({"images": r2imgs, "annotations": r2anns, "categories": cats}, f)
    with open(os.path.join(out, "round2-edits.json"), "w") as f:
        json.dump(edits, f)

if __name__ == "__main__":
    main()
