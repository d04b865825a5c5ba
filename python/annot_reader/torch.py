"""A torch.utils.data.Dataset over a revision (importable only when torch is installed).

    from annot_reader.torch import AnnotDataset, collate
    ds = AnnotDataset(annot_reader.open("shapes").filter(split="train"), masks=True)
    loader = torch.utils.data.DataLoader(ds, batch_size=4, num_workers=4, collate_fn=collate)
    for images, targets in loader: ...

Item i is (image, target): image a float32 tensor [3, H, W] in [0, 1] (RGB), target a dict in
torchvision's detection convention: boxes FloatTensor[N, 4] XYXY pixels, labels Int64Tensor[N]
class ids (annot.json ids), area, iscrowd, image_id (int64, the index in the revision), masks
UInt8Tensor[N, H, W] when masks=True, keypoints FloatTensor[N, K, 3] when keypoints=True; plus
"path" and "ann_ids" (lists of str, ignored by torchvision). `collate` keeps a batch as a tuple
of images and a tuple of targets, as torchvision's detection references do.

Each DataLoader worker process reopens its own pygit2 handle (the Revision notices the fork or
the unpickling), so num_workers > 0 is safe with fork and spawn."""
try:
    import torch
    from torch.utils.data import Dataset
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("annot_reader.torch needs PyTorch: pip install torch") from e

import numpy as np

from .targets import DEFAULT_KINDS, detection_target

__all__ = ["AnnotDataset", "collate"]


class AnnotDataset(Dataset):
    """`transforms(image, target) -> (image, target)` runs after the conversion when given.
    `images=False` yields only the targets (label-only training, or a labels-only clone)."""

    def __init__(self, revision, kinds=DEFAULT_KINDS, masks=False, keypoints=False, images=True, transforms=None):
        self.revision = revision
        self.kinds, self.masks, self.keypoints, self.images = tuple(kinds), masks, keypoints, images
        self.transforms = transforms

    def __len__(self):
        return len(self.revision)

    def __getitem__(self, i):
        ex = self.revision[i]
        t = detection_target(ex, self.kinds, self.masks, self.keypoints)
        target = {"boxes": torch.from_numpy(t["boxes"]), "labels": torch.from_numpy(t["labels"]),
                  "area": torch.from_numpy(t["area"]), "iscrowd": torch.from_numpy(t["iscrowd"]),
                  "image_id": torch.tensor(ex.index, dtype=torch.int64), "path": ex.path, "ann_ids": t["ids"]}
        if self.masks:
            target["masks"] = torch.from_numpy(t["masks"])
        if self.keypoints:
            target["keypoints"] = torch.from_numpy(t["keypoints"])
        if not self.images:
            return target
        arr = np.asarray(ex.image().convert("RGB"), dtype=np.uint8)
        image = torch.from_numpy(arr.copy()).permute(2, 0, 1).to(torch.float32).div_(255)
        if self.transforms is not None:
            image, target = self.transforms(image, target)
        return image, target


def collate(batch):
    """(images, targets) tuples -> (tuple of images, tuple of targets)."""
    if batch and isinstance(batch[0], dict):
        return tuple(batch)
    return tuple(zip(*batch))
