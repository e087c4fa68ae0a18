"""An archive with one run, and a helper that stores numbered programs in it."""

from __future__ import annotations

import pytest

from aurora_evo.archive import Archive, ProgramRecord
from aurora_evo.outcome import Outcome


def src(n: int) -> str:
    """The source of program number ``n``."""
    return f"def priority(item, bins):\n    return bins * {n}\n"


def _add(archive: Archive, n: int, parents=(), **fields) -> ProgramRecord:
    fields.setdefault("outcome", Outcome.OK)
    fields.setdefault("score", float(n))
    record = ProgramRecord.new("r", src(n), mutator="test", iteration=n, parent_ids=parents, **fields)
    return archive.programs.add(record)


@pytest.fixture
def archive(tmp_path):
    """An archive file holding run ``"r"``."""
    with Archive(tmp_path / "a.db") as a:
        a.runs.create("r", config={"islands": 2}, seed=7)
        yield a


@pytest.fixture
def add():
    """``add(archive, n, parents=(), **fields)``: store program number ``n`` of run ``"r"`` (OK, scored
    ``n``, made at iteration ``n`` unless ``fields`` say otherwise); returns its record."""
    return _add


@pytest.fixture
def source():
    """``source(n)``: the source of program number ``n``."""
    return src
