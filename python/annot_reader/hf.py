"""Hugging Face `datasets` adapter (only when `datasets` is installed)."""

__all__ = ["to_hf_dataset"]


def _rows(revision, images):
    schema = revision.schema
    for ex in revision:
        objs = {"id": [], "label": [], "category_id": [], "kind": [], "bbox": [], "area": []}
        for a in ex.annotations:
            objs["id"].append(a.id)
            objs["label"].append(a.label)
            c = schema.get(a.label)
            objs["category_id"].append(c.id if c is not None else -1)
            objs["kind"].append(a.kind)
            b = a.bounding_box
            objs["bbox"].append([float(v) for v in b] if b is not None else [])
            objs["area"].append(float(a.area))
        row = {"path": ex.path, "width": ex.width, "height": ex.height, "split": ex.split or "",
               "objects": objs}
        if images:
            row["image"] = {"bytes": ex.image_bytes(), "path": ex.path}
        yield row


def to_hf_dataset(revision, images=True):
    """A datasets.Dataset with one row per image: path, width, height, split, image (bytes, decoded
    by datasets.Image), objects {id, label, category_id, kind, bbox [x, y, w, h] (COCO layout),
    area}. The annotations' full geometry stays in the Revision; this table is for HF pipelines."""
    try:
        import datasets
    except ImportError as e:
        raise ImportError("to_hf_dataset needs Hugging Face datasets: pip install datasets") from e
    obj = datasets.Sequence({
        "id": datasets.Value("string"), "label": datasets.Value("string"),
        "category_id": datasets.Value("int64"), "kind": datasets.Value("string"),
        "bbox": datasets.Sequence(datasets.Value("float64")), "area": datasets.Value("float64")})
    feats = {"path": datasets.Value("string"), "width": datasets.Value("int64"),
             "height": datasets.Value("int64"), "split": datasets.Value("string"), "objects": obj}
    if images:
        feats["image"] = datasets.Image()
    return datasets.Dataset.from_generator(_rows, features=datasets.Features(feats),
                                           gen_kwargs={"revision": revision, "images": images})
