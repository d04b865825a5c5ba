import os
import shutil
import subprocess

import pytest

import swift_side

ROOT = swift_side.REPO_ROOT


def _annot():
    a = os.environ.get("ANNOT")
    if a:
        return a
    for cand in (os.path.join(ROOT, ".build", "debug", "annot"), shutil.which("annot")):
        if cand and os.path.exists(cand):
            return cand
    pytest.fail("no annot binary: run 'swift build' first or set ANNOT=/path/to/annot")


@pytest.fixture(scope="session")
def annot():
    a = _annot()
    os.environ["ANNOT"] = a  # the reader's query filter and cat-image fallback use it
    return a


@pytest.fixture(scope="session")
def work(tmp_path_factory):
    return str(tmp_path_factory.mktemp("annot-fixtures"))


@pytest.fixture(scope="session")
def demo_repo(annot, work):
    return swift_side.build_demo(annot, work)


@pytest.fixture(scope="session")
def rich_repo(annot, work):
    return swift_side.build_rich(annot, work)


@pytest.fixture(scope="session")
def git_rev_parse():
    def f(root, rev):
        return subprocess.run(["git", "--git-dir", os.path.join(root, ".annot"), "rev-parse", rev + "^{commit}"],
                              capture_output=True, check=True, text=True).stdout.strip()
    return f
