"""Labels-only clones (Docs/REMOTES.md): labels read from the tree, images missing until fetched."""
import os
import subprocess

import pytest

import annot_reader
import swift_side


@pytest.fixture(scope="module")
def clones(annot, demo_repo, work):
    server = os.path.join(work, "server.git")
    subprocess.run(["git", "init", "-q", "--bare", server], check=True)
    swift_side.run(annot, demo_repo, "remote", "add", "origin", server)
    swift_side.run(annot, demo_repo, "push")
    lo = os.path.join(work, "labels-only")
    swift_side.run(annot, work, "clone", "--labels-only", server, lo)
    return demo_repo, lo


def test_labels_read_in_a_labels_only_clone(clones):
    full, lo = clones
    a, b = annot_reader.open(full), annot_reader.open(lo)
    assert a.commit == b.commit and a.paths == b.paths
    assert a.schema.to_json() == b.schema.to_json()
    assert [ex.to_json() for ex in a] == [ex.to_json() for ex in b]


def test_missing_images_say_what_to_do(clones):
    full, lo = clones
    r = annot_reader.open(lo)
    assert r.missing_images() == r.paths
    with pytest.raises(annot_reader.ImageNotAvailable) as e:
        r["train/0003.png"].image_bytes()
    msg = str(e.value)
    assert "images/train/0003.png" in msg and ("annot fetch --images %s' in %s" % (r.commit, lo)) in msg
    assert "fetch_images()" in msg
    assert e.value.path == "train/0003.png" and len(e.value.blob) == 40
    assert isinstance(e.value, LookupError)


def test_without_the_annot_command_the_error_is_the_same(clones, monkeypatch):
    full, lo = clones
    monkeypatch.setenv("ANNOT", "/nonexistent/annot")
    with pytest.raises(annot_reader.ImageNotAvailable, match="annot fetch --images"):
        annot_reader.open(lo)[0].image_bytes()
    monkeypatch.delenv("ANNOT")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(annot_reader.ImageNotAvailable, match="no annot command to ask"):
        annot_reader.open(lo)[0].image_bytes()
    with pytest.raises(annot_reader.AnnotError, match="fetch_images.. runs 'annot fetch --images'"):
        annot_reader.open(lo).fetch_images()


def test_the_labels_mirror_ref_reads_too(clones):
    """Mirror commits hold images as gitlinks (mode 160000): labels read, images reported missing."""
    full, lo = clones
    m = annot_reader.open(lo, "refs/annot/remotes/origin/labels/main")
    a = annot_reader.open(full)
    assert [ex.to_json() for ex in m] == [ex.to_json() for ex in a]
    with pytest.raises(annot_reader.ImageNotAvailable):
        m[0].image_bytes()


def test_after_fetch_images_bytes_are_there(annot, clones, work):
    full, lo = clones
    import shutil
    lo2 = os.path.join(work, "labels-only-2")
    shutil.copytree(lo, lo2, symlinks=True)
    swift_side.run(annot, lo2, "fetch", "--images")
    a, b = annot_reader.open(full), annot_reader.open(lo2)
    assert b.missing_images() == []
    for ex in a:
        assert b[ex.path].image_bytes() == ex.image_bytes()


def test_fetch_images_brings_what_the_revision_needs(annot, clones, work):
    """Revision.fetch_images() goes through 'annot fetch --images COMMIT' (the remote, or its
    image store when one is configured), then reads the bytes locally."""
    full, lo = clones
    import shutil
    lo3 = os.path.join(work, "labels-only-3")
    shutil.copytree(lo, lo3, symlinks=True)
    a, b = annot_reader.open(full), annot_reader.open(lo3)
    assert b.missing_images() == b.paths
    assert b.fetch_images() == []
    assert [ex.image_bytes() for ex in b] == [ex.image_bytes() for ex in a]


def test_images_come_through_annot_cat_image_when_not_local(annot, clones, work, monkeypatch):
    """A labels mirror commit holds images as gitlinks, which the reader never reads from the
    object store: with the images fetched, their bytes come from 'annot cat-image' (checked
    against the tree's blob id); without the annot command they cannot come at all."""
    full, lo = clones
    import shutil
    lo4 = os.path.join(work, "labels-only-4")
    shutil.copytree(lo, lo4, symlinks=True)
    annot_reader.open(lo4).fetch_images()
    a = annot_reader.open(full)
    m = annot_reader.open(lo4, "refs/annot/remotes/origin/labels/main")
    assert m[0].image_bytes() == a[m[0].path].image_bytes()
    monkeypatch.setenv("ANNOT", "/nonexistent/annot")
    with pytest.raises(annot_reader.ImageNotAvailable, match="annot cat-image: .*No such file"):
        annot_reader.open(lo4, "refs/annot/remotes/origin/labels/main")[0].image_bytes()
