"""Large folders stored in buckets (Docs/FORMAT.md, "Large folders"): the reader lists, looks up
and reads images of a folder annot split, by dataset path, as annot does."""
import json
import os
import subprocess

import annot_reader
import swift_side


def _git(root, *args):
    return subprocess.run(["git", "--git-dir", os.path.join(root, ".annot")] + list(args),
                          capture_output=True, check=True, text=True).stdout


def test_a_split_folder_reads_by_dataset_path(annot, work):
    src = os.path.join(work, "large-src")
    images = os.path.join(src, "images")
    os.makedirs(os.path.join(images, "sub"), exist_ok=True)
    names = ["%04d.png" % i for i in range(300)] + ["sub/a.png"]
    imgs, anns = [], []
    for i, n in enumerate(names):
        with open(os.path.join(images, n), "wb") as f:
            f.write(swift_side.png(8, 8, i))
        imgs.append({"id": i + 1, "file_name": n, "width": 8, "height": 8})
        anns.append({"id": i + 1, "image_id": i + 1, "category_id": 1, "bbox": [1, 1, 3, 2], "iscrowd": 0})
    coco = os.path.join(src, "instances.json")
    with open(coco, "w") as f:
        json.dump({"images": imgs, "annotations": anns, "categories": [{"id": 1, "name": "car"}]}, f)
    root = os.path.join(work, "large")
    swift_side.run(annot, work, "init", root)
    swift_side.run(annot, root, "import", "coco", coco, "--images", images)
    swift_side.run(annot, root, "commit", "-m", "300 in one folder")
    # Stored in buckets: plain git sees only @0 … @f under images/ and labels/.
    for d in ("images", "labels"):
        top = _git(root, "ls-tree", "--name-only", "HEAD:" + d).split()
        assert top and all(len(n) == 2 and n[0] == "@" for n in top), top

    r = annot_reader.open(root)
    assert r.paths == sorted(names)
    for n in ("0000.png", "0299.png", "0150.png", "sub/a.png"):
        with open(os.path.join(images, n), "rb") as f:
            assert r.image_bytes(n) == f.read()
        ex = r[n]
        assert len(ex) == 1 and ex.annotations[0].label == "car"
    assert "nothere.png" not in r
    # The stored path of one image, as plain git lists it, is the dataset path plus buckets.
    listed = [l.split("\t")[1] for l in _git(root, "ls-tree", "-r", "HEAD", "images").splitlines()]
    assert any(p.startswith("images/@") and p.endswith("/0150.png") for p in listed)
