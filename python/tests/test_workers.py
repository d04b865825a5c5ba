"""Several processes reading one revision: each opens its own repository handle."""
import multiprocessing as mp
import pickle

import pytest

import annot_reader


def _read(args):
    rev, idx = args
    out = []
    for i in idx:
        ex = rev[i]
        out.append((ex.path, [a.id for a in ex.annotations], len(ex.image_bytes())))
    return out


def _serial(rev):
    return [(ex.path, [a.id for a in ex.annotations], len(ex.image_bytes())) for ex in rev]


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_worker_processes(demo_repo, method):
    rev = annot_reader.open(demo_repo).filter(prefix="train/")
    rev[0].image_bytes()  # the parent has used its handle before the fork
    chunks = [(rev, list(range(k, len(rev), 4))) for k in range(4)]
    with mp.get_context(method).Pool(4) as pool:
        parts = pool.map(_read, chunks)
    got = sorted(x for p in parts for x in p)
    assert got == sorted(_serial(rev))


def test_pickle_round_trip(demo_repo):
    rev = annot_reader.open(demo_repo, "round-2").filter(split="val")
    back = pickle.loads(pickle.dumps(rev))
    assert (back.commit, back.paths, back.schema.to_json()) == (rev.commit, rev.paths, rev.schema.to_json())
    assert [ex.to_json() for ex in back] == [ex.to_json() for ex in rev]
    assert back[0].image_bytes() == rev[0].image_bytes()


def test_threads_use_their_own_handle(demo_repo):
    import threading
    rev = annot_reader.open(demo_repo)
    want = _serial(rev)
    results, errors = [], []

    def work():
        try:
            results.append(_serial(rev))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors and results == [want] * 4
