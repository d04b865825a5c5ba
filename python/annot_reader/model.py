"""Typed values of annot's canonical documents, decoded with the same rules as the Swift model
(Sources/AnnotModel: Document.swift, Annotation.swift, Schema.swift; Docs/FORMAT.md).

Numbers keep the type JSON gave them (int or float); annot's canonical writer writes every
integral value below 10^15 as an integer, so coordinates compare equal to Swift's doubles."""
import math
from itertools import chain, compress, islice
from operator import ge, itemgetter, methodcaller

from . import rle as _rle
from ._json import JSONError, key_count_matches, loads, loads_fast

__all__ = [
    "DocumentError", "Schema", "LabelClass", "AttributeDefinition",
    "Annotation", "Box", "Polygon", "Polyline", "Points", "Ellipse", "Mask", "Keypoints", "Tag",
    "decode_document", "decode_manifest", "KINDS", "CURRENT_VERSION",
]

CURRENT_VERSION = 1
KINDS = ("box", "polygon", "polyline", "points", "ellipse", "mask", "keypoints", "tag")


class DocumentError(ValueError):
    """A label document or manifest that does not follow the format.

    `file` names the tree path (labels/x.png.json or annot.json), `place` the JSON path
    (annotations[3].bbox), as annot's own error messages do."""

    def __init__(self, place, message, file=None):
        self.place = place
        self.message = message
        self.file = file
        super().__init__(self._text())

    def _text(self):
        where = self.place
        if self.file:
            where = self.file + (": " + self.place if self.place else "")
        return "%s: %s" % (where, self.message) if where else self.message

    def __str__(self):
        return self._text()


_TYPE_NAMES = {type(None): "null", bool: "boolean", int: "number", float: "number", str: "string",
               list: "array", dict: "object"}


def _type_name(v):
    return _TYPE_NAMES.get(type(v), type(v).__name__)


def _p(place, key):
    return key if not place else place + "." + key


def _is_num(v):
    t = type(v)
    return t is int or t is float


def _as_int(v):
    """Swift's JSONValue.intValue: an integral number below 9e15, else None."""
    t = type(v)
    if t is int:
        return v if abs(v) < 9e15 else None
    if t is float and v.is_integer() and abs(v) < 9e15:
        return int(v)
    return None


def _string(o, key, place):
    if key not in o:
        raise DocumentError(_p(place, key), "missing")
    v = o[key]
    if type(v) is not str:
        raise DocumentError(_p(place, key), "expected a string, found " + _type_name(v))
    return v


def _opt_string(o, key, place):
    v = o.get(key)
    if v is None:
        return None
    if type(v) is not str:
        raise DocumentError(_p(place, key), "expected a string, found " + _type_name(v))
    return v


def _number(o, key, place):
    if key not in o:
        raise DocumentError(_p(place, key), "missing")
    v = o[key]
    if not _is_num(v):
        raise DocumentError(_p(place, key), "expected a number, found " + _type_name(v))
    return v


def _opt_number(o, key, place):
    v = o.get(key)
    if v is None:
        return None
    if not _is_num(v):
        raise DocumentError(_p(place, key), "expected a number, found " + _type_name(v))
    return v


def _int(o, key, place):
    d = _number(o, key, place)
    i = _as_int(d)
    if i is None:
        raise DocumentError(_p(place, key), "expected an integer, found %r" % d)
    return i


def _opt_int(o, key, place):
    d = _opt_number(o, key, place)
    if d is None:
        return None
    i = _as_int(d)
    if i is None:
        raise DocumentError(_p(place, key), "expected an integer, found %r" % d)
    return i


def _numbers(v, place):
    if type(v) is not list:
        raise DocumentError(place, "expected an array of numbers, found " + _type_name(v))
    for i, e in enumerate(v):
        t = type(e)
        if t is not int and t is not float:
            raise DocumentError("%s[%d]" % (place, i), "expected a number, found " + _type_name(e))
    return v


def _attributes(o, key, place):
    v = o.get(key)
    if v is None:
        return {}
    if type(v) is not dict:
        raise DocumentError(_p(place, key), "expected an object, found " + _type_name(v))
    for k, e in v.items():
        t = type(e)
        if t is not bool and t is not int and t is not float and t is not str:
            raise DocumentError("%s.%s" % (_p(place, key), k),
                                "attribute values are booleans, numbers or strings, found " + _type_name(e))
    return v


def _object(v, place):
    if type(v) is not dict:
        raise DocumentError(place, "expected an object, found " + _type_name(v))
    return v


def _bounding(flat):
    """Swift's Box.bounding over a flat [x0, y0, x1, y1, ...] list."""
    if len(flat) < 2:
        return None
    xs = flat[0:len(flat) - len(flat) % 2:2]
    ys = flat[1::2]
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(ys), max(ys)
    return [float(min_x), float(min_y), float(max_x - min_x), float(max_y - min_y)]


def _shoelace(p):
    n = len(p) // 2
    if n < 3:
        return 0.0
    s = 0.0
    for i in range(n):
        j = (i + 1) % n
        s += p[2 * i] * p[2 * j + 1] - p[2 * j] * p[2 * i + 1]
    return abs(s) / 2


# MARK: annotations

class Annotation(dict):
    """One annotation: a read-only view of its canonical JSON object (a dict of the fields annot
    stores, so `dict(a)` and `a["bbox"]` work) with typed properties. Subclasses add the geometry
    of their `kind`; do not mutate it.

    `bbox` is the box the source gave next to a non-box shape ([x, y, w, h], COCO's `bbox`) or
    None; `bounding_box` is the box that encloses the shape (that `bbox` if given, else derived),
    exactly as Swift's `Annotation.boundingBox` and the query index's x/y/w/h."""

    __slots__ = ()
    kind = None
    id = property(itemgetter("id"), doc="stable id, unique in the document")
    label = property(itemgetter("label"), doc="class name (a class of the schema)")
    score = property(methodcaller("get", "score"), doc="confidence of a prediction, or None")
    group = property(methodcaller("get", "group"), doc="integer group, or None")
    z_order = property(methodcaller("get", "z_order"), doc="drawing order, or None")
    source_id = property(methodcaller("get", "source_id"), doc="the id in the source format, or None")

    @property
    def bbox(self):
        return self.get("bbox")

    @property
    def attributes(self):
        """Annotation attributes (booleans, numbers, strings); {} when none."""
        return self.get("attributes") or {}

    @property
    def crowd(self):
        """COCO's iscrowd."""
        return self.get("crowd") is True

    def _geometry_json(self, o):
        pass

    @property
    def bounding_box(self):
        """[x, y, w, h] (a new list), or None for tags."""
        b = self.get("bbox")
        if b is not None:
            return b[:]
        return self._derived_box()

    def _derived_box(self):
        return None

    @property
    def area(self):
        """Pixels² as annot computes it (polygon shoelace, mask pixel count, box w*h, 0 for tags)."""
        b = self.bounding_box
        return b[2] * b[3] if b else 0.0

    def box_xyxy(self):
        """bounding_box as [x0, y0, x1, y1], or None for tags."""
        b = self.bounding_box
        return None if b is None else [b[0], b[1], b[0] + b[2], b[1] + b[3]]

    def to_json(self):
        """The annotation as annot writes it (canonical field set, Python values)."""
        o = {"id": self.id, "label": self.label, "kind": self.kind}
        self._geometry_json(o)
        if self.kind != "box" and self.bbox is not None:
            o["bbox"] = list(self.bbox)
        if self.attributes:
            o["attributes"] = dict(self.attributes)
        if self.score is not None:
            o["score"] = self.score
        if self.group is not None:
            o["group"] = self.group
        if self.z_order is not None:
            o["z_order"] = self.z_order
        if self.crowd:
            o["crowd"] = True
        if self.source_id is not None:
            o["source_id"] = self.source_id
        return o

    def __eq__(self, other):
        return type(self) is type(other) and self.to_json() == other.to_json()

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((self.kind, self.id, self.label))

    def __repr__(self):
        return "%s(id=%r, label=%r%s)" % (type(self).__name__, self.id, self.label, self._repr_geometry())

    def _repr_geometry(self):
        return ""


class Box(Annotation):
    """An axis-aligned box [x, y, w, h] in pixels, optionally rotated (degrees clockwise about its centre)."""
    __slots__ = ()
    kind = "box"
    bbox = None  # the box is the geometry (xywh), not a source box
    x = property(lambda s: s["bbox"][0])
    y = property(lambda s: s["bbox"][1])
    w = property(lambda s: s["bbox"][2])
    h = property(lambda s: s["bbox"][3])

    @property
    def xywh(self):
        return list(self["bbox"])

    @property
    def rotation(self):
        return self.get("rotation") or 0

    @property
    def bounding_box(self):
        return self["bbox"][:]

    @property
    def area(self):
        b = self["bbox"]
        return float(b[2] * b[3])

    def _geometry_json(self, o):
        o["bbox"] = list(self["bbox"])
        if self.rotation != 0:
            o["rotation"] = self.rotation

    def _repr_geometry(self):
        return ", xywh=%r" % (self.xywh,)


class Polygon(Annotation):
    """One or more parts, each a flat [x0, y0, x1, y1, ...] list (COCO's layout)."""
    __slots__ = ()
    kind = "polygon"
    parts = property(itemgetter("polygon"))

    def _derived_box(self):
        return _bounding([v for p in self.parts for v in p])

    @property
    def area(self):
        a = 0
        for p in self.parts:
            a = a + _shoelace(p)
        return float(a)

    def _geometry_json(self, o):
        o["polygon"] = [list(p) for p in self.parts]


class Polyline(Annotation):
    """An open line, flat [x0, y0, ...]."""
    __slots__ = ()
    kind = "polyline"
    points = property(itemgetter("polyline"))

    def _derived_box(self):
        return _bounding(self.points)

    def _geometry_json(self, o):
        o["polyline"] = list(self.points)


class Points(Annotation):
    """Free points, flat [x0, y0, ...]."""
    __slots__ = ()
    kind = "points"
    points = property(itemgetter("points"))

    def _derived_box(self):
        return _bounding(self.points)

    def _geometry_json(self, o):
        o["points"] = list(self.points)


class Ellipse(Annotation):
    """Centre, radii, rotation in degrees clockwise."""
    __slots__ = ()
    kind = "ellipse"
    cx = property(lambda s: s["ellipse"][0])
    cy = property(lambda s: s["ellipse"][1])
    rx = property(lambda s: s["ellipse"][2])
    ry = property(lambda s: s["ellipse"][3])

    @property
    def rotation(self):
        return self.get("rotation") or 0

    def _derived_box(self):
        return [float(self.cx - self.rx), float(self.cy - self.ry), float(2 * self.rx), float(2 * self.ry)]

    @property
    def area(self):
        return math.pi * self.rx * self.ry

    def _geometry_json(self, o):
        o["ellipse"] = list(self["ellipse"])
        if self.rotation != 0:
            o["rotation"] = self.rotation


class Mask(Annotation):
    """A COCO RLE mask of the image's size. `counts` is the compressed string or a list of runs,
    as stored; `runs()` gives run lengths, `to_numpy()` the (height, width) uint8 array."""
    __slots__ = ()
    kind = "mask"
    height = property(lambda s: s["mask"]["size"][0])
    width = property(lambda s: s["mask"]["size"][1])
    counts = property(lambda s: s["mask"]["counts"])

    def runs(self):
        """Run lengths (column-major, starting with background). Raises ValueError if the
        compressed string is malformed."""
        c = self.counts
        if isinstance(c, str):
            r = _rle.decode_counts(c)
            if r is None:
                raise ValueError("annotation %s: malformed RLE counts" % self.id)
            return r
        return list(c)

    def to_numpy(self):
        """uint8 array (height, width), 1 on the mask: pixel (y, x) is run position x*height + y."""
        return _rle.runs_to_numpy(self.runs(), self.height, self.width)

    def to_coco(self):
        """{"size": [h, w], "counts": ...} as pycocotools' mask API takes it (counts as stored)."""
        return {"size": [self.height, self.width], "counts": self.counts}

    def _runs_or_none(self):
        c = self.counts
        return _rle.decode_counts(c) if isinstance(c, str) else c

    def _derived_box(self):
        r = self._runs_or_none()
        return None if r is None else _rle.bounding_box(r, self.height)

    @property
    def area(self):
        r = self._runs_or_none()
        return 0.0 if r is None else float(_rle.area(r))

    def _geometry_json(self, o):
        c = self.counts
        o["mask"] = {"size": [self.height, self.width], "counts": c if isinstance(c, str) else list(c)}


class Keypoints(Annotation):
    """Flat [x0, y0, v0, ...], v = 0 absent, 1 occluded, 2 visible; names from the class."""
    __slots__ = ()
    kind = "keypoints"
    keypoints = property(itemgetter("keypoints"))

    def triples(self):
        k = self.keypoints
        return [(k[i], k[i + 1], k[i + 2]) for i in range(0, len(k) - 2, 3)]

    def _derived_box(self):
        k = self.keypoints
        flat = []
        i = 0
        while i + 2 < len(k):
            if k[i + 2] > 0:
                flat.append(k[i])
                flat.append(k[i + 1])
            i += 3
        return _bounding(flat)

    def _geometry_json(self, o):
        o["keypoints"] = list(self.keypoints)


class Tag(Annotation):
    """An image-level tag (classification): no geometry."""
    __slots__ = ()
    kind = "tag"

    @property
    def area(self):
        return 0.0


_CLASSES = {c.kind: c for c in (Box, Polygon, Polyline, Points, Ellipse, Mask, Keypoints, Tag)}
_GEOMETRY_KEY = {"box": "bbox", "polygon": "polygon", "polyline": "polyline", "points": "points",
                 "ellipse": "ellipse", "mask": "mask", "keypoints": "keypoints", "tag": None}

_NUMS = frozenset((int, float))
_SCALARS = frozenset((bool, int, float, str))
# The fast paths take a number as json gave it only inside (_LO, _HI): there every int literal
# has at most 15 characters, the ones the exact path (like Swift) keeps as integers; a longer one
# it reads as a double, so anything outside takes the exact path (a float there merely does too).
_LO, _HI = -1e14, 1e15
_INTS = frozenset((int,))


def _plain(v):
    """A number json's fast path gave as Swift would have it: finite, and an int of at most 15 characters."""
    return _LO < v < _HI if type(v) is int else v - v == 0


def _plain_list(lst):
    """Numbers all within (_LO, _HI): finite, and ints as the exact path has them (two C-level
    passes)."""
    return not lst or (_LO < min(lst) and max(lst) < _HI)


def _numlist(v):
    return type(v) is list and _NUMS.issuperset(map(type, v)) and _plain_list(v)


def _plain_attrs(attrs):
    t = set(map(type, attrs.values()))
    if not _SCALARS.issuperset(t):
        return False
    if int in t or float in t:
        for v in attrs.values():
            if type(v) is int or type(v) is float:
                if not _plain(v):
                    return False
    return True


# The fast path. An annotation's "plan" depends on its keys and the JSON types of its values
# (canonical documents have a handful of these shapes); it is built once per shape and leaves
# only value checks for each annotation.
_PLANS = {}
_OPT_TYPES = {"score": _NUMS, "rotation": _NUMS, "group": _INTS, "z_order": _INTS,
              "source_id": frozenset((str,)), "attributes": frozenset((dict,)), "bbox": frozenset((list,))}


def _box_ok(o):
    b = o["bbox"]
    return len(b) == 4


def _polygon_ok(o):
    for part in o["polygon"]:
        if not _numlist(part):
            return False
    return True


def _list_ok(key):
    return lambda o: _numlist(o[key])


def _ellipse_ok(o):
    e = o["ellipse"]
    return len(e) == 4 and _numlist(e)


def _keypoints_ok(o):
    k = o["keypoints"]
    return len(k) % 3 == 0 and _numlist(k)


def _mask_ok(o):
    m = o["mask"]
    size, counts = m.get("size"), m.get("counts")
    if not _numlist(size) or len(size) != 2 or type(size[0]) is not int or type(size[1]) is not int \
            or size[0] < 0 or size[1] < 0:
        return False
    if type(counts) is list:
        return _INTS.issuperset(map(type, counts)) and (not counts or (min(counts) >= 0 and max(counts) < _HI))
    return type(counts) is str


_GEOMETRY_OK = {"box": _box_ok, "polygon": _polygon_ok, "polyline": _list_ok("polyline"),
                "points": _list_ok("points"), "ellipse": _ellipse_ok, "mask": _mask_ok,
                "keypoints": _keypoints_ok, "tag": lambda o: True}
_GEOMETRY_TYPE = {"box": list, "polygon": list, "polyline": list, "points": list, "ellipse": list,
                  "mask": dict, "keypoints": list}


def _make_plan(keys, types):
    t = dict(zip(keys, types))
    if t.get("kind") is not str or t.get("id") is not str or t.get("label") is not str:
        return False
    for k, allowed in _OPT_TYPES.items():
        if k in t and t[k] not in allowed:
            return False  # null or another type: the exact path decides
    kinds = {}
    for kind, gkey in _GEOMETRY_KEY.items():
        if gkey is None or (gkey in t and t[gkey] is _GEOMETRY_TYPE[kind]):
            kinds[kind] = (_CLASSES[kind], _GEOMETRY_OK[kind])
    has_bbox, has_attrs = "bbox" in t, "attributes" in t
    nums = [k for k in ("score", "rotation", "group", "z_order") if k in t]

    def plan(o):
        got = kinds.get(o["kind"])
        if got is None or not o["id"]:
            return None
        if has_bbox:
            b = o["bbox"]
            if len(b) != 4 or not _NUMS.issuperset(map(type, b)) or not _plain_list(b):
                return None
        if has_attrs and not _plain_attrs(o["attributes"]):
            return None
        for k in nums:
            if not _plain(o[k]):
                return None
        if not got[1](o):
            return None
        return got[0](o)
    return plan


def _fast_annotation(o):
    """The common case, with inline checks; None when anything is unusual, so that the exact
    (slower) path decides and names the error. Returns only what the exact path would return."""
    if type(o) is not dict:
        return None
    sig = (tuple(o), tuple(map(type, o.values())))
    plan = _PLANS.get(sig)
    if plan is None:
        plan = _make_plan(*sig)
        if len(_PLANS) < 4096:
            _PLANS[sig] = plan
    return plan(o) if plan else None


_BATCH = {}


def _batch_plan(keys):
    """For documents whose annotations all have the same keys: the checks as column operations
    that run in C (map, chain, set, min/max) and construction by map(). The column types are
    checked per document; the plan only fixes which columns there are."""
    if "kind" not in keys or "id" not in keys or "label" not in keys:
        return False
    get = {k: itemgetter(k) for k in keys}
    opt = [(get[k], allowed) for k, allowed in _OPT_TYPES.items() if k in keys and k not in ("bbox", "attributes")]
    nums = [get[k] for k in ("score", "rotation", "group", "z_order") if k in keys]
    has_bbox, has_attrs = "bbox" in keys, "attributes" in keys
    kinds = {kind for kind, gkey in _GEOMETRY_KEY.items() if gkey is None or gkey in keys}
    kinds.discard("mask")  # masks take the per-annotation path
    nkeys_each = len(keys)

    def plan(items):
        ks = set(map(get["kind"], items))  # TypeError for an unhashable kind: caught by the caller
        if len(ks) != 1:
            return None
        kind = ks.pop()
        if type(kind) is not str or kind not in kinds:
            return None
        ids = list(map(get["id"], items))
        if not _STRS.issuperset(map(type, ids)) or not all(ids) \
                or not _STRS.issuperset(map(type, map(get["label"], items))):
            return None
        for g, allowed in opt:
            if not allowed.issuperset(map(type, map(g, items))):
                return None
        nkeys = nkeys_each * len(items)
        if has_bbox:
            bbs = list(map(get["bbox"], items))
            if not _LISTS.issuperset(map(type, bbs)) or set(map(len, bbs)) != {4}:
                return None
            flat = list(chain.from_iterable(bbs))
            if not _NUMS.issuperset(map(type, flat)) or not _plain_list(flat):
                return None
        if has_attrs:
            ats = list(map(get["attributes"], items))
            if not _DICTS.issuperset(map(type, ats)):
                return None
            vals = list(chain.from_iterable(map(dict.values, ats)))
            ts = set(map(type, vals))
            if not _SCALARS.issuperset(ts):
                return None
            if int in ts or float in ts:
                if not _plain_list([v for v in vals if type(v) is int or type(v) is float]):
                    return None
            alens = list(map(len, ats))
            nkeys += sum(alens)
        else:
            alens = None
        for g in nums:
            if not _plain_list(list(map(g, items))):
                return None
        if kind in ("polygon", "polyline", "points", "keypoints", "ellipse"):
            col = list(map(get[_GEOMETRY_KEY[kind]], items))
            if not _LISTS.issuperset(map(type, col)):
                return None
            if kind == "polygon":
                col = list(chain.from_iterable(col))
                if not _LISTS.issuperset(map(type, col)):
                    return None
            elif kind == "keypoints":
                if any(map((3).__rmod__, map(len, col))):
                    return None
            elif kind == "ellipse":
                if set(map(len, col)) != {4}:
                    return None
            flat = list(chain.from_iterable(col))
            if not _NUMS.issuperset(map(type, flat)) or not _plain_list(flat):
                return None
        return list(map(_CLASSES[kind], items)), nkeys, ids, alens
    return plan


_LISTS = frozenset((list,))
_STRS = frozenset((str,))


def _fast_annotations(items):
    """(annotations, number of keys in their objects) by the batch plan when every annotation
    has the same shape, else annotation by annotation; None if any needs the exact path."""
    if items and _DICTS.issuperset(map(type, items)):
        shapes = set(map(tuple, items))
        if len(shapes) == 1:
            keys = shapes.pop()
            plan = _BATCH.get(keys)
            if plan is None:
                plan = _batch_plan(keys)
                if len(_BATCH) < 1024:
                    _BATCH[keys] = plan
            if plan:
                try:
                    got = plan(items)
                except TypeError:  # an unhashable or incomparable value: annotation by annotation
                    got = None
                if got is not None:
                    return got[0], got[1]
    anns = []
    append = anns.append
    nkeys = 0
    for o in items:
        a = _fast_annotation(o)
        if a is None:
            return None
        nkeys += len(o)
        if "attributes" in o:
            nkeys += len(o["attributes"])
        if "mask" in o and type(o["mask"]) is dict:
            nkeys += len(o["mask"])
        append(a)
    return anns, nkeys


_DICTS = frozenset((dict,))
_GET_ID = itemgetter("id")


def _decode_annotation(o, place):
    """The exact path (Swift's Annotation.decode step by step): returns the annotation over a
    normalised canonical dict."""
    o = _object(o, place)
    kind = _string(o, "kind", place)
    bbox = o.get("bbox")
    if bbox is not None:
        _numbers(bbox, _p(place, "bbox"))
        if len(bbox) != 4:
            raise DocumentError(_p(place, "bbox"), "expected 4 numbers [x, y, w, h], found %d" % len(bbox))
    rotation = _opt_number(o, "rotation", place)
    if rotation is None:
        rotation = 0
    d = {}
    if kind == "box":
        if bbox is None:
            raise DocumentError(_p(place, "bbox"), "missing")
        d["bbox"] = list(bbox)
        if rotation != 0:
            d["rotation"] = rotation
        bbox = None
    elif kind == "polygon":
        parts = o.get("polygon")
        if type(parts) is not list:
            raise DocumentError(_p(place, "polygon"), "missing or not an array")
        pp = _p(place, "polygon")
        for k, part in enumerate(parts):
            _numbers(part, "%s[%d]" % (pp, k))
        d["polygon"] = parts
    elif kind == "polyline" or kind == "points":
        if kind not in o:
            raise DocumentError(_p(place, kind), "missing")
        d[kind] = _numbers(o[kind], _p(place, kind))
    elif kind == "ellipse":
        if "ellipse" not in o:
            raise DocumentError(_p(place, "ellipse"), "missing")
        e = _numbers(o["ellipse"], _p(place, "ellipse"))
        if len(e) != 4:
            raise DocumentError(_p(place, "ellipse"), "expected [cx, cy, rx, ry]")
        d["ellipse"] = e
        if rotation != 0:
            d["rotation"] = rotation
    elif kind == "mask":
        mp = _p(place, "mask")
        m = _object(o.get("mask"), mp)
        if "size" not in m:
            raise DocumentError(_p(mp, "size"), "missing")
        size = _numbers(m["size"], _p(mp, "size"))
        h = _as_int(size[0]) if len(size) == 2 else None
        w = _as_int(size[1]) if len(size) == 2 else None
        if h is None or w is None or h < 0 or w < 0:
            raise DocumentError(_p(mp, "size"), "expected [height, width]")
        counts = m.get("counts")
        if type(counts) is str:
            pass
        elif type(counts) is list:
            cp = _p(mp, "counts")
            _numbers(counts, cp)
            ints = []
            for k, v in enumerate(counts):
                i = _as_int(v)
                if i is None or i < 0:
                    raise DocumentError("%s[%d]" % (cp, k), "expected a non-negative integer")
                ints.append(i)
            counts = ints
        else:
            raise DocumentError(_p(mp, "counts"), "expected a string or an array of run lengths")
        d["mask"] = {"size": [h, w], "counts": counts}
    elif kind == "keypoints":
        if "keypoints" not in o:
            raise DocumentError(_p(place, "keypoints"), "missing")
        k = _numbers(o["keypoints"], _p(place, "keypoints"))
        if len(k) % 3 != 0:
            raise DocumentError(_p(place, "keypoints"), "expected triples [x, y, visibility]")
        d["keypoints"] = k
    elif kind == "tag":
        pass
    else:
        raise DocumentError(_p(place, "kind"), 'unknown kind "%s"; known: %s' % (kind, ", ".join(KINDS)))
    ident = _string(o, "id", place)
    if not ident:
        raise DocumentError(_p(place, "id"), "empty id")
    d["id"] = ident
    d["label"] = _string(o, "label", place)
    d["kind"] = kind
    if bbox is not None:
        d["bbox"] = bbox
    attrs = _attributes(o, "attributes", place)
    if attrs:
        d["attributes"] = attrs
    for key, value in (("score", _opt_number(o, "score", place)), ("group", _opt_int(o, "group", place)),
                       ("z_order", _opt_int(o, "z_order", place))):
        if value is not None:
            d[key] = value
    if o.get("crowd") is True:
        d["crowd"] = True
    sid = _opt_string(o, "source_id", place)
    if sid is not None:
        d["source_id"] = sid
    return _CLASSES[kind](d)


def _check_duplicate_ids(anns):
    if len({a.id for a in anns}) != len(anns):
        seen = set()
        for i, a in enumerate(anns):
            if a.id in seen:
                raise DocumentError("annotations[%d].id" % i, 'duplicate annotation id "%s"' % a.id)
            seen.add(a.id)


def _utf8_key(a):
    return a.id


def decode_document(data, file=None):
    """Canonical document bytes -> (image dict, annotations sorted by id).

    The image dict has path, width, height, media_type, source_id, split, attributes.
    Raises DocumentError naming `file` and the JSON path, with Swift's messages."""
    try:
        value = loads_fast(data)
        got = _fast_document(value, data)
        if got is not None:
            return got
        value = loads(data)  # the exact path decides, and names any error as Swift would
    except JSONError as e:
        raise DocumentError("", "invalid JSON at %s" % e, file) from None
    try:
        return _decode_document_value(value)
    except DocumentError as e:
        e.file = file
        raise


def _fast_image(r):
    """The document level of the fast path: (image dict, annotation items, keys counted so far)
    for a well-formed document from json's fast path, else None."""
    if type(r) is not dict:
        return None
    im, items, version = r.get("image"), r.get("annotations"), r.get("version")
    if type(im) is not dict or type(items) is not list or version != 1 or type(version) is not int:
        return None
    g = im.get
    path, w, h, mt, sid, split, iattrs = (g("path"), g("width"), g("height"), g("media_type"),
                                          g("source_id"), g("split"), g("attributes"))
    if (type(path) is not str or type(w) is not int or type(h) is not int or type(mt) is not str
            or not (_LO < w < _HI and _LO < h < _HI)
            or (sid is not None and type(sid) is not str) or (split is not None and type(split) is not str)):
        return None
    nkeys = len(r) + len(im)
    if iattrs is None:
        iattrs = {}
    elif type(iattrs) is not dict or not _SCALARS.issuperset(map(type, iattrs.values())) or not _plain_attrs(iattrs):
        return None
    else:
        nkeys += len(iattrs)
    return ({"path": path, "width": w, "height": h, "media_type": mt, "source_id": sid, "split": split,
             "attributes": iattrs}, items, nkeys)


def _fast_document(r, data):
    """The common case of a well-formed document from json's fast path, with inline checks;
    None when anything is unusual (then the exact path re-reads it). Returns only what the exact
    path would return: duplicate keys are disproved by counting keys (key_count_matches), and every
    number the format defines is checked finite and, if an int, below 2^53."""
    top = _fast_image(r)
    if top is None:
        return None
    image, items, nkeys = top
    got = _fast_annotations(items)
    if got is None:
        return None
    anns, n = got
    nkeys += n
    if not key_count_matches(data, nkeys):
        return None
    ids = list(map(_GET_ID, anns))
    if len(set(ids)) != len(ids):
        return None
    if ids != sorted(ids):
        anns.sort(key=_utf8_key)
    return image, anns


# MARK: documents annot has already decoded

# Annotation keys the trusted path takes as they are, by kind (any other key: the checked path).
_COMMON_KEYS = frozenset(("id", "label", "kind", "bbox", "attributes", "score", "group", "z_order", "crowd",
                          "source_id"))
_TRUSTED_KEYS = {kind: _COMMON_KEYS | {g for g in (_GEOMETRY_KEY[kind],) if g}
                 | ({"rotation"} if kind in ("box", "ellipse") else set()) for kind in KINDS}
_DIGITS = bytes(48 if 48 <= i <= 57 else 32 for i in range(256))  # digits -> '0', the rest -> ' '
_LONG_RUN = b"0" * 15
_INT_OR_ABSENT = frozenset((int, type(None)))
_GET_KIND = itemgetter("kind")
_GET_INT_FIELDS = (methodcaller("get", "group"), methodcaller("get", "z_order"))


def trusted_document(data):
    """decode_document's result for a document annot itself has decoded without error (its
    blob is in annot's query index, which only holds documents LabelDocument.decode accepted),
    or None when the document has anything the checked path would normalise.

    What annot's decoder already guarantees is not checked again: no duplicate keys, known
    kinds, every annotation's id, label and kind, geometry and field types, finite numbers,
    non-empty and unique ids. What remains is what the exact path would change in a valid but
    non-canonical document: a null field, an integer field written 4.0, an integer of 15+
    digits (Swift reads it as a double), a key annot does not write, unsorted ids; any of these
    (or a mask, whose counts Swift normalises) returns None and the checked path decides."""
    try:
        top = _fast_image(loads_fast(data))
    except JSONError:
        return None
    if top is None or b"null" in data or _LONG_RUN in data.translate(_DIGITS):
        return None
    image, items, _ = top
    if not items:
        return image, []
    if not _DICTS.issuperset(map(type, items)):
        return None
    keys = set(chain.from_iterable(items))
    kinds = set(map(_GET_KIND, items))
    if len(kinds) == 1:
        kind = kinds.pop()
        allowed = _TRUSTED_KEYS.get(kind)
        if allowed is None or kind == "mask" or not allowed.issuperset(keys):
            return None
        anns = list(map(_CLASSES[kind], items))
    else:
        anns = []
        for o in items:
            kind = o["kind"]
            allowed = _TRUSTED_KEYS.get(kind)
            if allowed is None or kind == "mask" or not allowed.issuperset(o):
                return None
            anns.append(_CLASSES[kind](o))
    # group and z_order: Swift reads 4.0 as the integer 4, so only ints are taken as they are.
    if "group" in keys or "z_order" in keys:
        for g in _GET_INT_FIELDS:
            if not _INT_OR_ABSENT.issuperset(map(type, map(g, items))):
                return None
    ids = list(map(_GET_ID, items))
    if ids != sorted(ids):
        return None
    return image, anns


def _decode_document_value(value):
    """The exact path (Swift's LabelDocument.decode step by step), on a value from `loads`."""
    r = _object(value, "")
    version = _int(r, "version", "")
    if version < 1:
        raise DocumentError("version", "unsupported version %d" % version)
    if version > CURRENT_VERSION:
        raise DocumentError("version", "document version %d is newer than this annot reads (%d); upgrade annot"
                            % (version, CURRENT_VERSION))
    im = _object(r.get("image"), "image")
    image = {
        "path": _string(im, "path", "image"),
        "width": _int(im, "width", "image"),
        "height": _int(im, "height", "image"),
        "media_type": _string(im, "media_type", "image"),
        "source_id": _opt_string(im, "source_id", "image"),
        "split": _opt_string(im, "split", "image"),
        "attributes": _attributes(im, "attributes", "image"),
    }
    items = r.get("annotations")
    if type(items) is not list:
        raise DocumentError("annotations", "missing or not an array")
    anns = []
    for i, item in enumerate(items):
        try:
            a = _decode_annotation(item, "annotations[%d]" % i)
        except DocumentError:
            _check_duplicate_ids(anns)  # Swift would have stopped at an earlier duplicate
            raise
        anns.append(a)
    _check_duplicate_ids(anns)
    # Canonical documents are already sorted by id (UTF-8 byte order = code point order).
    if any(anns[i].id > anns[i + 1].id for i in range(len(anns) - 1)):
        anns.sort(key=_utf8_key)
    return image, anns


# MARK: schema

class AttributeDefinition:
    """An attribute definition: name, type (bool, number, string, select), allowed values, default."""
    __slots__ = ("name", "type", "values", "default")

    def __init__(self, name, type, values=(), default=None):
        self.name, self.type, self.values, self.default = name, type, list(values), default

    def to_json(self):
        o = {"name": self.name, "type": self.type}
        if self.values:
            o["values"] = list(self.values)
        if self.default is not None:
            o["default"] = self.default
        return o

    def __eq__(self, other):
        return isinstance(other, AttributeDefinition) and self.to_json() == other.to_json()

    def __repr__(self):
        return "AttributeDefinition(%r, %r)" % (self.name, self.type)


class LabelClass:
    """A class of the schema: stable integer id (COCO category id), unique name, `#rrggbb` colour,
    supercategory, keypoint names and skeleton (1-based index pairs, as COCO), attributes."""
    __slots__ = ("id", "name", "color", "supercategory", "keypoints", "skeleton", "attributes")

    def __init__(self, id, name, color=None, supercategory=None, keypoints=(), skeleton=(), attributes=()):
        self.id, self.name, self.color, self.supercategory = id, name, color, supercategory
        self.keypoints, self.skeleton, self.attributes = list(keypoints), [list(e) for e in skeleton], list(attributes)

    @property
    def rgb(self):
        """The colour as an (r, g, b) tuple of 0-255 ints, or None."""
        c = self.color
        if not c or len(c) != 7 or c[0] != "#":
            return None
        try:
            return (int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16))
        except ValueError:
            return None

    def to_json(self):
        o = {"id": self.id, "name": self.name}
        if self.color is not None:
            o["color"] = self.color
        if self.supercategory is not None:
            o["supercategory"] = self.supercategory
        if self.keypoints:
            o["keypoints"] = list(self.keypoints)
        if self.skeleton:
            o["skeleton"] = [list(e) for e in self.skeleton]
        if self.attributes:
            o["attributes"] = [a.to_json() for a in self.attributes]
        return o

    def __eq__(self, other):
        return isinstance(other, LabelClass) and self.to_json() == other.to_json()

    def __repr__(self):
        return "LabelClass(id=%r, name=%r)" % (self.id, self.name)


class Schema:
    """The label schema of a revision (annot.json): classes sorted by id, shared attributes.

    `schema["car"]` or `schema[3]` -> LabelClass; `schema.id_of("car")` -> 3;
    `schema.names` -> names in id order."""

    def __init__(self, classes=(), attributes=()):
        self.classes = sorted(classes, key=lambda c: c.id)
        self.attributes = list(attributes)
        self._by_name = {c.name: c for c in self.classes}
        self._by_id = {c.id: c for c in self.classes}

    def __getitem__(self, key):
        if isinstance(key, bool):
            raise KeyError(key)
        if isinstance(key, int):
            return self._by_id[key]
        return self._by_name[key]

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key):
        return key in (self._by_id if isinstance(key, int) and not isinstance(key, bool) else self._by_name)

    def __iter__(self):
        return iter(self.classes)

    def __len__(self):
        return len(self.classes)

    def id_of(self, name):
        """Class id of a label; KeyError naming the label if the schema lacks it."""
        c = self._by_name.get(name)
        if c is None:
            raise KeyError('label "%s" is not a class of the schema' % name)
        return c.id

    @property
    def names(self):
        return [c.name for c in self.classes]

    def to_json(self):
        return {"format": "annot", "version": MANIFEST_VERSION, "classes": [c.to_json() for c in self.classes],
                "attributes": [a.to_json() for a in self.attributes]}

    def __repr__(self):
        return "Schema(%d classes)" % len(self.classes)


def _decode_attr_def(v, place):
    r = _object(v, place)
    t = _string(r, "type", place)
    if t not in ("bool", "number", "string", "select"):
        raise DocumentError(_p(place, "type"), 'unknown attribute type "%s"' % t)
    values = []
    if type(r.get("values")) is list:
        values = [e for e in r["values"] if type(e) is str]
    d = r.get("default")
    if type(d) not in (bool, int, float, str):
        d = None
    return AttributeDefinition(_string(r, "name", place), t, values, d)


# DatasetManifest.currentVersion: 2 says trees may hold large folders as buckets (FORMAT.md).
MANIFEST_VERSION = 2


def decode_manifest(data, file="annot.json"):
    """annot.json bytes -> Schema, with Swift's DatasetManifest.decode rules."""
    try:
        value = loads(data)
    except JSONError as e:
        raise DocumentError("", "invalid JSON at %s" % e, file) from None
    try:
        r = _object(value, "")
        version = _int(r, "version", "")
        if version > MANIFEST_VERSION:
            raise DocumentError("version", "manifest version %d is newer than this annot reads (%d); upgrade annot"
                                % (version, MANIFEST_VERSION))
        items = r.get("classes")
        if type(items) is not list:
            raise DocumentError("classes", "missing or not an array")
        classes, ids, names = [], set(), set()
        for i, item in enumerate(items):
            place = "classes[%d]" % i
            cr = _object(item, place)
            c = LabelClass(_int(cr, "id", place), _string(cr, "name", place), _opt_string(cr, "color", place),
                           _opt_string(cr, "supercategory", place))
            if type(cr.get("keypoints")) is list:
                c.keypoints = [k for k in cr["keypoints"] if type(k) is str]
            if type(cr.get("skeleton")) is list:
                c.skeleton = [[j for j in (_as_int(x) for x in e) if j is not None]
                              for e in cr["skeleton"] if type(e) is list]
            if type(cr.get("attributes")) is list:
                c.attributes = [_decode_attr_def(e, "%s.attributes[%d]" % (place, k))
                                for k, e in enumerate(cr["attributes"])]
            if c.id in ids:
                raise DocumentError(place + ".id", "duplicate class id %d" % c.id)
            if c.name in names:
                raise DocumentError(place + ".name", 'duplicate class name "%s"' % c.name)
            ids.add(c.id)
            names.add(c.name)
            classes.append(c)
        attrs = []
        if type(r.get("attributes")) is list:
            attrs = [_decode_attr_def(e, "attributes[%d]" % k) for k, e in enumerate(r["attributes"])]
        return Schema(classes, attrs)
    except DocumentError as e:
        e.file = file
        raise
