"""The champions' local cache when several workers start at once, or when it cannot be written."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from serving.registry import load_champions


def _load_many(cache: Path, rounds: int) -> None:
    for _ in range(rounds):
        models = load_champions(["risk"], lambda name, alias: ({"weights": list(range(2000))}, "1"), cache)
        assert models["risk"].source == "registry"


def test_workers_starting_together_each_load_from_the_registry_and_leave_a_whole_copy(tmp_path):
    cache = tmp_path / "model_cache"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_load_many, args=(cache, 100)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    assert sorted(path.name for path in cache.iterdir()) == ["risk.joblib", "risk.json"]  # no leftovers
    cached = load_champions(["risk"], _registry_down, cache)["risk"]
    assert cached.source == "cache" and cached.estimator == {"weights": list(range(2000))}


def test_a_cache_that_cannot_be_written_does_not_stop_the_registry_model(tmp_path):
    not_a_folder = tmp_path / "model_cache"
    not_a_folder.write_text("a file where the cache folder should be")
    models = load_champions(["risk"], lambda name, alias: ("the model", "7"), not_a_folder)
    assert (models["risk"].source, models["risk"].version, models["risk"].estimator) == ("registry", "7", "the model")


def _registry_down(name: str, alias: str):
    raise ConnectionError("registry unreachable")
