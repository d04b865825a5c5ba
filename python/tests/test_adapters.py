"""Detection targets (pure numpy), and the torch / Hugging Face adapters when those are installed."""
import numpy as np
import pytest

import annot_reader
from annot_reader import detection_target


def test_detection_target_convention(rich_repo):
    r = annot_reader.open(rich_repo)
    ex = r["street/0001.png"]
    t = detection_target(ex)
    kinds = [a.kind for a in ex.annotations if a.kind in ("box", "polygon", "mask", "ellipse")]
    assert len(t["ids"]) == len(kinds) == 4
    assert t["boxes"].dtype == np.float32 and t["boxes"].shape == (4, 4)
    assert t["labels"].dtype == np.int64
    by_id = {a.id: a for a in ex.annotations}
    for k, i in enumerate(t["ids"]):
        a = by_id[i]
        x, y, w, h = a.bounding_box
        np.testing.assert_allclose(t["boxes"][k], [x, y, x + w, y + h], rtol=1e-6)  # XYXY
        assert t["labels"][k] == r.schema.id_of(a.label)
        assert t["iscrowd"][k] == (1 if a.crowd else 0)
    assert t["labels"].tolist() == [4, 4, 3, 2]  # road, road, blob, car: annot.json ids


def test_detection_target_masks(rich_repo):
    r = annot_reader.open(rich_repo)
    ex = r["street/0002.png"]
    t = detection_target(ex, masks=True)
    assert t["masks"].shape == (3, 30, 40) and t["masks"].dtype == np.uint8
    for k, a in enumerate(ex.of_kind("mask")):
        np.testing.assert_array_equal(t["masks"][k], a.to_numpy())
    # polygons are rasterised (Pillow): inside the box, non-empty
    t1 = detection_target(r["street/0001.png"], kinds=("polygon",), masks=True)
    assert t1["masks"].shape[0] == 2 and all(m.sum() > 0 for m in t1["masks"])


def test_detection_target_keypoints(rich_repo):
    ex = annot_reader.open(rich_repo)["street/0002.png"]
    t = detection_target(ex, kinds=("keypoints",), keypoints=True)
    assert t["keypoints"].shape == (2, 3, 3)
    assert t["keypoints"][0].tolist() == [[10, 10, 2], [12.5, 8, 1], [0, 0, 0]]
    assert t["labels"].tolist() == [7, 7]


def test_torch_dataset(demo_repo):
    torch = pytest.importorskip("torch")
    from annot_reader.torch import AnnotDataset, collate
    rev = annot_reader.open(demo_repo)
    ds = AnnotDataset(rev, masks=True)
    loader = torch.utils.data.DataLoader(ds, batch_size=3, num_workers=2, collate_fn=collate)
    n = 0
    for images, targets in loader:
        for img, t in zip(images, targets):
            ex = rev[int(t["image_id"])]
            assert img.shape == (3, ex.height, ex.width) and img.dtype == torch.float32
            assert t["boxes"].shape[1] == 4 and t["labels"].dtype == torch.int64
            assert t["masks"].shape[1:] == (ex.height, ex.width)
            n += 1
    assert n == len(rev)


def test_hf_dataset(demo_repo):
    pytest.importorskip("datasets")
    rev = annot_reader.open(demo_repo)
    ds = rev.to_hf_dataset()
    assert len(ds) == len(rev)
    row = ds[3]
    ex = rev[3]
    assert row["path"] == ex.path and row["objects"]["id"] == [a.id for a in ex.annotations]
    assert row["image"].size == (ex.width, ex.height)


def test_adapters_say_what_is_missing(demo_repo):
    try:
        import torch  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install torch"):
            annot_reader.open(demo_repo).torch_dataset()
    try:
        import datasets  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install datasets"):
            annot_reader.open(demo_repo).to_hf_dataset()
