"""RLE and strict JSON details, against pycocotools (the reference annot's RLE.swift follows)."""
import random

import numpy as np
import pytest
from pycocotools import mask as cm

import annot_reader
from annot_reader import rle
from annot_reader._json import JSONError, loads


def _random_mask(rng, h, w):
    m = np.zeros((h, w), dtype=np.uint8, order="F")
    for _ in range(rng.randint(0, 6)):
        y, x = rng.randrange(h), rng.randrange(w)
        m[y:y + rng.randint(1, h), x:x + rng.randint(1, w)] = 1
    if rng.random() < 0.2:
        m[:] = 1
    return m


def test_decode_and_encode_agree_with_pycocotools():
    rng = random.Random(5)
    for _ in range(300):
        h, w = rng.randint(1, 70), rng.randint(1, 70)
        m = _random_mask(rng, h, w)
        enc = cm.encode(m)
        s = enc["counts"].decode("ascii")
        runs = rle.decode_counts(s)
        assert sum(runs) == h * w
        np.testing.assert_array_equal(rle.runs_to_numpy(runs, h, w), m)
        assert rle.encode_counts(runs) == s
        assert rle.area(runs) == int(cm.area(enc))
        bb = rle.bounding_box(runs, h)
        assert bb == [float(v) for v in cm.toBbox(enc)]


def test_large_runs_round_trip():
    runs = [0, 5, 10 ** 9, 3, 2 ** 40, 7]
    assert rle.decode_counts(rle.encode_counts(runs)) == runs


@pytest.mark.parametrize("bad", ["\x7f", "0" + chr(47), "P", "ooooooooooooo0", "é"])
def test_malformed_counts_are_none(bad):
    # below '0', above 'o', a continuation at the end, more than 12 chunks, non-ASCII
    assert rle.decode_counts(bad) is None


def test_negative_runs_are_malformed():
    # '@' is a final chunk with the sign bit: -16, a negative run; refused as in Swift
    assert rle.decode_counts("0@") is None
    assert rle.decode_counts("0:") == [0, 10]
    # from the fourth run on, values are deltas against the run two before
    assert rle.decode_counts(rle.encode_counts([3, 9, 4, 2, 1])) == [3, 9, 4, 2, 1]


def test_runs_must_cover_the_mask():
    with pytest.raises(ValueError, match="cover 5 pixels, not 6"):
        rle.runs_to_numpy([2, 3], 2, 3)


def test_mask_to_numpy_layout():
    # column-major: pixel (y, x) is run position x*h + y
    doc = ('{"version":1,"image":{"path":"a.png","width":3,"height":2,"media_type":"image/png"},'
           '"annotations":[{"id":"m","label":"c","kind":"mask","mask":{"size":[2,3],"counts":[1,2,3]}}]}')
    _, anns = annot_reader.decode_document(doc.encode())
    m = anns[0].to_numpy()
    assert m.tolist() == [[0, 1, 0], [1, 0, 0]]
    assert anns[0].area == 2.0 and anns[0].bounding_box == [0.0, 0.0, 2.0, 2.0]


def test_strict_json():
    assert loads(b'{"a":[1,2.5,-0,1e2]}') == {"a": [1, 2.5, 0, 100.0]}
    for bad, msg in [(b'{"a":1,"a":2}', "duplicate key"), (b"[NaN]", "invalid literal NaN"),
                     (b"[-Infinity]", "invalid literal -Infinity"), (b"[1e999]", "number out of range"),
                     (b'["\\udc00"]', "unpaired surrogate"), (b'["\xff"]', "not valid UTF-8"),
                     (b"[1,]", "line 1, column 4"), (b"[01]", "line 1"), (b"\xef\xbb\xbf{}", "line 1")]:
        with pytest.raises(JSONError, match=msg):
            loads(bad)
    # Swift reads long integers as doubles
    v = loads(b"[12345678901234567891]")[0]
    assert isinstance(v, float) and v == 1.2345678901234567e19
    assert loads(b'["\\ud83d\\ude00"]') == ["\U0001F600"]


def test_document_details():
    doc = ('{"annotations":[{"id":"b","kind":"tag","label":"x","crowd":1,"score":null,"source_id":null},'
           '{"id":"a","kind":"box","label":"x","bbox":[0,0,2.0,3],"group":4.0}],'
           '"image":{"height":5,"media_type":"image/png","path":"p.png","width":5.0,"split":null},"version":1}')
    img, anns = annot_reader.decode_document(doc.encode(), "labels/p.png.json")
    assert img == {"path": "p.png", "width": 5, "height": 5, "media_type": "image/png", "source_id": None,
                   "split": None, "attributes": {}}
    assert [a.id for a in anns] == ["a", "b"]  # sorted by id
    assert anns[0].group == 4 and isinstance(anns[0].group, int)
    assert anns[1].crowd is False and anns[1].score is None  # crowd must be true, as in Swift
    with pytest.raises(annot_reader.DocumentError) as e:
        annot_reader.decode_document(doc.replace('"group":4.0', '"group":4.5').encode(), "labels/p.png.json")
    assert str(e.value) == "labels/p.png.json: annotations[1].group: expected an integer, found 4.5"
    assert e.value.place == "annotations[1].group" and e.value.file == "labels/p.png.json"


def test_manifest_rules():
    s = annot_reader.decode_manifest(b'{"version":1,"classes":[{"id":3,"name":"b","keypoints":["k",1],'
                                     b'"skeleton":[[1,2],"x",[1,true]]},{"id":1,"name":"a"}]}')
    assert s.names == ["a", "b"] and s[3].keypoints == ["k"] and s[3].skeleton == [[1, 2], [1]]
    assert "a" in s and 3 in s and 2 not in s and len(s) == 2
    with pytest.raises(KeyError, match='label "zz" is not a class'):
        s.id_of("zz")
    with pytest.raises(annot_reader.DocumentError, match="classes\\[1\\].id: duplicate class id 1"):
        annot_reader.decode_manifest(b'{"version":1,"classes":[{"id":1,"name":"a"},{"id":1,"name":"b"}]}')
    with pytest.raises(annot_reader.DocumentError, match="upgrade annot"):
        annot_reader.decode_manifest(b'{"version":3,"classes":[]}')


def _both(data):
    from annot_reader import model
    from annot_reader._json import loads_fast
    try:
        exact = model._decode_document_value(loads(data))
    except (annot_reader.DocumentError, JSONError) as e:
        exact = e
    try:
        fast = model._fast_document(loads_fast(data), data)
    except JSONError as e:
        fast = e
    return fast, exact


def _same(a, b):
    if isinstance(a, Exception) or isinstance(b, Exception):
        return type(a) is type(b)
    return a[0] == b[0] and [x.to_json() for x in a[1]] == [x.to_json() for x in b[1]] and \
        [type(x) for x in a[1]] == [type(x) for x in b[1]]


def test_fast_path_agrees_with_the_exact_path(demo_repo, rich_repo):
    """Every fixture document: the fast path is taken and gives exactly the exact path's result."""
    for root in (demo_repo, rich_repo):
        r = annot_reader.open(root)
        for i in range(len(r)):
            data = r.repo.odb.read(r._ids[20 * i:20 * i + 20].hex())[1]
            fast, exact = _both(data)
            assert fast is not None, r.paths[i]  # canonical documents take the fast path
            assert _same(fast, exact), r.paths[i]


FAST_DOUBTS = [
    # duplicate key in an annotation, in an attribute object, in the image, at the top
    b'{"annotations":[{"id":"a","kind":"tag","label":"x","label":"y"}],"image":{"height":1,"media_type":"m","path":"p","width":1},"version":1}',
    b'{"annotations":[{"attributes":{"k":1,"k":2},"id":"a","kind":"tag","label":"x"}],"image":{"height":1,"media_type":"m","path":"p","width":1},"version":1}',
    b'{"annotations":[],"image":{"height":1,"height":2,"media_type":"m","path":"p","width":1},"version":1}',
    # a duplicate hidden by a string starting with ':' and a space before a colon
    b'{"annotations":[{"id":"a","kind":"tag","label":":x","source_id" :"1","source_id":"2"}],"image":{"height":1,"media_type":"m","path":"p","width":1},"version":1}',
    # overflow, a long integer, inf from an exponent in a score / bbox / attribute / width
    b'{"annotations":[{"id":"a","kind":"tag","label":"x","score":1e400}],"image":{"height":1,"media_type":"m","path":"p","width":1},"version":1}',
    b'{"annotations":[{"bbox":[0,0,1,12345678901234567891],"id":"a","kind":"box","label":"x"}],"image":{"height":1,"media_type":"m","path":"p","width":1},"version":1}',
    b'{"annotations":[{"attributes":{"s":-1e999},"id":"a","kind":"tag","label":"x"}],"image":{"height":1,"media_type":"m","path":"p","width":1},"version":1}',
    b'{"annotations":[],"image":{"height":1,"media_type":"m","path":"p","width":9007199254740993},"version":1}',
    b'{"annotations":[{"group":9007199254740993,"id":"a","kind":"tag","label":"x"}],"image":{"height":1,"media_type":"m","path":"p","width":1},"version":1}',
    # values the exact path normalises: 4.0 as an int, crowd 1 as false, unsorted ids, null fields
    b'{"annotations":[{"group":4.0,"id":"b","kind":"tag","label":"x","crowd":1},{"id":"a","kind":"tag","label":"x","score":null}],"image":{"height":1.0,"media_type":"m","path":"p","width":1,"split":null},"version":1}',
    b'{"annotations":[{"id":"a","kind":"mask","label":"x","mask":{"counts":[0,1.0],"size":[1,1]}}],"image":{"height":1,"media_type":"m","path":"p","width":1},"version":1}',
    # a duplicate annotation id, an unknown kind, a bad bbox
    b'{"annotations":[{"id":"a","kind":"tag","label":"x"},{"id":"a","kind":"tag","label":"x"}],"image":{"height":1,"media_type":"m","path":"p","width":1},"version":1}',
    b'{"annotations":[{"id":"a","kind":"blob","label":"x"}],"image":{"height":1,"media_type":"m","path":"p","width":1},"version":1}',
    b'{"annotations":[{"bbox":[0,0,true,1],"id":"a","kind":"box","label":"x"}],"image":{"height":1,"media_type":"m","path":"p","width":1},"version":1}',
    # escaped quotes and nested objects in unknown fields
    b'{"annotations":[{"id":"a\\"b","kind":"tag","label":"x","extra":{"q":1,"q":2}}],"image":{"height":1,"media_type":"m","path":"p","width":1},"version":1}',
]


@pytest.mark.parametrize("data", FAST_DOUBTS)
def test_fast_path_never_accepts_what_the_exact_path_would_not(data):
    fast, exact = _both(data)
    if fast is None:
        return  # the exact path decides
    assert _same(fast, exact), (fast, exact)


def test_fast_path_odd_types_do_not_crash():
    base = b'{"annotations":[%s,%s],"image":{"height":9,"media_type":"m","path":"p","width":9},"version":1}'
    ok = b'{"bbox":[0,0,1,1],"id":"a","kind":"box","label":"x"}'
    for odd in [b'{"bbox":[0,0,1,1],"id":"b","kind":["box"],"label":"x"}',
                b'{"bbox":[0,0,1,1],"id":["b"],"kind":"box","label":"x"}',
                b'{"bbox":{"x":1},"id":"b","kind":"box","label":"x"}',
                b'{"bbox":[0,0,1,1],"id":"b","kind":"box","label":{"a":1}}',
                b'{"bbox":[0,0,1,1],"id":"","kind":"box","label":"x"}',
                b'{"bbox":[0,0,1,1],"id":"b","kind":"box","label":"x","source_id":7}',
                b'{"bbox":[0,0,1,1],"id":"b","kind":"box","label":"x","score":true}']:
        fast, exact = _both(base % (ok, odd))
        assert fast is None or _same(fast, exact)
        assert isinstance(exact, annot_reader.DocumentError)


def test_loads_fast_matches_loads_on_odd_text():
    from annot_reader._json import loads_fast
    for data in [b'{"a":1}  \n', b'{"a":1} x', b'{"a":[1,2]}\t', b'{"a":"\\u00e9"}', b'{"a":1', b'{}', b'{"a":1}}']:
        try:
            want = loads(data)
        except JSONError:
            want = JSONError
        try:
            got = loads_fast(data)
        except JSONError:
            got = JSONError
        assert got == want, data
