"""Fixtures made by the Swift side: repositories built with the real `annot` binary, and what
annot itself reports about them (show --json, query --json, exports). The Python reader is
checked against these in the tests; nothing here is decoded by annot_reader.

Run standalone to look at them:  python swift_side.py ANNOT OUT_DIR"""
import json
import os
import struct
import subprocess
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
DEMO = os.path.join(REPO_ROOT, "Scripts", "demo-data")

ENV = dict(os.environ, NO_COLOR="1", ANNOT_PAGER="cat",
           GIT_AUTHOR_NAME="Fixture", GIT_AUTHOR_EMAIL="fixture@example.com",
           GIT_COMMITTER_NAME="Fixture", GIT_COMMITTER_EMAIL="fixture@example.com",
           GIT_AUTHOR_DATE="1767225600 +0000", GIT_COMMITTER_DATE="1767225600 +0000")


def run(annot, cwd, *args, check=True):
    p = subprocess.run([annot] + list(args), cwd=cwd, env=ENV, capture_output=True)
    if check and p.returncode != 0:
        raise RuntimeError("annot %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr.decode()))
    return p


def png(width, height, seed):
    raw = b"".join(b"\x00" + bytes(((x * 7 + y * 13 + seed * 31 + c) & 255) for x in range(width) for c in range(3))
                   for y in range(height))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def build_demo(annot, work):
    """The bundled demo data, as Scripts/demo.sh does it: round 1 on main, round 2 on a branch,
    a review on main, then the merge, tagged v1."""
    root = os.path.join(work, "demo")
    run(annot, work, "init", root)
    r1, r2, rv = (os.path.join(DEMO, d) for d in ("round1", "round2", "review"))
    imgs = os.path.join(r1, "images")
    run(annot, root, "import", "coco", os.path.join(r1, "instances.json"), "--images", imgs)
    run(annot, root, "commit", "-m", "round 1")
    run(annot, root, "branch", "round-2")
    run(annot, root, "switch", "round-2")
    run(annot, root, "import", "coco", os.path.join(r2, "instances.json"), "--images", imgs)
    run(annot, root, "commit", "-m", "round 2")
    run(annot, root, "switch", "main")
    run(annot, root, "import", "coco", os.path.join(rv, "instances.json"), "--images", imgs)
    run(annot, root, "commit", "-m", "review")
    run(annot, root, "merge", "round-2", "-m", "merge round 2")
    run(annot, root, "tag", "v1")
    return root


def _mask_runs(h, w, cells):
    """Column-major runs of an h x w mask whose foreground is the set of (y, x) `cells`."""
    flat = [0] * (h * w)
    for y, x in cells:
        flat[x * h + y] = 1
    runs, cur, n = [], 0, 0
    for v in flat:
        if v != cur:
            runs.append(n)
            cur, n = v, 0
        n += 1
    runs.append(n)
    return runs


def rich_source(out):
    """An annot directory (annot.json, images/, labels/) using every field of the format, written
    deliberately non-canonically (unsorted keys and ids, 12.0 for 12, spaces) so annot's import
    canonicalises it."""
    manifest = {
        "version": 1, "format": "annot",
        "classes": [
            {"id": 7, "name": "person", "color": "#ff0000", "supercategory": "human",
             "keypoints": ["nose", "left_eye", "right_eye"], "skeleton": [[1, 2], [1, 3]]},
            {"id": 2, "name": "car", "color": "#00ff00",
             "attributes": [{"name": "make", "type": "select", "values": ["vw", "fiat"], "default": "vw"},
                            {"name": "occluded", "type": "bool"}]},
            {"id": 3, "name": "blob", "color": "#0000ff"},
            {"id": 4, "name": "road", "color": "#808080"},
            {"id": 5, "name": "night", "color": "#101010"},
            {"id": 6, "name": "wire", "color": "#123456"},
            {"id": 11, "name": "dots", "color": "#abcdef"},
        ],
        "attributes": [{"name": "truncated", "type": "bool", "default": False},
                       {"name": "speed", "type": "number"}],
    }
    H, W = 30, 40
    cells = [(y, x) for y in range(3, 9) for x in range(5, 12)] + [(20, 30), (21, 30), (29, 39), (0, 0)]
    runs = _mask_runs(H, W, cells)
    try:
        from pycocotools import mask as cm
        import numpy as np
        arr = np.zeros((H, W), dtype=np.uint8, order="F")
        for y, x in cells:
            arr[y, x] = 1
        compressed = cm.encode(arr)["counts"].decode("ascii")
    except ImportError:  # the tests need pycocotools anyway; keep the script usable without
        compressed = None
    docs = {
        "street/0001.png": {
            "version": 1,
            "image": {"width": W, "height": H, "path": "street/0001.png", "media_type": "image/png",
                      "split": "train", "source_id": "101",
                      "attributes": {"weather": "rain", "iso": 400, "hdr": True, "ev": -0.5}},
            "annotations": [
                {"kind": "box", "id": "zz-last", "label": "car", "bbox": [1.0, 2.0, 10.5, 7.25], "rotation": 15,
                 "score": 0.875, "group": 2, "z_order": 1, "source_id": "77",
                 "attributes": {"occluded": True, "make": "fiat", "speed": 1.5}},
                {"kind": "polygon", "id": "aa-first", "label": "road",
                 "polygon": [[0, 29, 39.5, 29, 39.5, 20.125, 0, 20], [2, 2, 4, 2, 3, 4.000000000000001]],
                 "bbox": [0, 2, 39.5, 27], "crowd": True},
                {"kind": "polygon", "id": "ab-nobbox", "label": "road", "polygon": [[1e-05, 0.1, 30.3, 0.2, 15, 10]]},
                {"kind": "polyline", "id": "b-line", "label": "wire", "polyline": [0, 0, 10, 5, 20, 0]},
                {"kind": "points", "id": "c-points", "label": "dots", "points": [1, 1, 2, 3, 39, 29]},
                {"kind": "ellipse", "id": "d-ellipse", "label": "blob", "ellipse": [20, 15, 5, 3.5], "rotation": -30.5},
                {"kind": "tag", "id": "e-tag", "label": "night"},
            ],
        },
        "street/0002.png": {
            "version": 1,
            "image": {"path": "street/0002.png", "width": W, "height": H, "media_type": "image/png", "split": "val"},
            "annotations": [
                {"kind": "mask", "id": "m-runs", "label": "blob", "mask": {"size": [H, W], "counts": runs},
                 "bbox": [0, 0, 40, 30]},
                {"kind": "keypoints", "id": "k-person", "label": "person",
                 "keypoints": [10, 10, 2, 12.5, 8, 1, 0, 0, 0], "bbox": [8, 6, 8, 8]},
                {"kind": "keypoints", "id": "k-person-2", "label": "person", "keypoints": [30, 20, 2, 33, 19, 2, 31, 25, 2]},
            ],
        },
        "ünï/çødé 1.png": {
            "version": 1,
            "image": {"path": "ünï/çødé 1.png", "width": 20, "height": 10, "media_type": "image/png"},
            "annotations": [],
        },
        "zz/deep/er/x.png": {
            "version": 1,
            "image": {"path": "zz/deep/er/x.png", "width": 20, "height": 10, "media_type": "image/png", "split": "test"},
            "annotations": [{"kind": "box", "id": "only", "label": "car", "bbox": [0, 0, 20, 10]}],
        },
    }
    if compressed is not None:
        docs["street/0002.png"]["annotations"].append(
            {"kind": "mask", "id": "m-string", "label": "blob", "mask": {"size": [H, W], "counts": compressed}})
        empty = cm.encode(np.zeros((H, W), dtype=np.uint8, order="F"))["counts"].decode("ascii")
        docs["street/0002.png"]["annotations"].append(
            {"kind": "mask", "id": "m-empty", "label": "blob", "mask": {"size": [H, W], "counts": empty}})
    os.makedirs(out)
    with open(os.path.join(out, "annot.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    for k, (path, doc) in enumerate(sorted(docs.items())):
        img = os.path.join(out, "images", path)
        lab = os.path.join(out, "labels", path + ".json")
        os.makedirs(os.path.dirname(img), exist_ok=True)
        os.makedirs(os.path.dirname(lab), exist_ok=True)
        with open(img, "wb") as f:
            f.write(png(doc["image"]["width"], doc["image"]["height"], k))
        with open(lab, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=(k % 2 == 0))
    return out


def build_rich(annot, work):
    src = rich_source(os.path.join(work, "rich-src"))
    root = os.path.join(work, "rich")
    run(annot, work, "init", root)
    run(annot, root, "import", "annot", src)
    run(annot, root, "commit", "-m", "every field")
    return root


def swift_view(annot, root, rev="HEAD"):
    """What annot reports about a revision: commit id, schema, every document, every annotation's
    bounding box and area (from the query index), images with their counts, and exports."""
    out = {"rev": rev}
    out["commit"] = subprocess.run(["git", "--git-dir", os.path.join(root, ".annot"), "rev-parse", rev + "^{commit}"],
                                   capture_output=True, check=True, text=True).stdout.strip()
    out["schema"] = json.loads(run(annot, root, "show", "--json", out["commit"] + ":annot.json").stdout)
    out["images"] = json.loads(run(annot, root, "query", "true", "--images", "--json", "--rev", out["commit"]).stdout)
    out["annotations"] = json.loads(run(annot, root, "query", "true", "--json", "--rev", out["commit"]).stdout)
    docs = {}
    for im in out["images"]:
        docs[im["path"]] = json.loads(run(annot, root, "show", "--json", "%s:images/%s" % (out["commit"], im["path"])).stdout)
    out["documents"] = docs
    return out


def export(annot, root, rev, fmt, dest, *extra):
    run(annot, root, "export", rev, "--format", fmt, "--to", dest, *extra)
    return dest


if __name__ == "__main__":
    annot, out = sys.argv[1], os.path.abspath(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    for name, build in (("demo", build_demo), ("rich", build_rich)):
        root = build(annot, out)
        with open(os.path.join(out, name + "-view.json"), "w") as f:
            json.dump(swift_view(annot, root), f, indent=1, ensure_ascii=False)
    print(out)
