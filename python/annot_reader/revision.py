"""Opening a revision of an annot repository and reading its examples."""
import bisect
import hashlib
import io
import json
import os
import pathlib
import re
import shutil
import sqlite3
import subprocess
import threading
from operator import itemgetter

import pygit2

from .model import DocumentError, Schema, decode_document, decode_manifest, trusted_document

__all__ = ["open", "Revision", "Example", "AnnotError", "ImageNotAvailable"]

_GITLINK = 0o160000
_CHUNK = 256  # documents read and checked together when iterating
_WHOLE_INDEX_SLACK = 50000  # an index of up to 2 * len(view) + this many documents is read whole


class AnnotError(Exception):
    """Opening or reading a repository failed (not a repository, unknown revision, query error)."""


class ImageNotAvailable(AnnotError, LookupError):
    """An image's bytes are not in this repository (a labels-only clone); the message names the
    image and says how to fetch it."""

    def __init__(self, path, blob, root, detail="", commit=None):
        self.path, self.blob, self.root, self.commit = path, blob, root, commit
        how = "'annot fetch --images%s' in %s (or Revision.fetch_images())" % (" " + commit if commit else "", root)
        msg = "image not fetched: images/%s (blob %s) is not in this labels-only clone; run %s" % (path, blob, how)
        if detail is None:
            msg += " (no annot command to ask with 'annot cat-image': set ANNOT or put annot on PATH)"
        elif detail and "images not fetched" not in detail:
            msg += " (annot cat-image: %s)" % detail
        super().__init__(msg)


def _find_gitdir(path):
    """(root, git dir) for a dataset directory, its .annot, or anything inside it (walks up like annot)."""
    p = os.path.abspath(path)
    if os.path.isfile(os.path.join(p, "HEAD")) and os.path.isdir(os.path.join(p, "objects")):
        root = os.path.dirname(p) if os.path.basename(p) == ".annot" else p
        return root, p
    d = p
    while True:
        cand = os.path.join(d, ".annot")
        if os.path.isdir(cand) and os.path.isfile(os.path.join(cand, "HEAD")):
            return d, cand
        parent = os.path.dirname(d)
        if parent == d:
            raise AnnotError("not an annot repository (or any parent up to /): %s" % path)
        d = parent


def _annot_command(explicit=None):
    cmd = explicit or os.environ.get("ANNOT") or shutil.which("annot")
    return cmd


def open(path=".", rev="HEAD", annot=None):
    """Opens revision `rev` (a branch, tag, commit id, HEAD~2 ...) of the annot repository at
    `path` (the dataset directory holding .annot, the .annot directory, or anything inside).

    `annot` is the annot command used for query filters and the cat-image fallback (default:
    $ANNOT, else `annot` on PATH)."""
    root, gitdir = _find_gitdir(path)
    try:
        repo = pygit2.Repository(gitdir)
    except (pygit2.GitError, KeyError) as e:
        raise AnnotError("cannot open %s: %s" % (gitdir, e)) from None
    try:
        obj = repo.revparse_single(rev)
        commit = obj.peel(pygit2.Commit)
    except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError) as e:
        raise AnnotError("unknown revision '%s' in %s: %s" % (rev, root, e)) from None
    tree = commit.tree
    schema = Schema()
    if "annot.json" in tree:
        entry = tree["annot.json"]
        schema = decode_manifest(_read_blob(repo, entry.id, "annot.json"), "annot.json")
    paths, ids = [], bytearray()
    if "labels" in tree and tree["labels"].type_str == "tree":
        listing = []
        _walk_labels(tree["labels"], "", listing)
        listing.sort()
        for p, raw in listing:
            paths.append(p)
            ids += raw
    r = Revision(root, gitdir, str(commit.id), rev, schema, paths, bytes(ids), annot=annot)
    r._local.repo = repo
    r._local.pid = os.getpid()
    r._local.dirs = {}
    return r


_INDEX_APPLICATION_ID = 0x616E6E74  # 'annt': IndexSchema.applicationID
_INDEX_VERSIONS = (1, 2)  # IndexSchema versions whose docs(id, blob) this reader knows


def _open_index(path):
    """A read-only connection to annot's query index, or None (absent, not annot's, another
    schema version, locked or damaged)."""
    if not os.path.isfile(path):
        return None
    try:
        db = sqlite3.connect(pathlib.Path(path).as_uri() + "?mode=ro", uri=True)
        if (db.execute("PRAGMA application_id").fetchone()[0] != _INDEX_APPLICATION_ID
                or db.execute("PRAGMA user_version").fetchone()[0] not in _INDEX_VERSIONS):
            db.close()
            return None
        return db
    except sqlite3.Error:
        return None


_BUCKET = re.compile(r"@[0-9a-f]\Z")
_FANOUT_DEPTH = 40  # FanOut.maxDepth: the 40 hex digits of a SHA-1


def _is_split(tree):
    """Whether a tree is a fan-out node of a large folder: one to sixteen subtrees named
    @<hex digit> (Docs/FORMAT.md, "Large folders")."""
    n = len(tree)
    if n < 1 or n > 16:
        return False
    return all(e.type_str == "tree" and _BUCKET.match(e.name) for e in tree)


def _find(repo, tree, name):
    """Entry `name` of the folder `tree`, going down a large folder's buckets by the hex digits
    of the SHA-1 of the name; KeyError when there is none."""
    digits, depth = None, 0
    while depth < _FANOUT_DEPTH and _is_split(tree):
        if digits is None:
            digits = hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()
        bucket = "@" + digits[depth]
        if bucket not in tree:
            raise KeyError(name)
        tree = repo[tree[bucket].id]
        depth += 1
    return tree[name]


def _walk_labels(tree, prefix, out, depth=0):
    if depth < _FANOUT_DEPTH and _is_split(tree):
        for b in tree:
            _walk_labels(b, prefix, out, depth + 1)
        return
    for e in tree:
        name = e.name
        t = e.type_str
        if t == "tree":
            _walk_labels(e, prefix + name + "/", out)
        elif t == "blob" and name.endswith(".json"):
            out.append((prefix + name[:-5], e.id.raw))


def _read_blob(repo, oid, what):
    try:
        return repo[oid].data
    except KeyError:
        raise AnnotError("%s: blob %s is missing from the repository" % (what, oid)) from None


class Revision:
    """One commit of an annot repository: its examples in dataset-path order and its schema.

    `len(rev)`, `for ex in rev`, `rev[i]`, `rev["train/0001.jpg"]`, `"train/0001.jpg" in rev`.
    Views made by `filter()` share the commit and schema. Picklable and fork-safe: the pygit2
    handle is per process and thread, reopened on first use after a fork or unpickling."""

    def __init__(self, root, gitdir, commit, rev, schema, paths, ids, keep=None, annot=None):
        self.root = root
        self.gitdir = gitdir
        self.commit = commit
        self.rev = rev
        self.schema = schema
        self._paths = paths
        self._ids = ids
        self._keep = keep  # path -> frozenset of annotation ids, when a query kept only matches
        self._annot = annot
        self._local = threading.local()

    # pickling (DataLoader workers with spawn, multiprocessing): drop the handles.
    def __getstate__(self):
        d = self.__dict__.copy()
        d.pop("_local", None)
        return d

    def __setstate__(self, d):
        self.__dict__.update(d)
        self._local = threading.local()

    @property
    def repo(self):
        """This process's (and thread's) pygit2.Repository, reopened after a fork."""
        loc = self._local
        repo = getattr(loc, "repo", None)
        if repo is None or loc.pid != os.getpid():
            repo = pygit2.Repository(self.gitdir)
            loc.repo = repo
            loc.pid = os.getpid()
            loc.dirs = {}
            loc.__dict__.pop("index", None)  # a connection is not shared across a fork
            loc.__dict__.pop("indexed", None)
        return repo

    def _image_dir(self, d):
        """The pygit2 Tree of images/<d>, cached per process and thread (libgit2 caches only
        small trees, and a flat folder of 100k images is one big tree), or None."""
        self.repo
        loc = self._local
        cache = getattr(loc, "dirs", None)
        if cache is None:
            cache = loc.dirs = {}
        t = cache.get(d, False)
        if t is False:
            try:
                t = self.repo[self.commit].peel(pygit2.Tree)
                for part in ("images/" + d).rstrip("/").split("/"):
                    e = _find(self.repo, t, part)
                    t = self.repo[e.id] if e.type_str == "tree" else None
                    if t is None:
                        break
            except KeyError:
                t = None
            cache[d] = t
        return t

    @property
    def paths(self):
        """Dataset paths in order (a copy)."""
        return list(self._paths)

    def __len__(self):
        return len(self._paths)

    def __repr__(self):
        return "<annot_reader.Revision %s (%s) of %s: %d images>" % (self.commit[:12], self.rev, self.root, len(self))

    def _index_of(self, path):
        i = bisect.bisect_left(self._paths, path)
        if i < len(self._paths) and self._paths[i] == path:
            return i
        return -1

    def __contains__(self, path):
        return isinstance(path, str) and self._index_of(path) >= 0

    def __getitem__(self, key):
        if isinstance(key, str):
            i = self._index_of(key)
            if i < 0:
                raise KeyError("no image %s at revision %s" % (key, self.commit[:12]))
            return self._example(i)
        if isinstance(key, slice):
            return [self._example(i) for i in range(*key.indices(len(self)))]
        n = len(self._paths)
        i = key.__index__()
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("index %d out of range for %d images" % (key, n))
        return self._example(i)

    def __iter__(self):
        return self._iter_with(self.repo)

    def _iter_with(self, repo):
        """Examples in order, _CHUNK at a time: the chunk's blobs are read, and looked up in
        annot's query index in one query (see _indexed); a document annot has indexed takes
        model.trusted_document, any other (or any doubt) the checked decode_document."""
        n = len(self._paths)
        for lo in range(0, n, _CHUNK):
            yield from self._chunk(lo, min(n, lo + _CHUNK), repo)

    def _chunk(self, lo, hi, repo):
        ids, read, Oid = self._ids, repo.odb.read, pygit2.Oid
        try:
            datas = [read(Oid(raw=ids[20 * i:20 * i + 20]))[1] for i in range(lo, hi)]
        except KeyError:  # one by one, so that the error names the right document
            for i in range(lo, hi):
                yield self._example(i, repo)
            return
        indexed = self._indexed(ids[20 * lo:20 * hi])
        paths, keep = self._paths, self._keep
        for i, data in zip(range(lo, hi), datas):
            path = paths[i]
            got = trusted_document(data) if indexed and ids[20 * i:20 * i + 20] in indexed else None
            yield self._make_example(i, path, got or decode_document(data, "labels/%s.json" % path))

    # MARK: annot's query index, as a certificate

    def _indexed(self, raw_ids):
        """The blob ids among `raw_ids` (concatenated 20-byte ids) that annot's query index
        (.annot/annot/index.sqlite) holds. annot inserts a document there only after its Swift
        decoder (LabelDocument.decode) accepted it, and a blob id names its content, so a blob in
        the index is a document annot reads without error, whatever revision indexed it: an
        index that is stale for this revision merely certifies fewer documents. The file is
        opened read-only; no index, another schema, or any SQLite error: an empty set (every
        document takes the checked path)."""
        if not raw_ids:
            return ()
        known = self._whole_index()
        if known is not None:
            return known
        db = self._index_db()
        if db is None:
            return ()
        k = len(raw_ids) // 20
        try:
            return set(map(itemgetter(0), db.execute(
                "SELECT blob FROM docs WHERE blob IN (%s)" % ",".join("?" * k),
                [raw_ids[20 * j:20 * j + 20] for j in range(k)])))
        except sqlite3.Error:
            self._local.index = None
            return ()

    def _whole_index(self):
        """Every blob id of the index as a set, read once per process, when the index is not
        much larger than this view (one scan of the blob column's index, ~0.1 s per 100k
        documents); else None (then _indexed asks per chunk)."""
        db = self._index_db()
        if db is None:
            return None
        loc = self._local
        known = getattr(loc, "indexed", None)
        if known is None:
            try:
                top = db.execute("SELECT max(id) FROM docs").fetchone()[0] or 0
                known = loc.indexed = (set(map(itemgetter(0), db.execute("SELECT blob FROM docs")))
                                       if top <= 2 * len(self._paths) + _WHOLE_INDEX_SLACK else False)
            except sqlite3.Error:
                loc.index = None
                return None
        return known if known is not False else None

    def _index_db(self):
        loc = self._local
        self.repo  # resets the per-process state after a fork
        if not hasattr(loc, "index"):
            loc.index = _open_index(os.path.join(self.gitdir, "annot", "index.sqlite"))
        return loc.index

    def document_id(self, i):
        """The git blob id (hex) of example i's label document."""
        return self._ids[20 * i:20 * i + 20].hex()

    def _example(self, i, repo=None):
        repo = repo or self.repo
        path = self._paths[i]
        oid = pygit2.Oid(raw=self._ids[20 * i:20 * i + 20])
        try:
            data = repo.odb.read(oid)[1]
        except KeyError:
            raise AnnotError("labels/%s.json: document blob %s is missing from the repository" % (path, oid)) from None
        known = self._whole_index()
        got = trusted_document(data) if known and oid.raw in known else None
        return self._make_example(i, path, got or decode_document(data, "labels/%s.json" % path))

    def _make_example(self, i, path, doc):
        image, anns = doc
        if image["path"] != path:
            raise DocumentError("image.path", 'is "%s", the tree says "%s"' % (image["path"], path),
                                "labels/%s.json" % path)
        if self._keep is not None:
            keep = self._keep.get(path, ())
            anns = [a for a in anns if a.id in keep]
        return Example(self, i, image, anns)

    # MARK: filtering

    def filter(self, split=None, prefix=None, where=None, annotations="all", predicate=None):
        """A view with the examples that pass every given condition:

        - `split`: a split name (or a list of them): the image's split, or, for an image without
          one, the first path component (as `annot export --split`);
        - `prefix`: a path prefix (or a list of them), e.g. "train/";
        - `where`: an `annot query` filter (Docs/INDEX.md), compiled and run by the annot CLI
          against the query index (`annot query --images --json --rev COMMIT`);
          with `annotations="matching"` each example keeps only the annotations the filter
          matched (`annot query --json`), otherwise all of them;
        - `predicate`: a function Example -> bool.
        """
        if annotations not in ("all", "matching"):
            raise ValueError('annotations must be "all" or "matching"')
        paths, ids, keep = self._paths, self._ids, self._keep
        sel = range(len(paths))
        if prefix is not None:
            prefixes = (prefix,) if isinstance(prefix, str) else tuple(prefix)
            sel = [i for i in sel if paths[i].startswith(prefixes)]
        if where is not None:
            if annotations == "matching":
                rows = self._query(where, images=False)
                matched = {}
                for r in rows:
                    matched.setdefault(r["image"], set()).add(r["id"])
                newkeep = {}
                for p, s in matched.items():
                    old = keep.get(p) if keep is not None else None
                    newkeep[p] = frozenset(s if old is None else s & old)
                keep = newkeep
                wanted = set(p for p, s in keep.items() if s)
            else:
                wanted = set(r["path"] for r in self._query(where, images=True))
            sel = [i for i in sel if paths[i] in wanted]
        if split is not None or predicate is not None:
            splits = None if split is None else ({split} if isinstance(split, str) else set(split))
            view = Revision(self.root, self.gitdir, self.commit, self.rev, self.schema,
                            [paths[i] for i in sel], b"".join(ids[20 * i:20 * i + 20] for i in sel), keep, self._annot)
            out = []
            repo = self.repo
            for k, ex in enumerate(view._iter_with(repo)):
                if splits is not None and (ex.split if ex.split is not None else ex.path.split("/", 1)[0]) not in splits:
                    continue
                if predicate is not None and not predicate(ex):
                    continue
                out.append(k)
            return Revision(self.root, self.gitdir, self.commit, self.rev, self.schema,
                            [view._paths[k] for k in out], b"".join(view._ids[20 * k:20 * k + 20] for k in out),
                            keep, self._annot)
        sel = list(sel)
        return Revision(self.root, self.gitdir, self.commit, self.rev, self.schema,
                        [paths[i] for i in sel], b"".join(ids[20 * i:20 * i + 20] for i in sel), keep, self._annot)

    def _query(self, expr, images):
        cmd = _annot_command(self._annot)
        if not cmd:
            raise AnnotError("filter(where=...) runs 'annot query': put annot on PATH or set ANNOT")
        args = [cmd, "query", expr, "--rev", self.commit, "--json"] + (["--images"] if images else [])
        try:
            p = subprocess.run(args, cwd=self.root, capture_output=True)
        except OSError as e:
            raise AnnotError("cannot run %s: %s" % (cmd, e)) from None
        if p.returncode != 0:
            msg = p.stderr.decode("utf-8", "replace").strip() or "exit %d" % p.returncode
            raise AnnotError("annot query failed: %s" % msg)
        return json.loads(p.stdout)

    # MARK: adapters

    def torch_dataset(self, **kwargs):
        """A torch.utils.data.Dataset over this revision (needs torch; see annot_reader.torch)."""
        from .torch import AnnotDataset
        return AnnotDataset(self, **kwargs)

    def to_hf_dataset(self, **kwargs):
        """A Hugging Face datasets.Dataset of this revision (needs `datasets`; see annot_reader.hf)."""
        from .hf import to_hf_dataset
        return to_hf_dataset(self, **kwargs)

    # MARK: images

    def _image_entry(self, path):
        d, _, name = path.rpartition("/")
        tree = self._image_dir(d)
        if tree is None:
            return None, None
        try:
            e = _find(self.repo, tree, name)
        except KeyError:
            return None, None
        return e.id, e.filemode

    def image_bytes(self, path):
        """The original bytes of images/PATH at this revision.

        In a labels-only clone, where the blob is missing, asks `annot cat-image` (which can
        reach an image store when one is configured) and otherwise raises ImageNotAvailable
        naming the image and `annot fetch --images`."""
        oid, mode = self._image_entry(path)
        if oid is None:
            raise KeyError("no image images/%s at revision %s" % (path, self.commit[:12]))
        repo = self.repo
        if mode != _GITLINK:
            try:
                return repo.odb.read(oid)[1]  # the raw read: no Blob object (a third less time)
            except KeyError:  # pygit2's NotFoundError is a KeyError
                pass
        detail = ""
        cmd = _annot_command(self._annot)
        if cmd:
            try:
                p = subprocess.run([cmd, "cat-image", "%s:images/%s" % (self.commit, path)], cwd=self.root,
                                   capture_output=True)
                if p.returncode == 0:
                    got = pygit2.hash(p.stdout)
                    if got == oid:
                        return p.stdout
                    detail = "it wrote bytes of blob %s, not the tree's" % got
                else:
                    lines = p.stderr.decode("utf-8", "replace").strip().splitlines()
                    detail = lines[-1] if lines else "exit %d" % p.returncode
            except OSError as e:
                detail = str(e)
        else:
            detail = None
        raise ImageNotAvailable(path, str(oid), self.root, detail, self.commit)

    def fetch_images(self, quiet=True):
        """Brings the image bytes this revision needs into a labels-only clone by running
        `annot fetch --images COMMIT` in the repository (from its remote, or the remote's image
        store when one is configured), then returns `missing_images()` (empty when all came).
        Raises AnnotError with annot's message when the fetch fails or annot is not available."""
        cmd = _annot_command(self._annot)
        if not cmd:
            raise AnnotError("fetch_images() runs 'annot fetch --images': put annot on PATH or set ANNOT")
        args = [cmd, "fetch", "--images"] + (["--quiet"] if quiet else []) + [self.commit]
        try:
            p = subprocess.run(args, cwd=self.root, capture_output=quiet)
        except OSError as e:
            raise AnnotError("cannot run %s: %s" % (cmd, e)) from None
        if p.returncode != 0:
            msg = (p.stderr or b"").decode("utf-8", "replace").strip() or "exit %d" % p.returncode
            raise AnnotError("annot fetch --images failed: %s" % msg)
        return self.missing_images()

    def missing_images(self):
        """Dataset paths of this view whose image bytes are not in the repository."""
        repo = self.repo
        odb = repo.odb
        out = []
        for p in self._paths:
            oid, mode = self._image_entry(p)
            if oid is None or mode == _GITLINK or oid not in odb:
                out.append(p)
        return out


class Example:
    """One image and its labels at a revision.

    Attributes: path, width, height, media_type, split, source_id, attributes (image-level),
    annotations (typed: Box, Polygon, Polyline, Points, Ellipse, Mask, Keypoints, Tag, sorted by id),
    index (position in its revision), revision."""

    __slots__ = ("revision", "index", "path", "width", "height", "media_type", "split", "source_id",
                 "attributes", "annotations")

    def __init__(self, revision, index, image, annotations):
        self.revision = revision
        self.index = index
        self.path = image["path"]
        self.width = image["width"]
        self.height = image["height"]
        self.media_type = image["media_type"]
        self.split = image["split"]
        self.source_id = image["source_id"]
        self.attributes = image["attributes"]
        self.annotations = annotations

    def __repr__(self):
        return "<Example %s %dx%d, %d annotations>" % (self.path, self.width, self.height, len(self.annotations))

    def __len__(self):
        return len(self.annotations)

    @property
    def document_id(self):
        """Git blob id (hex) of the label document."""
        return self.revision.document_id(self.index)

    def image_bytes(self):
        """The image file's original bytes (see Revision.image_bytes for labels-only clones)."""
        return self.revision.image_bytes(self.path)

    def image(self):
        """The image as a loaded PIL.Image (needs Pillow)."""
        from PIL import Image
        im = Image.open(io.BytesIO(self.image_bytes()))
        im.load()
        return im

    def of_kind(self, *kinds):
        """Annotations whose kind is one of `kinds`."""
        return [a for a in self.annotations if a.kind in kinds]

    def to_json(self):
        """The document as annot writes it (same fields and values as `annot show --json REV:images/PATH`)."""
        img = {"path": self.path, "width": self.width, "height": self.height, "media_type": self.media_type}
        if self.source_id is not None:
            img["source_id"] = self.source_id
        if self.split is not None:
            img["split"] = self.split
        if self.attributes:
            img["attributes"] = dict(self.attributes)
        return {"version": 1, "image": img, "annotations": [a.to_json() for a in self.annotations]}
