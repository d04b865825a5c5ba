#!/usr/bin/env python3
"""Loads annot's COCO export with pycocotools and its YOLO and VOC exports with Datumaro, and
compares image counts, annotation counts and boxes with what annot itself reports.

usage: check-exports.py ANNOT_QUERY_JSON COCO_DIR YOLO_DIR VOC_DIR
ANNOT_QUERY_JSON is the output of `annot query 'kind == "box" or kind == "polygon"' --json`:
COCO and YOLO detect hold every one as a box; VOC holds the boxes only."""
import json, os, sys

everything = json.load(open(sys.argv[1]))
coco_dir, yolo_dir, voc_dir = sys.argv[2:5]
failures = []

def expect(kinds):
    global boxes, n_images, n_anns
    sel = [a for a in everything if a["kind"] in kinds]
    boxes = {}
    for a in sel:
        boxes.setdefault(os.path.basename(a["image"]), []).append((a["label"], [round(v, 1) for v in a["bbox"]]))
    n_images, n_anns = len({a["image"] for a in sel}), len(sel)

def check(name, got_images, got):
    got_anns = sum(len(v) for v in got.values())
    ok_counts = got_images >= n_images and got_anns == n_anns
    mismatched = [k for k in boxes if sorted(boxes[k]) != sorted(got.get(k, []))]
    print(f"{name}: {got_images} images, {got_anns} annotations; expected {n_images} images with labels, {n_anns} annotations; "
          f"{len(mismatched)} images with different boxes")
    if not ok_counts or mismatched:
        failures.append(name)
        for k in mismatched[:3]:
            print("  ", k, "annot:", sorted(boxes[k]), "reader:", sorted(got.get(k, [])))

# COCO through pycocotools
expect({"box", "polygon"})
from pycocotools.coco import COCO
ann_file = os.path.join(coco_dir, "annotations", "instances_default.json")
c = COCO(ann_file)
got = {}
for aid, a in c.anns.items():
    img = c.imgs[a["image_id"]]
    got.setdefault(os.path.basename(img["file_name"]), []).append((c.cats[a["category_id"]]["name"], [round(v, 1) for v in a["bbox"]]))
check("pycocotools (COCO)", len(c.imgs), got)

# YOLO and VOC through Datumaro
import datumaro as dm
for name, path, fmt, kinds in (("datumaro (YOLO)", yolo_dir, "yolo", {"box", "polygon"}),
                               ("datumaro (VOC)", voc_dir, "voc_detection", {"box"})):
    expect(kinds)
    ds = dm.Dataset.import_from(path, fmt)
    labels = ds.categories()[dm.AnnotationType.label]
    got, n = {}, 0
    for item in ds:
        n += 1
        key = os.path.basename(item.media.path) if getattr(item, "media", None) is not None and item.media.path else item.id.split("/")[-1]
        for a in item.annotations:
            if a.type == dm.AnnotationType.bbox:
                x, y, w, h = a.get_bbox()
                got.setdefault(key, []).append((labels[a.label].name, [round(x, 1), round(y, 1), round(w, 1), round(h, 1)]))
    check(name, n, got)

if failures:
    print("FAILED:", ", ".join(failures)); sys.exit(1)
print("all readers agree with annot")
