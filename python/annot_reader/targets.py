"""Detection targets as numpy arrays, in torchvision's convention (the torch adapter wraps these)."""

__all__ = ["detection_target", "DEFAULT_KINDS"]

#: Annotation kinds that become detection instances by default.
DEFAULT_KINDS = ("box", "polygon", "mask", "ellipse")


def _rasterize_polygon(parts, height, width):
    from PIL import Image, ImageDraw
    import numpy as np
    im = Image.new("L", (width, height), 0)
    d = ImageDraw.Draw(im)
    for p in parts:
        if len(p) >= 6:
            d.polygon([(p[i], p[i + 1]) for i in range(0, len(p) - 1, 2)], fill=1)
    return np.asarray(im, dtype=np.uint8)


def detection_target(example, kinds=DEFAULT_KINDS, masks=False, keypoints=False):
    """The target of one example, as numpy arrays:

    - boxes: float32 [N, 4], XYXY in pixels (x0, y0, x1, y1) = the annotation's bounding box
      (for a polygon, mask or ellipse the box the source gave, else the tight box);
    - labels: int64 [N], class ids from the revision's schema (annot.json ids, COCO category ids);
    - area: float32 [N] (annot's area: polygon shoelace, mask pixels, box w*h);
    - iscrowd: int64 [N] (the annotation's `crowd`);
    - ids: list of N annotation ids (stable across revisions);
    - masks (masks=True): uint8 [N, H, W]: mask annotations decoded exactly from their RLE,
      polygons rasterised with Pillow, boxes and ellipses filled (Pillow);
    - keypoints (keypoints=True): float32 [N, K, 3] for keypoint annotations, with `kinds`
      expected to be ("keypoints",), K from the class's keypoint names.

    N counts the annotations whose kind is in `kinds`, in id order. Requires numpy."""
    import numpy as np
    schema = example.revision.schema
    anns = [a for a in example.annotations if a.kind in kinds and a.kind != "tag"]
    boxes = np.zeros((len(anns), 4), dtype=np.float32)
    labels = np.zeros(len(anns), dtype=np.int64)
    area = np.zeros(len(anns), dtype=np.float32)
    crowd = np.zeros(len(anns), dtype=np.int64)
    for k, a in enumerate(anns):
        b = a.bounding_box
        if b is not None:
            boxes[k] = (b[0], b[1], b[0] + b[2], b[1] + b[3])
        labels[k] = schema.id_of(a.label)
        area[k] = a.area
        crowd[k] = 1 if a.crowd else 0
    out = {"boxes": boxes, "labels": labels, "area": area, "iscrowd": crowd, "ids": [a.id for a in anns]}
    if masks:
        H, W = example.height, example.width
        m = np.zeros((len(anns), H, W), dtype=np.uint8)
        for k, a in enumerate(anns):
            if a.kind == "mask":
                m[k] = a.to_numpy()
            elif a.kind == "polygon":
                m[k] = _rasterize_polygon(a.parts, H, W)
            else:
                from PIL import Image, ImageDraw
                im = Image.new("L", (W, H), 0)
                x0, y0, x1, y1 = boxes[k]
                if a.kind == "ellipse":
                    ImageDraw.Draw(im).ellipse([x0, y0, x1, y1], fill=1)
                else:
                    ImageDraw.Draw(im).rectangle([x0, y0, x1, y1], fill=1)
                m[k] = np.asarray(im, dtype=np.uint8)
        out["masks"] = m
    if keypoints:
        ks = []
        for a in anns:
            if a.kind != "keypoints":
                raise ValueError("keypoints=True needs kinds=(\"keypoints\",); %s is a %s" % (a.id, a.kind))
            ks.append(np.asarray(a.keypoints, dtype=np.float32).reshape(-1, 3))
        K = max((len(k) for k in ks), default=0)
        kp = np.zeros((len(anns), K, 3), dtype=np.float32)
        for k, arr in enumerate(ks):
            kp[k, :len(arr)] = arr
        out["keypoints"] = kp
    return out
