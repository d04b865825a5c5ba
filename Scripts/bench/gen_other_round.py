#!/usr/bin/env python3
"""A round made on another branch: a COCO file listing 1% of the images, other than the ones
round2 edits, each with one box moved. Used to time a three-way merge of two rounds.

usage: gen_other_round.py DATA_DIR [--seed S]     writes DATA_DIR/round2-other.json"""
import json, os, random, sys

def main():
    data = sys.argv[1]
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 11
    with open(os.path.join(data, "round1.json")) as f:
        r1 = json.load(f)
    with open(os.path.join(data, "round2-edits.json")) as f:
        taken = {e["image"] for e in json.load(f)}
    rng = random.Random(seed)
    images = r1["images"]
    n = len(images)
    want = max(1, n // 100)
    pool = [i for i in range(n) if images[i]["file_name"] not in taken]
    picked = sorted(rng.sample(pool, want))
    by_image = {}
    for a in r1["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a)
    anns = []
    for i in picked:
        group = [dict(a, bbox=list(a["bbox"])) for a in by_image[images[i]["id"]]]
        a = group[0]
        a["bbox"][1] += 1 if a["bbox"][1] + a["bbox"][3] < images[i]["height"] else -1
        anns += group
    with open(os.path.join(data, "round2-other.json"), "w") as f:
        json.dump({"images": [images[i] for i in picked], "annotations": anns, "categories": r1["categories"]}, f, separators=(",", ":"))

main()
