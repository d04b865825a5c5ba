"""The Python reader against what the Swift side (the real annot binary) reports."""
import json
import os
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import annot_reader
import swift_side

REVS = [("demo", "HEAD"), ("demo", "round-2"), ("demo", "HEAD~2"), ("demo", "v1"), ("rich", "HEAD")]


@pytest.fixture(scope="module")
def views(annot, demo_repo, rich_repo):
    cache = {}

    def get(name, rev):
        key = (name, rev)
        if key not in cache:
            root = demo_repo if name == "demo" else rich_repo
            cache[key] = (root, swift_side.swift_view(annot, root, rev))
        return cache[key]
    return get


@pytest.mark.parametrize("name,rev", REVS)
def test_commit_schema_and_images(views, name, rev):
    root, sv = views(name, rev)
    r = annot_reader.open(root, rev)
    assert r.commit == sv["commit"]
    assert r.schema.to_json() == sv["schema"]
    assert r.paths == [im["path"] for im in sv["images"]]
    assert len(r) == len(sv["images"])
    for ex, im in zip(r, sv["images"]):
        assert (ex.path, ex.width, ex.height, ex.split, len(ex.annotations)) == \
            (im["path"], im["width"], im["height"], im["split"], im["annotations"])


@pytest.mark.parametrize("name,rev", REVS)
def test_documents_decode_as_swift_decodes_them(views, name, rev):
    root, sv = views(name, rev)
    r = annot_reader.open(root, rev)
    assert set(sv["documents"]) == set(r.paths)
    for path, doc in sv["documents"].items():
        mine = r[path].to_json()
        assert mine == doc, path
        # and number types agree too (12 stays an int, 12.5 a float)
        assert json.dumps(mine, sort_keys=True) == json.dumps(doc, sort_keys=True), path


@pytest.mark.parametrize("name,rev", REVS)
def test_bounding_boxes_and_areas_match_the_index(views, name, rev):
    root, sv = views(name, rev)
    r = annot_reader.open(root, rev)
    mine = {}
    for ex in r:
        for a in ex.annotations:
            mine[(ex.path, a.id)] = a
    assert len(mine) == len(sv["annotations"])
    for row in sv["annotations"]:
        a = mine[(row["image"], row["id"])]
        assert (a.label, a.kind, a.score, a.attributes) == (row["label"], row["kind"], row["score"], row["attributes"])
        box = a.bounding_box
        assert (box or []) == row["bbox"], (row["id"], box, row["bbox"])
        assert a.area == row["area"], (row["id"], a.area, row["area"])  # exact: same double arithmetic


def test_rich_fixture_covers_every_kind(rich_repo):
    r = annot_reader.open(rich_repo)
    kinds = {a.kind for ex in r for a in ex.annotations}
    assert kinds == set(annot_reader.KINDS)
    ex = r["street/0001.png"]
    assert ex.attributes == {"weather": "rain", "iso": 400, "hdr": True, "ev": -0.5}
    assert ex.source_id == "101" and ex.split == "train" and ex.media_type == "image/png"
    ids = [a.id for a in ex.annotations]
    assert ids == sorted(ids) and ids[0] == "aa-first" and ids[-1] == "zz-last"
    box = ex.annotations[-1]
    assert isinstance(box, annot_reader.Box)
    assert (box.xywh, box.rotation, box.score, box.group, box.z_order, box.source_id) == \
        ([1, 2, 10.5, 7.25], 15, 0.875, 2, 1, "77")
    assert box.box_xyxy() == [1.0, 2.0, 11.5, 9.25]
    poly = ex.annotations[0]
    assert poly.crowd is True and poly.bbox == [0, 2, 39.5, 27] and len(poly.parts) == 2
    person = r.schema["person"]
    assert (person.id, person.keypoints, person.skeleton, person.rgb) == \
        (7, ["nose", "left_eye", "right_eye"], [[1, 2], [1, 3]], (255, 0, 0))
    assert r.schema.id_of("dots") == 11 and r.schema[2].name == "car"
    car = r.schema["car"]
    assert [(d.name, d.type, d.values, d.default) for d in car.attributes] == \
        [("make", "select", ["vw", "fiat"], "vw"), ("occluded", "bool", [], None)]
    kp = r["street/0002.png"].of_kind("keypoints")[0]
    assert kp.triples() == [(10, 10, 2), (12.5, 8, 1), (0, 0, 0)]
    assert r["ünï/çødé 1.png"].annotations == []


def _cvat_masks(xml_path):
    out = {}
    for im in ET.parse(xml_path).getroot().iter("image"):
        W, H = int(im.get("width")), int(im.get("height"))
        masks = []
        for m in im.iter("mask"):
            runs = [int(v) for v in m.get("rle").split(",")]
            left, top, w, h = (int(m.get(k)) for k in ("left", "top", "width", "height"))
            flat = np.repeat(np.array([k % 2 for k in range(len(runs))], dtype=np.uint8), runs)
            full = np.zeros((H, W), dtype=np.uint8)
            full[top:top + h, left:left + w] = flat.reshape(h, w)
            masks.append(full)
        out[im.get("name")] = masks
    return out


def test_mask_pixels_match_the_swift_cvat_export(annot, rich_repo, work):
    """CVAT's format stores masks as row-major runs over their box: the Swift side decodes the
    COCO RLE to pixels to write it, so this compares pixel by pixel with annot's own decoding."""
    dest = swift_side.export(annot, rich_repo, "HEAD", "cvat", os.path.join(work, "rich-cvat"))
    swift = _cvat_masks(os.path.join(dest, "annotations.xml"))
    r = annot_reader.open(rich_repo)
    n = 0
    for ex in r:
        mine = [m.to_numpy() for m in ex.of_kind("mask")]
        mine = [m for m in mine if m.any()]  # CVAT cannot hold empty masks (reported as a loss)
        assert len(mine) == len(swift.get(ex.path, [])), ex.path
        for a, b in zip(mine, swift[ex.path]):
            assert a.shape == (ex.height, ex.width) and a.dtype == np.uint8
            np.testing.assert_array_equal(a, b)
            n += 1
    assert n == 2


def test_masks_match_pycocotools(rich_repo):
    from pycocotools import mask as cm
    r = annot_reader.open(rich_repo)
    for a in r["street/0002.png"].of_kind("mask"):
        rle = a.to_coco()
        if isinstance(rle["counts"], list):
            rle = cm.frPyObjects(rle, rle["size"][0], rle["size"][1])
        else:
            rle = dict(rle, counts=rle["counts"].encode())
        np.testing.assert_array_equal(a.to_numpy(), cm.decode(rle))
        assert a.area == float(cm.area(rle))


def test_split_and_prefix_filters_select_what_export_selects(annot, demo_repo, rich_repo, work):
    for root, split in ((demo_repo, "val"), (demo_repo, "train"), (rich_repo, "train"), (rich_repo, "street")):
        dest = swift_side.export(annot, root, "HEAD", "annot", os.path.join(work, "split-%s-%s" % (os.path.basename(root), split)),
                                 "--split", split)
        exported = sorted(os.path.relpath(os.path.join(d, f), os.path.join(dest, "images"))
                          for d, _, fs in os.walk(os.path.join(dest, "images")) for f in fs)
        assert annot_reader.open(root).filter(split=split).paths == exported, (root, split)
    r = annot_reader.open(demo_repo)
    assert r.filter(prefix="val/").paths == [p for p in r.paths if p.startswith("val/")] != []
    assert r.filter(prefix=["val/", "train/000"]).paths == [p for p in r.paths if p.startswith(("val/", "train/000"))]


def test_where_filter_uses_annot_query(annot, demo_repo):
    r = annot_reader.open(demo_repo)
    q = 'label == "circle" and area > 300'
    swift = json.loads(swift_side.run(annot, demo_repo, "query", q, "--json").stdout)
    view = r.filter(where=q)
    assert view.paths == sorted({row["image"] for row in swift})
    # every example keeps all its annotations by default; "matching" keeps only the matches
    assert sum(len(ex) for ex in view) >= len(swift)
    m = r.filter(where=q, annotations="matching")
    got = sorted((ex.path, a.id) for ex in m for a in ex.annotations)
    assert got == sorted((row["image"], row["id"]) for row in swift)
    assert all(a.label == "circle" and a.area > 300 for ex in m for a in ex.annotations)
    # filters compose
    both = r.filter(split="train").filter(where=q)
    assert both.paths == [p for p in view.paths if p.startswith("train/")]
    with pytest.raises(annot_reader.AnnotError, match="unknown field 'lable'"):
        r.filter(where='lable == "x"')


def test_images_are_the_original_bytes(annot, demo_repo, work):
    r = annot_reader.open(demo_repo)
    ex = r["train/0003.png"]
    out = os.path.join(work, "cat.png")
    swift_side.run(annot, demo_repo, "cat-image", "HEAD:images/train/0003.png", "-o", out)
    with open(out, "rb") as f:
        assert ex.image_bytes() == f.read()
    im = ex.image()
    assert im.size == (ex.width, ex.height)


# Documents annot refuses: the Python reader refuses them with the same place and message.
BAD = [
    ('{"version":1,"image":{"path":"a.png","width":"8","height":8,"media_type":"image/png"},"annotations":[]}',
     "image.width: expected a number, found string"),
    ('{"version":1,"image":{"path":"a.png","width":8,"height":8,"media_type":"image/png"},"annotations":[{"id":"x","label":"c","kind":"box","bbox":[1,1,2]}]}',
     "annotations[0].bbox: expected 4 numbers [x, y, w, h], found 3"),
    ('{"version":1,"image":{"path":"a.png","width":8,"height":8,"media_type":"image/png"},"annotations":[{"id":"x","label":"c","kind":"blob"}]}',
     'annotations[0].kind: unknown kind "blob"'),
    ('{"version":1,"image":{"path":"a.png","width":8,"height":8,"media_type":"image/png"},"annotations":[{"id":"x","label":"c","kind":"tag"},{"id":"x","label":"c","kind":"tag"}]}',
     'annotations[1].id: duplicate annotation id "x"'),
    ('{"version":2,"image":{"path":"a.png","width":8,"height":8,"media_type":"image/png"},"annotations":[]}',
     "version: document version 2 is newer than this annot reads (1); upgrade annot"),
    ('{"version":1,"image":{"path":"a.png","width":8,"height":8,"media_type":"image/png"},"annotations":[{"id":"x","label":"c","kind":"keypoints","keypoints":[1,2]}]}',
     "annotations[0].keypoints: expected triples [x, y, visibility]"),
    ('{"version":1,"image":{"path":"a.png","width":8,"height":8,"media_type":"image/png"},"annotations":[{"id":"x","label":"c","kind":"mask","mask":{"size":[8,8],"counts":[1,-2]}}]}',
     "annotations[0].mask.counts[1]: expected a non-negative integer"),
    ('{"version":1,"image":{"path":"a.png","width":8,"height":8,"media_type":"image/png"},"annotations":[{"id":"x","label":"c","kind":"polygon","polygon":[[1,2,true]]}]}',
     "annotations[0].polygon[0][2]: expected a number, found boolean"),
    ('{"version":1,"image":{"path":"a.png","width":8,"height":8,"media_type":"image/png","attributes":{"k":[1]}},"annotations":[]}',
     "image.attributes.k: attribute values are booleans, numbers or strings, found array"),
    ('{"version":1,"version":1,"image":{"path":"a.png","width":8,"height":8,"media_type":"image/png"},"annotations":[]}',
     'duplicate key "version"'),
    ('{"version":1,"image":{"path":"a.png","width":8,"height":8,"media_type":"image/png"},"annotations":[{"id":"x","label":"c","kind":"box","bbox":[1,1,NaN,2]}]}',
     "invalid JSON"),
    ('{"version":1,"image":{"path":"a.png","width":8,"height":8,"media_type":"image/png"},"annotations":[{"id":"x","label":"c","kind":"box","bbox":[1,1,1e400,2]}]}',
     "number out of range: 1e400"),
    ('{"version":1,"image":{"path":"a.png","width":8,"height":8,"media_type":"image/png"},"annotations":[{"id":"\\ud800","label":"c","kind":"tag"}]}',
     "unpaired surrogate"),
]


@pytest.mark.parametrize("doc,message", BAD)
def test_bad_documents_are_refused_like_swift(annot, work, doc, message):
    src = os.path.join(work, "bad-%08x" % (hash(doc) & 0xFFFFFFFF))
    os.makedirs(os.path.join(src, "images"))
    os.makedirs(os.path.join(src, "labels"))
    with open(os.path.join(src, "annot.json"), "w") as f:
        f.write('{"format":"annot","version":1,"classes":[{"id":1,"name":"c"}],"attributes":[]}')
    with open(os.path.join(src, "images", "a.png"), "wb") as f:
        f.write(swift_side.png(8, 8, 1))
    with open(os.path.join(src, "labels", "a.png.json"), "w") as f:
        f.write(doc)
    repo = os.path.join(src, "repo")
    swift_side.run(annot, work, "init", repo)
    p = swift_side.run(annot, repo, "import", "annot", src, check=False)
    assert p.returncode != 0
    swift_err = p.stderr.decode()
    assert message in swift_err, swift_err
    with pytest.raises(annot_reader.DocumentError) as e:
        annot_reader.decode_document(doc.encode(), "labels/a.png.json")
    assert message in str(e.value) and str(e.value).startswith("labels/a.png.json: ")
