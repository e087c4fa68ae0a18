"""The run registry: runs round trip, and refusals."""

from __future__ import annotations

import numpy as np
import pytest


def test_run_round_trip(archive):
    run = archive.runs.create("s", {"a": [1, 2]}, 3, {"numpy": np.__version__})
    assert archive.runs.get("s") == run
    archive.runs.set_status("s", "finished")
    assert archive.runs.get("s").status == "finished"
    assert [r.id for r in archive.runs.all()] == ["r", "s"]
    with pytest.raises(ValueError, match="already exists"):
        archive.runs.create("s", config={}, seed=0)
    with pytest.raises(KeyError):
        archive.runs.get("nope")
    with pytest.raises(KeyError):
        archive.runs.set_status("nope", "x")
