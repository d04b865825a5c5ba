#!/usr/bin/env python3
"""torch.utils.data.DataLoader with W worker processes over a revision (annot_reader.torch.AnnotDataset)
against the same DataLoader over the revision's exported directory (image files + the COCO file
loaded with pycocotools): the same images decoded with Pillow into float tensors [3, H, W] and
the same targets (boxes XYXY, labels as class ids, area, iscrowd), the same batch size and
collate. Each run in a fresh process; the two sources alternate.

usage: bench_torch.py REPO COCO_JSON EXPORT_IMAGES_DIR [--runs N] [--workers W] [--batch B] [--limit K]
Prints a markdown table and one JSON line per measurement (stderr)."""
import json
import statistics
import subprocess
import sys

RUN = r"""
import sys, time, json, io, contextlib
t0 = time.perf_counter()
import numpy as np, torch
from PIL import Image
mode, repo, coco_file, images_dir, W, B, limit = sys.argv[1:8]
W, B, limit = int(W), int(B), int(limit)

def to_tensor(im):
    arr = np.asarray(im.convert("RGB"), dtype=np.uint8)
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).to(torch.float32).div_(255)

class DirDataset(torch.utils.data.Dataset):
    # What a training script does with an export: the COCO index in the parent, files per item.
    def __init__(self, coco_file, images_dir):
        from pycocotools.coco import COCO
        with contextlib.redirect_stdout(io.StringIO()):
            self.coco = COCO(coco_file)
        self.imgs = self.coco.loadImgs(sorted(self.coco.getImgIds()))
        self.dir = images_dir
    def __len__(self):
        return len(self.imgs)
    def __getitem__(self, i):
        img = self.imgs[i]
        anns = self.coco.loadAnns(self.coco.getAnnIds(imgIds=img["id"]))
        boxes = np.zeros((len(anns), 4), dtype=np.float32)
        for k, a in enumerate(anns):
            x, y, w, h = a["bbox"]
            boxes[k] = (x, y, x + w, y + h)
        target = {"boxes": torch.from_numpy(boxes),
                  "labels": torch.tensor([a["category_id"] for a in anns], dtype=torch.int64),
                  "area": torch.tensor([a["area"] for a in anns], dtype=torch.float32),
                  "iscrowd": torch.tensor([a["iscrowd"] for a in anns], dtype=torch.int64),
                  "image_id": torch.tensor(i, dtype=torch.int64), "path": img["file_name"]}
        with open(self.dir + "/" + img["file_name"], "rb") as f:
            im = Image.open(io.BytesIO(f.read()))
            im.load()
        return to_tensor(im), target

def collate(batch):
    return tuple(zip(*batch))

if mode == "annot":
    import annot_reader
    from annot_reader.torch import AnnotDataset
    ds = AnnotDataset(annot_reader.open(repo, "main"))
else:
    ds = DirDataset(coco_file, images_dir)
if limit and limit < len(ds):
    ds = torch.utils.data.Subset(ds, range(limit))
loader = torch.utils.data.DataLoader(ds, batch_size=B, num_workers=W, collate_fn=collate)
n = boxes = 0
check = 0.0
t_first = None
for images, targets in loader:
    if t_first is None:  # the loader is up: workers started, first batch made
        t_first, n_first = time.perf_counter(), len(images)
    for img, t in zip(images, targets):
        n += 1
        boxes += len(t["boxes"])
        check += float(t["boxes"][:, 2].sum()) + int(t["labels"].sum())
t1 = time.perf_counter()
print(json.dumps({"total": t1 - t0, "images": n, "boxes": boxes, "check": check, "rate": n / (t1 - t0),
                  "startup": t_first - t0, "steady": (n - n_first) / (t1 - t_first)}))
"""


def main():
    repo, coco_file, images_dir = sys.argv[1:4]

    def opt(name, default):
        return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default
    runs, W, B, limit = opt("--runs", 3), opt("--workers", 4), opt("--batch", 32), opt("--limit", 0)
    got = {"annot": [], "dir": []}
    for _ in range(runs):
        for mode in ("annot", "dir"):
            p = subprocess.run([sys.executable, "-c", RUN, mode, repo, coco_file, images_dir, str(W), str(B), str(limit)],
                               capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit("benchmark step failed:\n" + p.stderr)
            r = json.loads(p.stdout.strip().splitlines()[-1])
            print(json.dumps(dict(r, what="torch " + mode)), file=sys.stderr)
            got[mode].append(r)
    a, d = got["annot"], got["dir"]
    assert a[0]["images"] == d[0]["images"] and a[0]["boxes"] == d[0]["boxes"], (a[0], d[0])
    assert abs(a[0]["check"] - d[0]["check"]) < 1e-6 * max(1, abs(d[0]["check"])), "different targets"
    med = lambda rs, k="rate": statistics.median(r[k] for r in rs)
    print("torch DataLoader, %d workers, batch %d, %d images (decoded, float tensors + detection targets); "
          "%d runs each, alternating\n" % (W, B, a[0]["images"], runs))
    print("| source | whole run: images/s median (min–max) | start-up to first batch, median | after the first batch: images/s median (min–max) |")
    print("|---|---|---|---|")
    for name, rs in (("revision (`AnnotDataset`)", a), ("exported directory (files + pycocotools)", d)):
        print("| %s | %.0f (%.0f–%.0f) | %.1f s | %.0f (%.0f–%.0f) |" % (
            name, med(rs), min(r["rate"] for r in rs), max(r["rate"] for r in rs), med(rs, "startup"),
            med(rs, "steady"), min(r["steady"] for r in rs), max(r["steady"] for r in rs)))
    print("| revision / directory | %.0f%% | | %.0f%% |" % (100 * med(a) / med(d), 100 * med(a, "steady") / med(d, "steady")))


if __name__ == "__main__":
    main()
