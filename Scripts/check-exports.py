#!/usr/bin/env python3
"""Checks annot's exports and imports against the tools people use, on a generated dataset.

usage: check-exports.py ANNOT_BINARY WORK_DIR

1. Generates a dataset (PNG images made with Pillow, a CVAT XML with boxes, polygons, ellipses
   and masks in splits train/val) whose ground truth this script knows, and imports it into a
   fresh annot repository.
2. Exports it to every format and reads each export with the readers people train with:
   pycocotools (COCO), Datumaro (COCO, YOLO darknet, VOC, CVAT), supervision (COCO, YOLO, VOC),
   globox (COCO, YOLO, VOC, CVAT, LabelMe) and labelme (LabelMe).
3. Has those tools write files (Datumaro: COCO, YOLO darknet, VOC, CVAT; globox: COCO, YOLO,
   VOC, CVAT, LabelMe; supervision: COCO, YOLO, VOC; labelme: a file with embedded imageData;
   label-studio-converter: Label Studio JSON from YOLO), imports each with `annot import`, and
   reads the result back from annot's own export.

Every check compares image counts, annotation counts per class and per kind, and every box
(per image and class, within a tolerance that says what the format can hold: exact for COCO and
CVAT, 1e-6 of the image size for YOLO's 6 decimals, 1 px where a reader or writer rounds to
whole pixels). It prints one line per check and exits 1 if any fails."""
import base64, io, json, os, random, shutil, subprocess, sys, time, warnings
from collections import Counter, defaultdict

warnings.filterwarnings("ignore")
import logging
logging.disable(logging.WARNING)
os.environ.setdefault("TQDM_DISABLE", "1")
import numpy as np
from PIL import Image

ANNOT, WORK = sys.argv[1], os.path.abspath(sys.argv[2])
failures, checks = [], 0
CLASSES = ["car", "person", "dog"]


# ---------------------------------------------------------------- ground truth and source

def ellipse_mask(w, h, cx, cy, rx, ry):
    ys, xs = np.mgrid[0:h, 0:w]
    return ((xs + 0.5 - cx) ** 2 / rx ** 2 + (ys + 0.5 - cy) ** 2 / ry ** 2) <= 1


def make_source(root):
    """Images and a CVAT XML; returns the ground truth: {image: {"size", "split", "anns": [...]}}."""
    rnd = random.Random(7)
    truth = {}
    os.makedirs(f"{root}/images", exist_ok=True)
    xml = ['<?xml version="1.0" encoding="utf-8"?>', "<annotations>", "  <version>1.1</version>", "  <meta>", "    <task>",
           "      <labels>"]
    for c in CLASSES:
        xml += ["        <label>", f"          <name>{c}</name>", "          <attributes>", "          </attributes>", "        </label>"]
    xml += ["      </labels>", "    </task>", "  </meta>"]
    for i in range(8):
        w, h = (96, 64) if i % 2 else (80, 72)
        name = f"img{i:02d}.png"
        split = "val" if i in (2, 5) else "train"
        Image.new("RGB", (w, h), (i * 20, 100, 150)).save(f"{root}/images/{name}")
        anns, shapes = [], []
        for k in range(2 + i % 3):   # boxes, whole or half pixels
            x, y = rnd.randint(0, w // 2) + 0.5 * (k % 2), rnd.randint(0, h // 2)
            bw, bh = rnd.randint(4, w // 2 - 1), rnd.randint(4, h // 2 - 1)
            lab = CLASSES[(i + k) % 3]
            anns.append({"kind": "box", "label": lab, "bbox": [x, y, bw, bh]})
            shapes.append(f'    <box label="{lab}" occluded="0" xtl="{x}" ytl="{y}" xbr="{x + bw}" ybr="{y + bh}" z_order="0"></box>')
        if i != 3:   # a polygon (a triangle and a quadrilateral, integer vertices)
            px, py = rnd.randint(2, w // 2), rnd.randint(2, h // 2)
            pts = [px, py, px + 20, py + 2, px + 14, py + 18] if i % 2 else [px, py, px + 16, py, px + 18, py + 12, px + 1, py + 14]
            lab = CLASSES[(i + 1) % 3]
            anns.append({"kind": "polygon", "label": lab, "bbox": bbox_of(pts), "points": pts})
            shapes.append(f'    <polygon label="{lab}" occluded="0" points="{";".join(f"{pts[j]},{pts[j + 1]}" for j in range(0, len(pts), 2))}" z_order="0"></polygon>')
        if i % 3 == 0:   # an ellipse
            cx, cy, rx, ry = w / 2, h / 2, 10.0, 6.0
            lab = CLASSES[2]
            anns.append({"kind": "ellipse", "label": lab, "bbox": [cx - rx, cy - ry, 2 * rx, 2 * ry],
                         "pixels": int(ellipse_mask(w, h, cx, cy, rx, ry).sum())})
            shapes.append(f'    <ellipse label="{lab}" occluded="0" cx="{cx}" cy="{cy}" rx="{rx}" ry="{ry}" z_order="0"></ellipse>')
        if i % 2 == 1:   # a mask: an L shape, CVAT RLE over its box (row-major, starting with 0)
            left, top, mw, mh = 5 + i, 40, 12, 10
            m = np.zeros((mh, mw), dtype=np.uint8)
            m[:, :4] = 1; m[-3:, :] = 1
            flat, runs, cur, n = m.flatten(), [], 0, 0
            for v in flat:
                if v == cur: n += 1
                else: runs.append(n); cur, n = v, 1
            runs.append(n)
            ys, xs = np.nonzero(m)
            lab = CLASSES[0]
            anns.append({"kind": "mask", "label": lab, "pixels": int(m.sum()),
                         "bbox": [left + xs.min(), top + ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]})
            shapes.append(f'    <mask label="{lab}" occluded="0" rle="{", ".join(map(str, runs))}" left="{left}" top="{top}" width="{mw}" height="{mh}" z_order="0"></mask>')
        truth[name] = {"size": (w, h), "split": split, "anns": anns}
        xml.append(f'  <image id="{i}" name="{name}" subset="{split}" width="{w}" height="{h}">')
        xml += shapes
        xml.append("  </image>")
    xml.append("</annotations>")
    with open(f"{root}/annotations.xml", "w") as f: f.write("\n".join(xml) + "\n")
    return truth


def bbox_of(pts):
    xs, ys = pts[0::2], pts[1::2]
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]


def expected(truth, kinds):
    """What a format holds: [(image, label, kind, bbox)] for source kinds mapped by `kinds`
    ({source kind: kind in the format}; missing kinds are not held)."""
    out = []
    for name, t in truth.items():
        for a in t["anns"]:
            if a["kind"] in kinds:
                out.append((name, a["label"], kinds[a["kind"]], [float(v) for v in a["bbox"]]))
    return out


# ---------------------------------------------------------------- comparing

def with_boxes(want):
    """Datumaro reads a COCO/VOC instance as a box plus its polygon or mask: add the boxes."""
    return want + [(a[0], a[1], "box", a[3]) for a in want if a[2] != "box"]


def compare(check, got, want, tol, images=None, want_images=None):
    """got/want: [(image basename, label, kind, [x, y, w, h])]. Compares counts per class, per
    kind, and boxes per image and class (greedy closest match, max coordinate error <= tol)."""
    global checks
    checks += 1
    problems = []
    if images is not None and want_images is not None and images != want_images:
        problems.append(f"{images} images, expected {want_images}")
    cg, cw = Counter(a[1] for a in got), Counter(a[1] for a in want)
    if cg != cw: problems.append(f"per class {dict(cg)} expected {dict(cw)}")
    kg, kw = Counter(a[2] for a in got), Counter(a[2] for a in want)
    if kg != kw: problems.append(f"per kind {dict(kg)} expected {dict(kw)}")
    by = defaultdict(list)
    for a in got: by[(os.path.basename(a[0]), a[1])].append(a[3])
    worst, unmatched = 0.0, 0
    for a in want:
        cands = by.get((os.path.basename(a[0]), a[1]), [])
        if not cands: unmatched += 1; continue
        err = [max(abs(p - q) for p, q in zip(b, a[3])) for b in cands]
        j = min(range(len(cands)), key=lambda k: err[k])
        worst = max(worst, err[j]); cands.pop(j)
        if err[j] > tol: unmatched += 1
    if unmatched: problems.append(f"{unmatched} boxes unmatched within {tol} px (worst error {worst:.4g})")
    status = "ok" if not problems else "FAIL"
    print(f"{status:4} {check}: {len(got)} annotations" + (f", {images} images" if images is not None else "")
          + f"; max box error {worst:.3g} px" + ("" if not problems else " -- " + "; ".join(problems)))
    if problems: failures.append(check)


def guard(check, fn):
    """Runs a check; an exception is a failure of that check, not of the script."""
    global checks
    try:
        fn()
    except Exception as e:
        checks += 1
        print(f"FAIL {check}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        failures.append(check)


def run(*args, cwd=None):
    r = subprocess.run([ANNOT, *args], cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"annot {' '.join(args)}: {r.stderr.strip() or r.stdout.strip()}")
    return r.stdout


# ---------------------------------------------------------------- annot side

def new_repo(name):
    d = f"{WORK}/repos/{name}"
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    run("init", d)
    return d


def annot_docs(repo):
    """The documents at HEAD, through annot's own lossless export."""
    out = f"{repo}.annot-export"
    shutil.rmtree(out, ignore_errors=True)
    run("export", "HEAD", "--format", "annot", "--to", out, cwd=repo)
    docs = []
    for dp, _, fs in os.walk(f"{out}/labels"):
        for f in fs:
            docs.append(json.load(open(os.path.join(dp, f))))
    return docs


def annot_records(docs):
    out = []
    for d in docs:
        p = d["image"]["path"]
        for a in d["annotations"]:
            out.append((p, a["label"], a["kind"], box_of_annot(a, d["image"])))
    return out


def box_of_annot(a, img):
    if "bbox" in a: return a["bbox"]
    k = a["kind"]
    if k == "polygon": return bbox_of([v for part in a["polygon"] for v in part])
    if k in ("polyline", "points"): return bbox_of(a[k])
    if k == "ellipse": cx, cy, rx, ry = a["ellipse"]; return [cx - rx, cy - ry, 2 * rx, 2 * ry]
    if k == "mask":
        from pycocotools import mask as mu
        m = a["mask"]
        rle = {"size": m["size"], "counts": m["counts"]} if isinstance(m["counts"], str) else mu.frPyObjects({"size": m["size"], "counts": m["counts"]}, *m["size"])
        return [float(v) for v in mu.toBbox(rle)]
    return [0, 0, 0, 0]


def import_and_read(check, fmt, src, want, tol, images_dir=None, want_images=None, extra=(), kinds=None):
    """kinds: {kind annot read: kind compared}, for writers that add a shape of their own (a box's polygon)."""
    repo = new_repo(check.replace(" ", "_").replace("/", "_").replace("(", "").replace(")", ""))
    args = ["import", fmt, src] + (["--images", images_dir] if images_dir else []) + list(extra)
    run(*args, cwd=repo)
    run("commit", "-m", "import", cwd=repo)
    docs = annot_docs(repo)
    got = [(a[0], a[1], (kinds or {}).get(a[2], a[2]), a[3]) for a in annot_records(docs)]
    compare(check, got, want, tol, images=len(docs), want_images=want_images)
    return docs


# ---------------------------------------------------------------- readers of annot's exports

def read_pycocotools(coco_dir):
    from pycocotools.coco import COCO
    from pycocotools import mask as mu
    import contextlib
    got, n_images, area_ok = [], 0, True
    for f in sorted(os.listdir(f"{coco_dir}/annotations")):
        with contextlib.redirect_stdout(io.StringIO()):
            c = COCO(f"{coco_dir}/annotations/{f}")
        n_images += len(c.imgs)
        for a in c.anns.values():
            img = c.imgs[a["image_id"]]
            seg = a["segmentation"]
            kind = "mask" if isinstance(seg, dict) else ("polygon" if seg else "box")
            if kind == "mask" and int(c.annToMask(a).sum()) != int(round(a["area"])): area_ok = False
            got.append((img["file_name"], c.cats[a["category_id"]]["name"], kind, a["bbox"]))
    return got, n_images, area_ok


def read_datumaro(path, fmt):
    import datumaro as dm
    ds = dm.Dataset.import_from(path, fmt)
    labels = ds.categories()[dm.AnnotationType.label]
    kinds = {dm.AnnotationType.bbox: "box", dm.AnnotationType.polygon: "polygon", dm.AnnotationType.mask: "mask",
             dm.AnnotationType.ellipse: "ellipse"}
    got, n = [], 0
    for item in ds:
        n += 1
        key = os.path.basename(item.media.path) if getattr(item, "media", None) is not None and item.media.path else item.id.split("/")[-1]
        for a in item.annotations:
            if a.type not in kinds or a.label is None: continue
            x, y, w, h = a.get_bbox()
            if a.type == dm.AnnotationType.mask:   # Datumaro's mask bbox is its pixel extent minus one
                ys, xs = np.nonzero(a.image)
                x, y, w, h = xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
            got.append((key, labels[a.label].name, kinds[a.type], [float(x), float(y), float(w), float(h)]))
    return got, n


def read_supervision(kind, **kw):
    import supervision as sv
    ds = getattr(sv.DetectionDataset, kind)(**kw)
    got, n = [], 0
    for path, _, det in ds:
        n += 1
        for (x0, y0, x1, y1), cid in zip(det.xyxy, det.class_id):
            got.append((os.path.basename(path), ds.classes[cid], "box", [float(x0), float(y0), float(x1 - x0), float(y1 - y0)]))
    return got, n


def read_globox(aset, names=None):
    """names: YOLO class index → name (globox keeps YOLO's indices as labels)."""
    got, n = [], 0
    for ann in aset:
        n += 1
        for b in ann.boxes:
            label = names[int(b.label)] if names else b.label
            got.append((os.path.basename(str(ann.image_id)), label, "box", [b.xmin, b.ymin, b.xmax - b.xmin, b.ymax - b.ymin]))
    return got, n


def check_exports(truth, repo):
    ex = f"{WORK}/exports"
    shutil.rmtree(ex, ignore_errors=True)
    os.makedirs(ex)
    for fmt, opts in [("coco", []), ("yolo", []), ("yolo", ["--option", "task=segment"]), ("yolo", ["--option", "layout=darknet"]),
                      ("voc", []), ("cvat", []), ("labelme", []), ("labelstudio", [])]:
        name = fmt + ("-" + opts[1].replace("=", "-") if opts else "")
        run("export", "HEAD", "--format", fmt, "--to", f"{ex}/{name}", *opts, cwd=repo)
    n = len(truth)
    every = {"box": "box", "polygon": "polygon", "ellipse": "polygon", "mask": "mask"}
    as_box = {"box": "box", "polygon": "box", "ellipse": "box", "mask": "box"}

    def pyc():
        got, imgs, area_ok = read_pycocotools(f"{ex}/coco")
        compare("pycocotools reads annot's COCO", got, expected(truth, every), 1e-9, imgs, n)
        if not area_ok: failures.append("pycocotools mask areas"); print("FAIL pycocotools: mask area differs from annToMask")
    guard("pycocotools reads annot's COCO", pyc)

    def dm_check(check, path, fmt, kinds, tol):
        got, imgs = read_datumaro(path, fmt)
        compare(check, got, expected(truth, kinds), tol, imgs, n)
    def dm_coco():   # every instance as Datumaro's box + polygon/mask pair
        got, imgs = read_datumaro(f"{ex}/coco", "coco_instances")
        compare("datumaro reads annot's COCO", got, with_boxes(expected(truth, every)), 1e-9, imgs, n)
    guard("datumaro reads annot's COCO", dm_coco)
    guard("datumaro reads annot's YOLO (Ultralytics)", lambda: dm_check("datumaro reads annot's YOLO (Ultralytics)", f"{ex}/yolo", "yolo", as_box, 1e-3))
    # (Datumaro 1.13's yolo reader holds detection lines only; segment lines are read by supervision below.)
    guard("datumaro reads annot's YOLO darknet", lambda: dm_check("datumaro reads annot's YOLO darknet", f"{ex}/yolo-layout-darknet", "yolo", as_box, 1e-3))
    guard("datumaro reads annot's VOC", lambda: dm_check("datumaro reads annot's VOC", f"{ex}/voc", "voc_detection", as_box, 1e-9))
    def dm_voc_masks():   # every instance an <object> box, every polygon/ellipse/mask an instance mask (box within 1 px: rasterised)
        got, imgs = read_datumaro(f"{ex}/voc", "voc_instance_segmentation")
        want = expected(truth, as_box) + expected(truth, {"polygon": "mask", "ellipse": "mask", "mask": "mask"})
        compare("datumaro reads annot's VOC masks", got, want, 1.0, imgs, n)
    guard("datumaro reads annot's VOC masks", dm_voc_masks)
    # Datumaro's CVAT reader has no <ellipse> (CvatPath.SUPPORTED_IMPORT_SHAPES): everything else.
    guard("datumaro reads annot's CVAT", lambda: dm_check("datumaro reads annot's CVAT", f"{ex}/cvat", "cvat",
                                                        {"box": "box", "polygon": "polygon", "mask": "mask"}, 1e-9))

    def sv_check(check, kinds, tol, **kw):
        got, imgs = read_supervision(**kw)
        compare(check, got, expected(truth, kinds), tol, imgs, n)
    for split in ("train", "val"):
        want_n = sum(1 for t in truth.values() if t["split"] == split)
        sub = {k: v for k, v in truth.items() if v["split"] == split}
        def svc(split=split, sub=sub, want_n=want_n):
            got, imgs = read_supervision("from_coco", images_directory_path=f"{ex}/coco/images/{split}",
                                         annotations_path=f"{ex}/coco/annotations/instances_{split}.json")
            compare(f"supervision reads annot's COCO ({split})", got, expected(sub, as_box), 1e-6, imgs, want_n)
        guard(f"supervision reads annot's COCO ({split})", svc)
        def svy(split=split, sub=sub, want_n=want_n):
            got, imgs = read_supervision("from_yolo", images_directory_path=f"{ex}/yolo/images/{split}",
                                         annotations_directory_path=f"{ex}/yolo/labels/{split}", data_yaml_path=f"{ex}/yolo/data.yaml")
            compare(f"supervision reads annot's YOLO ({split})", got, expected(sub, as_box), 1e-3, imgs, want_n)
        guard(f"supervision reads annot's YOLO ({split})", svy)
        def svs(split=split, sub=sub, want_n=want_n):
            # Segment lines: supervision rasterises them; the box of a traced mask is exact, of a polygon within 1 px.
            got, imgs = read_supervision("from_yolo", images_directory_path=f"{ex}/yolo-task-segment/images/{split}",
                                         annotations_directory_path=f"{ex}/yolo-task-segment/labels/{split}",
                                         data_yaml_path=f"{ex}/yolo-task-segment/data.yaml")
            compare(f"supervision reads annot's YOLO segment ({split})", got, expected(sub, as_box), 1.0, imgs, want_n)
        guard(f"supervision reads annot's YOLO segment ({split})", svs)
    def svv():
        got, imgs = read_supervision("from_pascal_voc", images_directory_path=f"{ex}/voc/JPEGImages", annotations_directory_path=f"{ex}/voc/Annotations")
        compare("supervision reads annot's VOC", got, expected(truth, as_box), 1.0, imgs, n)
    guard("supervision reads annot's VOC", svv)

    import globox
    def gb(check, loader, kinds, tol, want_n=n, sub=truth, names=None):
        got, imgs = read_globox(loader(), names)
        compare(check, got, expected(sub, kinds), tol, imgs, want_n)
    train = {k: v for k, v in truth.items() if v["split"] == "train"}
    n_train = len(train)
    guard("globox reads annot's COCO (train)", lambda: gb("globox reads annot's COCO (train)",
          lambda: globox.AnnotationSet.from_coco(f"{ex}/coco/annotations/instances_train.json"), as_box, 1e-9, n_train, train))
    guard("globox reads annot's YOLO (train)", lambda: gb("globox reads annot's YOLO (train)",
          lambda: globox.AnnotationSet.from_yolo_v5(f"{ex}/yolo/labels/train", image_folder=f"{ex}/yolo/images/train", image_extension=".png"),
          as_box, 1e-3, n_train, train, CLASSES))
    guard("globox reads annot's YOLO darknet", lambda: gb("globox reads annot's YOLO darknet",
          lambda: globox.AnnotationSet.from_yolo_darknet(f"{ex}/yolo-layout-darknet/obj_train_data", image_folder=f"{ex}/yolo-layout-darknet/obj_train_data",
                                                         image_extension=".png"), as_box, 1e-3, n_train, train, CLASSES))
    guard("globox reads annot's VOC", lambda: gb("globox reads annot's VOC", lambda: globox.AnnotationSet.from_pascal_voc(f"{ex}/voc/Annotations"), as_box, 1e-9))
    guard("globox reads annot's CVAT", lambda: gb("globox reads annot's CVAT", lambda: globox.AnnotationSet.from_cvat(f"{ex}/cvat/annotations.xml"),
                                                   {"box": "box"}, 1e-9))
    guard("globox reads annot's LabelMe", lambda: gb("globox reads annot's LabelMe",
          lambda: globox.AnnotationSet.from_labelme(f"{ex}/labelme", include_poly=True),
          {"box": "box", "polygon": "box", "ellipse": "box"}, 1e-9))

    def lm():
        from labelme import LabelFile
        from loguru import logger
        logger.remove()   # labelme logs every image it loads at DEBUG
        got, imgs = [], 0
        for f in sorted(os.listdir(f"{ex}/labelme")):
            if not f.endswith(".json"): continue
            imgs += 1
            lf = LabelFile(f"{ex}/labelme/{f}")
            for s in lf.shapes:
                pts = np.array(s["points"], dtype=float)
                t = s["shape_type"]
                if t == "circle":
                    (cx, cy), (px, py) = pts; r = float(np.hypot(px - cx, py - cy))
                    got.append((lf.imagePath, s["label"], "ellipse", [cx - r, cy - r, 2 * r, 2 * r])); continue
                if t == "mask":
                    m = np.asarray(s["mask"]); ys, xs = np.nonzero(m)
                    x0, y0 = pts[0]
                    got.append((lf.imagePath, s["label"], "mask", [x0 + xs.min(), y0 + ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1])); continue
                x0, y0 = pts.min(axis=0); x1, y1 = pts.max(axis=0)
                got.append((lf.imagePath, s["label"], {"rectangle": "box"}.get(t, t), [x0, y0, x1 - x0, y1 - y0]))
        # Ellipses that are not circles are written as polygons (LabelMe's circle has one radius).
        compare("labelme reads annot's LabelMe", got, expected(truth, {"box": "box", "polygon": "polygon", "ellipse": "polygon", "mask": "mask"}),
                1e-9, imgs, n)
    guard("labelme reads annot's LabelMe", lm)

    def lsc():
        # label-studio-converter turns annot's Label Studio tasks into COCO (with the labeling
        # config a project with rectangles, polygons and ellipses would have); pycocotools reads it.
        from label_studio_converter import Converter
        from pycocotools.coco import COCO
        import contextlib
        config = ('<View><Image name="image" value="$image"/><RectangleLabels name="label" toName="image">'
                  + "".join(f'<Label value="{c}"/>' for c in CLASSES) + '</RectangleLabels>'
                  + '<PolygonLabels name="label" toName="image">' + "".join(f'<Label value="{c}"/>' for c in CLASSES) + '</PolygonLabels></View>')
        out = f"{WORK}/lsc-coco"
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            Converter(config, f"{ex}/labelstudio", download_resources=False).convert_to_coco(
                f"{ex}/labelstudio/labelstudio.json", out, is_dir=False)
            c = COCO(f"{out}/result.json")
        got = []
        for a in c.anns.values():
            img = c.imgs[a["image_id"]]
            got.append((os.path.basename(img["file_name"].split("?d=")[-1]), c.cats[a["category_id"]]["name"],
                        "polygon" if a.get("segmentation") else "box", [float(v) for v in a["bbox"]]))
        # Label Studio holds boxes and polygons in percent; masks are brush RLE, which the COCO
        # converter skips; ellipses are not converted by it either.
        compare("label-studio-converter reads annot's Label Studio (to COCO)", got,
                expected(truth, {"box": "box", "polygon": "polygon"}), 1e-3, len(c.imgs), n)
    guard("label-studio-converter reads annot's Label Studio (to COCO)", lsc)
    return ex


# ---------------------------------------------------------------- files the tools write, imported by annot

def check_imports(truth, ex):
    tw = f"{WORK}/tools"
    shutil.rmtree(tw, ignore_errors=True)
    os.makedirs(tw)
    n = len(truth)
    as_box = {"box": "box", "polygon": "box", "ellipse": "box", "mask": "box"}
    import datumaro as dm
    # Datumaro, from annot's COCO export (polygons, masks and boxes; ellipses are COCO polygons there).
    # Datumaro reads every COCO instance as a box plus its polygon/mask (one group); `shapes` drops
    # those boxes so each instance is one annotation, as it was in annot.
    both = dm.Dataset.import_from(f"{ex}/coco", "coco_instances")
    shapes = dm.Dataset.import_from(f"{ex}/coco", "coco_instances")
    for item in list(shapes):
        seg_ids = {a.id for a in item.annotations if a.type != dm.AnnotationType.bbox}
        shapes.put(item.wrap(annotations=[a for a in item.annotations if not (a.type == dm.AnnotationType.bbox and a.id in seg_ids)]))
    # Datumaro writes masks to COCO and CVAT as polygons (its COCO "guess" mode), and VOC
    # instances as an <object> box plus a SegmentationObject mask.
    for fmt, annot_fmt, source, kinds, tol in [
            ("coco_instances", "coco", shapes, {"box": "box", "polygon": "polygon", "ellipse": "polygon", "mask": "polygon"}, 1.0),
            ("yolo", "yolo", both, as_box, 1e-3),
            ("voc", "voc", both, as_box, 1.0),
            ("cvat", "cvat", shapes, {"box": "box", "polygon": "polygon", "ellipse": "polygon", "mask": "mask"}, 1e-9),
            ("yolo_ultralytics", "yolo", both, as_box, 1e-3)]:
        def one(fmt=fmt, annot_fmt=annot_fmt, source=source, kinds=kinds, tol=tol):
            out = f"{tw}/datumaro-{fmt}"
            source.export(out, fmt, save_media=True)
            want = expected(truth, kinds)
            if fmt == "voc":   # Datumaro's VOC writer rasterises masks only (its polygons get no SegmentationObject instance)
                want = want + expected(truth, {"mask": "mask"})
            docs = import_and_read(f"annot imports Datumaro's {fmt}", annot_fmt, out, want, tol, want_images=n)
            splits = Counter(d["image"].get("split") for d in docs)
            want_splits = Counter(t["split"] for t in truth.values())
            if splits != want_splits:
                failures.append(f"splits of Datumaro's {fmt}"); print(f"FAIL annot imports Datumaro's {fmt}: splits {dict(splits)} expected {dict(want_splits)}")
        guard(f"annot imports Datumaro's {fmt}", one)
    def area_kept():
        # COCO `area` as another tool computed it survives import → export to the last digit.
        srcdir = f"{tw}/datumaro-coco_instances"
        repo = new_repo("coco_area")
        run("import", "coco", srcdir, cwd=repo); run("commit", "-m", "import", cwd=repo)
        run("export", "HEAD", "--format", "coco", "--to", f"{repo}.coco", cwd=repo)
        def areas(d):
            out = Counter()
            for f in os.listdir(f"{d}/annotations"):
                j = json.load(open(f"{d}/annotations/{f}"))
                files = {i["id"]: i["file_name"] for i in j["images"]}
                for a in j["annotations"]: out[(os.path.basename(files[a["image_id"]]), tuple(a["bbox"]), a["area"])] += 1
            return out
        global checks
        checks += 1
        a, b = areas(srcdir), areas(f"{repo}.coco")
        print(("ok  " if a == b else "FAIL") + f" COCO area kept through annot: {sum(a.values())} annotations, {sum((a - b).values())} areas changed")
        if a != b: failures.append("COCO area kept through annot")
    guard("COCO area kept through annot", area_kept)
    guard("annot auto-detects Datumaro's COCO directory", lambda: import_and_read(
        "annot auto-detects Datumaro's COCO directory", "auto", f"{tw}/datumaro-coco_instances",
        expected(truth, {"box": "box", "polygon": "polygon", "ellipse": "polygon", "mask": "polygon"}), 1.0, want_images=n))

    import globox
    gsrc = globox.AnnotationSet.from_coco(f"{ex}/coco/annotations/instances_train.json")
    train = {k: v for k, v in truth.items() if v["split"] == "train"}
    img_train = f"{ex}/coco/images/train"
    def gb_coco():
        p = f"{tw}/globox-coco.json"; gsrc.save_coco(p, auto_ids=True)
        import_and_read("annot imports globox's COCO", "coco", p, expected(train, as_box), 1e-9, images_dir=img_train, want_images=len(train))
    guard("annot imports globox's COCO", gb_coco)
    def gb_voc():
        d = f"{tw}/globox-voc"; os.makedirs(f"{d}/Annotations"); gsrc.save_pascal_voc(f"{d}/Annotations")
        shutil.copytree(img_train, f"{d}/JPEGImages")
        import_and_read("annot imports globox's VOC", "voc", d, expected(train, as_box), 1e-9, want_images=len(train))
    guard("annot imports globox's VOC", gb_voc)
    def gb_cvat():
        d = f"{tw}/globox-cvat"; os.makedirs(d); gsrc.save_cvat(f"{d}/annotations.xml")
        import_and_read("annot imports globox's CVAT (auto)", "auto", f"{d}/annotations.xml", expected(train, as_box), 1e-9,
                        images_dir=img_train, want_images=len(train))
    guard("annot imports globox's CVAT (auto)", gb_cvat)
    def gb_labelme():
        d = f"{tw}/globox-labelme"; gsrc.save_labelme(d)
        for f in os.listdir(img_train): shutil.copy(f"{img_train}/{f}", d)
        import_and_read("annot imports globox's LabelMe", "labelme", d, expected(train, as_box), 1e-9, want_images=len(train))
    guard("annot imports globox's LabelMe", gb_labelme)
    def gb_yolo():
        d = f"{tw}/globox-yolo"
        gsrc.save_yolo_darknet(f"{d}", label_to_id={c: i for i, c in enumerate(CLASSES)})
        for f in os.listdir(img_train): shutil.copy(f"{img_train}/{f}", d)
        with open(f"{d}/obj.names", "w") as f: f.write("\n".join(CLASSES) + "\n")
        import_and_read("annot imports globox's YOLO darknet", "yolo", d, expected(train, as_box), 1e-3, want_images=len(train))
    guard("annot imports globox's YOLO darknet", gb_yolo)

    import supervision as sv
    sds = sv.DetectionDataset.from_coco(images_directory_path=img_train, annotations_path=f"{ex}/coco/annotations/instances_train.json")
    def sv_coco():
        d = f"{tw}/sv-coco"; sds.as_coco(images_directory_path=f"{d}/images", annotations_path=f"{d}/annotations.json")
        # supervision writes each box's outline as its segmentation too: annot keeps it as a polygon with the box.
        import_and_read("annot imports supervision's COCO", "coco", f"{d}/annotations.json", expected(train, as_box), 1e-6,
                        images_dir=f"{d}/images", want_images=len(train), kinds={"polygon": "box"})
    guard("annot imports supervision's COCO", sv_coco)
    def sv_yolo():
        d = f"{tw}/sv-yolo"; sds.as_yolo(images_directory_path=f"{d}/images/train", annotations_directory_path=f"{d}/labels/train",
                                         data_yaml_path=f"{d}/data.yaml")
        # supervision writes segment lines from its whole-pixel masks: boxes within 1 px.
        import_and_read("annot imports supervision's YOLO", "yolo", d, expected(train, as_box), 1.001, want_images=len(train), kinds={"polygon": "box"})
    guard("annot imports supervision's YOLO", sv_yolo)
    def sv_voc():
        d = f"{tw}/sv-voc"; sds.as_pascal_voc(images_directory_path=f"{d}/JPEGImages", annotations_directory_path=f"{d}/Annotations")
        # supervision writes VOC's 1-based whole pixels (x + 1, truncated); annot reads VOC as Datumaro does (no shift).
        import_and_read("annot imports supervision's VOC", "voc", d, expected(train, as_box), 2.0, want_images=len(train))
    guard("annot imports supervision's VOC", sv_voc)

    def lm_embedded():
        # labelme's own writer, with the image embedded and no image file beside the JSON.
        from labelme import LabelFile
        d = f"{tw}/labelme-embedded"; os.makedirs(d)
        want = []
        for name, t in train.items():
            shapes = []
            for a in t["anns"]:
                if a["kind"] == "box":
                    x, y, w, h = a["bbox"]
                    shapes.append({"label": a["label"], "points": [[x, y], [x + w, y + h]], "shape_type": "rectangle", "flags": {}, "group_id": None})
                    want.append((name, a["label"], "box", a["bbox"]))
                elif a["kind"] == "polygon":
                    p = a["points"]
                    shapes.append({"label": a["label"], "points": [[p[i], p[i + 1]] for i in range(0, len(p), 2)], "shape_type": "polygon",
                                   "flags": {}, "group_id": None})
                    want.append((name, a["label"], "polygon", a["bbox"]))
            data = open(f"{img_train}/{name}", "rb").read()
            w, h = t["size"]
            LabelFile().save(f"{d}/{name[:-4]}.json", shapes, name, h, w, image_data=data)
        import_and_read("annot imports labelme files with embedded imageData", "labelme", d, want, 1e-9, want_images=len(train))
    guard("annot imports labelme files with embedded imageData", lm_embedded)

    def ls():
        # label-studio-converter turns a YOLO dataset into Label Studio tasks with local-files URLs.
        from label_studio_converter.imports.yolo import convert_yolo_to_ls
        import contextlib
        d = f"{tw}/ls-src"; os.makedirs(f"{d}/images"); os.makedirs(f"{d}/labels")
        for f in os.listdir(f"{ex}/yolo/images/train"): shutil.copy(f"{ex}/yolo/images/train/{f}", f"{d}/images/{f}")
        for f in os.listdir(f"{ex}/yolo/labels/train"): shutil.copy(f"{ex}/yolo/labels/train/{f}", f"{d}/labels/{f}")
        with open(f"{d}/classes.txt", "w") as f: f.write("\n".join(CLASSES) + "\n")
        out = f"{tw}/ls.json"
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            convert_yolo_to_ls(d, out, image_ext=".png", image_root_url="/data/local-files/?d=images/")
        import_and_read("annot imports label-studio-converter's tasks", "labelstudio", out, expected(train, as_box), 1e-3,
                        images_dir=d, want_images=len(train))
        # The same with absolute local-files paths (`?d=/…/images/x.png`), resolved under --images.
        out2 = f"{tw}/ls-abs.json"
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            convert_yolo_to_ls(d, out2, image_ext=".png", image_root_url=f"/data/local-files/?d={d}/images/")
        import_and_read("annot imports label-studio-converter's tasks (absolute ?d=)", "labelstudio", out2, expected(train, as_box), 1e-3,
                        images_dir=d, want_images=len(train))
    guard("annot imports label-studio-converter's tasks", ls)


def main():
    t0 = time.time()
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    truth = make_source(f"{WORK}/source")
    repo = new_repo("source")
    run("import", "cvat", f"{WORK}/source", cwd=repo)
    run("commit", "-m", "generated", cwd=repo)
    docs = annot_docs(repo)
    compare("annot imports the generated CVAT", annot_records(docs),
            expected(truth, {"box": "box", "polygon": "polygon", "ellipse": "ellipse", "mask": "mask"}), 1e-9, len(docs), len(truth))
    ex = check_exports(truth, repo)
    check_imports(truth, ex)
    print(f"{checks - len(failures)} of {checks} checks passed in {time.time() - t0:.0f} s")
    if failures:
        print("FAILED:", ", ".join(failures)); sys.exit(1)


main()
