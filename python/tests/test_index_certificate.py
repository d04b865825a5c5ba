"""The trusted path: documents whose blob is in annot's query index (which only holds documents
annot's Swift decoder accepted) skip the checks annot guarantees. They must decode exactly as
the checked path and as annot itself, including valid documents annot did not write (committed
with plain git), and the reader must fall back when the index is absent, damaged or foreign."""
import json
import os
import shutil
import sqlite3

import pygit2
import pytest

import annot_reader
import swift_side
from annot_reader import model
from annot_reader._json import loads

IMG = '"image":{"height":8,"media_type":"image/png","path":"%s","width":8}'

# Valid for annot (its decoder accepts each), but not as annot writes them: every difference the
# checked path normalises, one per document; the first two are canonical.
VALID = [
    '{"annotations":[{"bbox":[1,2,3,4],"id":"a","kind":"box","label":"c","source_id":"1"},'
    '{"bbox":[0.5,1,2,2.25],"id":"b","kind":"box","label":"c","source_id":"2"}],%s,"version":1}',
    '{"annotations":[{"bbox":[1,1,2,2],"id":"a","kind":"box","label":"c"},{"id":"b","kind":"polygon","label":"c",'
    '"polygon":[[0,0,4,0,4,4]]},{"id":"c","kind":"tag","label":"c"},{"id":"d","keypoints":[1,1,2,3,3,0],"kind":"keypoints","label":"c"},'
    '{"ellipse":[4,4,2,1],"id":"e","kind":"ellipse","label":"c","rotation":30}],%s,"version":1}',
    '{"annotations":[{"bbox":[1,2,3,4],"id":"a","kind":"box","label":"c","score":null}],%s,"version":1}',
    '{"annotations":[{"bbox":[1,2,3,4],"group":4.0,"id":"a","kind":"box","label":"c","z_order":2}],%s,"version":1}',
    '{"annotations":[{"bbox":[0,0,1,1234567890123456],"id":"a","kind":"box","label":"c"}],%s,"version":1}',
    '{"annotations":[{"bbox":[0,0,1,-123456789012345],"id":"a","kind":"box","label":"c"}],%s,"version":1}',
    '{"annotations":[{"bbox":[1,2,3,4],"id":"b","kind":"box","label":"c"},{"bbox":[1,2,3,4],"id":"a","kind":"box","label":"c"}],%s,"version":1}',
    '{"annotations":[{"bbox":[1,2,3,4],"extra":{"q":1},"id":"a","kind":"box","label":"c"}],%s,"version":1}',
    '{"annotations":[{"attributes":{},"bbox":[1,2,3,4],"crowd":false,"id":"a","kind":"box","label":"c","rotation":0}],%s,"version":1}',
    '{"annotations":[{"id":"a","kind":"polygon","label":"c","polygon":[[0,0,4,0,4,4]],"rotation":5}],%s,"version":1}',
    '{"annotations":[{"id":"a","kind":"mask","label":"c","mask":{"counts":[0,1.0,63],"size":[8,8]}}],%s,"version":1}',
    '{"annotations":[{"attributes":{"n":12345678901234567},"id":"a","kind":"tag","label":"c"}],%s,"version":1}',
    '{"annotations":[],"image":{"height":8,"media_type":"image/png","path":"%s","split":null,"width":8},"version":1}',
    '{"version":1,"image":{"path":"%s","width":8,"height":8,"media_type":"image/png"},"annotations":[{"label":"c","kind":"tag","id":"x"}]}',
]


def _doc(k):
    path = "%02d.png" % k
    text = VALID[k]
    return path, text % path if '"path":"%s"' in text else text % (IMG % path)


@pytest.fixture(scope="module")
def plain_git_repo(annot, work):
    """An annot repository whose HEAD commit (made with pygit2, as plain git would) holds the
    VALID documents, indexed by `annot reindex`."""
    src = os.path.join(work, "cert-src")
    os.makedirs(os.path.join(src, "images"))
    os.makedirs(os.path.join(src, "labels"))
    with open(os.path.join(src, "annot.json"), "w") as f:
        f.write('{"format":"annot","version":1,"classes":[{"id":1,"name":"c"}],"attributes":[]}')
    for k in range(len(VALID)):
        path, _ = _doc(k)
        with open(os.path.join(src, "images", path), "wb") as f:
            f.write(swift_side.png(8, 8, k))
        with open(os.path.join(src, "labels", path + ".json"), "w") as f:
            f.write('{"version":1,"image":{"path":"%s","width":8,"height":8,"media_type":"image/png"},"annotations":[]}' % path)
    root = os.path.join(work, "cert")
    swift_side.run(annot, work, "init", root)
    swift_side.run(annot, root, "import", "annot", src)
    swift_side.run(annot, root, "commit", "-m", "empty documents")
    repo = pygit2.Repository(os.path.join(root, ".annot"))
    head = repo.head.peel(pygit2.Commit)
    labels = repo.TreeBuilder()
    for k in range(len(VALID)):
        path, text = _doc(k)
        labels.insert(path + ".json", repo.create_blob(text.encode()), pygit2.GIT_FILEMODE_BLOB)
    top = repo.TreeBuilder(head.tree)
    top.insert("labels", labels.write(), pygit2.GIT_FILEMODE_TREE)
    sig = pygit2.Signature("Fixture", "fixture@example.com", 1767225600, 0)
    repo.create_commit(repo.head.name, sig, sig, "documents written by hand", top.write(), [head.id])
    swift_side.run(annot, root, "reindex")
    return root


def _same_as_exact(ex, data):
    image, anns = model._decode_document_value(loads(data))
    assert (ex.path, ex.width, ex.height, ex.media_type, ex.split, ex.source_id, ex.attributes) == (
        image["path"], image["width"], image["height"], image["media_type"], image["split"], image["source_id"],
        image["attributes"])
    assert [type(a) for a in ex.annotations] == [type(a) for a in anns]
    got = [a.to_json() for a in ex.annotations]
    want = [a.to_json() for a in anns]
    assert got == want
    # the same Python types too (4 and 4.0 compare equal)
    assert json.dumps(got) == json.dumps(want)
    for a, b in zip(ex.annotations, anns):
        assert (a.crowd, a.score, a.group, a.z_order, a.attributes, a.bounding_box, a.area) == \
            (b.crowd, b.score, b.group, b.z_order, b.attributes, b.bounding_box, b.area)
        assert json.dumps(a.bounding_box) == json.dumps(b.bounding_box)


def test_every_valid_document_is_certified_and_decodes_as_the_checked_path(annot, plain_git_repo):
    r = annot_reader.open(plain_git_repo)
    assert len(r) == len(VALID)
    indexed = r._indexed(r._ids)
    assert len(indexed) == len(VALID)  # annot decoded every one of them
    swift = swift_side.swift_view(annot, plain_git_repo)
    trusted = 0
    for ex in r:
        data = r.repo.odb.read(ex.document_id)[1]
        _same_as_exact(ex, data)
        assert ex.to_json() == swift["documents"][ex.path], ex.path
        trusted += model.trusted_document(data) is not None
    # the canonical ones take the trusted path (so this test exercises it); the rest need not
    assert model.trusted_document(r.repo.odb.read(r.document_id(0))[1]) is not None
    assert model.trusted_document(r.repo.odb.read(r.document_id(1))[1]) is not None
    assert trusted >= 2


def test_trusted_path_gives_what_the_checked_path_gives_on_the_fixtures(demo_repo, rich_repo):
    for root in (demo_repo, rich_repo):
        r = annot_reader.open(root)
        assert r._indexed(r._ids), root  # the fixtures are indexed, so iteration is trusted
        for ex in r:
            data = r.repo.odb.read(ex.document_id)[1]
            _same_as_exact(ex, data)
            t = model.trusted_document(data)
            if t is not None:
                e = annot_reader.decode_document(data)
                assert t[0] == e[0] and [a.to_json() for a in t[1]] == [a.to_json() for a in e[1]]


def _copy(root, dest):
    shutil.copytree(root, dest, symlinks=True)
    return dest, os.path.join(dest, ".annot", "annot", "index.sqlite")


def test_without_an_index_nothing_is_trusted_and_the_result_is_the_same(plain_git_repo, work):
    root, index = _copy(plain_git_repo, os.path.join(work, "cert-noindex"))
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(index + suffix):
            os.remove(index + suffix)
    a, b = annot_reader.open(plain_git_repo), annot_reader.open(root)
    assert b._indexed(b._ids) == ()
    assert [ex.to_json() for ex in a] == [ex.to_json() for ex in b]


@pytest.mark.parametrize("damage", ["garbage", "foreign", "other-version", "empty"])
def test_a_damaged_or_foreign_index_is_not_trusted(plain_git_repo, work, damage):
    root, index = _copy(plain_git_repo, os.path.join(work, "cert-" + damage))
    for suffix in ("-wal", "-shm"):
        if os.path.exists(index + suffix):
            os.remove(index + suffix)
    if damage == "garbage":
        with open(index, "wb") as f:
            f.write(b"not a database" * 100)
    elif damage == "empty":
        open(index, "wb").close()
    else:
        db = sqlite3.connect(index)
        db.execute("PRAGMA application_id=1" if damage == "foreign" else "PRAGMA user_version=99")
        db.commit()
        db.close()
    a, b = annot_reader.open(plain_git_repo), annot_reader.open(root)
    assert b._indexed(b._ids) == ()
    assert [ex.to_json() for ex in a] == [ex.to_json() for ex in b]


def test_a_stale_index_certifies_only_what_it_holds(annot, plain_git_repo, work):
    """An index that has not seen this revision (its documents were changed with plain git
    after the last index) certifies nothing new; the changed documents take the checked path."""
    root, index = _copy(plain_git_repo, os.path.join(work, "cert-stale"))
    repo = pygit2.Repository(os.path.join(root, ".annot"))
    head = repo.head.peel(pygit2.Commit)
    labels = repo.TreeBuilder(head.tree["labels"])
    path, text = _doc(0)
    labels.insert(path + ".json", repo.create_blob(text.replace('"c","source_id":"1"', '"c","source_id":"9"').encode()),
                  pygit2.GIT_FILEMODE_BLOB)
    top = repo.TreeBuilder(head.tree)
    top.insert("labels", labels.write(), pygit2.GIT_FILEMODE_TREE)
    sig = pygit2.Signature("Fixture", "fixture@example.com", 1767225600, 0)
    repo.create_commit(repo.head.name, sig, sig, "changed", top.write(), [head.id])
    r = annot_reader.open(root)
    indexed = r._indexed(r._ids)
    assert r._ids[:20] not in indexed
    assert all(r._ids[20 * k:20 * k + 20] in indexed for k in range(1, len(VALID)))
    ex = r[0]
    assert [a.source_id for a in list(r)[0].annotations] == ["9", "2"] == [a.source_id for a in ex.annotations]


def test_a_large_index_is_asked_chunk_by_chunk(plain_git_repo, monkeypatch):
    from annot_reader import revision
    monkeypatch.setattr(revision, "_WHOLE_INDEX_SLACK", 0)
    r = annot_reader.open(plain_git_repo).filter(prefix="01.")
    assert len(r) == 1
    assert r._indexed(r._ids) == {r._ids}
    assert r._local.indexed is False  # the per-chunk query answered
    assert r[0].to_json() == [ex for ex in r][0].to_json()
