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


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_torch_loader_with_4_workers_gives_the_serial_targets_and_pixels(demo_repo, method):
    torch = pytest.importorskip("torch")
    import numpy as np
    from annot_reader.torch import AnnotDataset, collate
    rev = annot_reader.open(demo_repo)
    loader = torch.utils.data.DataLoader(AnnotDataset(rev, masks=True), batch_size=2, num_workers=4, collate_fn=collate,
                                         shuffle=True, generator=torch.Generator().manual_seed(1),
                                         multiprocessing_context=method)
    seen = set()
    for images, targets in loader:
        for img, t in zip(images, targets):
            ex = rev[int(t["image_id"])]
            want = detection_target(ex, masks=True)
            assert t["path"] == ex.path and t["ann_ids"] == want["ids"]
            assert t["boxes"].tolist() == want["boxes"].tolist() and t["labels"].tolist() == want["labels"].tolist()
            assert (t["masks"].numpy() == want["masks"]).all() and t["iscrowd"].tolist() == want["iscrowd"].tolist()
            pixels = np.asarray(ex.image().convert("RGB"), dtype=np.float32).transpose(2, 0, 1) / 255
            assert np.allclose(img.numpy(), pixels)
            seen.add(ex.path)
    assert seen == set(rev.paths)


def test_torch_labels_only_targets(demo_repo):
    torch = pytest.importorskip("torch")
    from annot_reader.torch import AnnotDataset
    rev = annot_reader.open(demo_repo)
    ds = AnnotDataset(rev, images=False)
    t = ds[2]
    assert isinstance(t, dict) and t["boxes"].dtype == torch.float32
    assert t["labels"].tolist() == [rev.schema.id_of(a.label) for a in rev[2].annotations
                                    if a.kind in ("box", "polygon", "mask", "ellipse")]


def test_hf_dataset_rows_match_the_revision(demo_repo):
    pytest.importorskip("datasets")
    rev = annot_reader.open(demo_repo)
    ds = rev.to_hf_dataset(images=False)
    assert "image" not in ds.column_names
    for row, ex in zip(ds, rev):
        o = row["objects"]
        assert row["path"] == ex.path and (row["width"], row["height"]) == (ex.width, ex.height)
        assert o["label"] == [a.label for a in ex.annotations] and o["kind"] == [a.kind for a in ex.annotations]
        assert o["bbox"] == [[float(v) for v in a.bounding_box] if a.bounding_box else [] for a in ex.annotations]
        assert o["category_id"] == [rev.schema.id_of(a.label) for a in ex.annotations]
