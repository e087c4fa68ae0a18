"""The elite archive: MAP-Elites cells (and the offer of one to a program), Elo ratings and matches."""

from __future__ import annotations

import pytest
import sqlite_utils

from aurora_evo.archive import AddStatus, CellChange, Match, Rating


def test_cells_round_trip(archive, add):
    p1, p2 = add(archive, 1), add(archive, 2)
    archive.elites.set_cell("r", (3, 5), p1.id, 1.0, 1)
    archive.elites.set_cell("r", (0, 0), p1.id, 1.0, 1)
    archive.elites.set_cell("r", (3, 5), p2.id, 2.0, 2)
    assert archive.elites.cells("r") == {(0, 0): (p1.id, 1.0), (3, 5): (p2.id, 2.0)}
    assert archive.elites.cell_history("r") == [
        CellChange((3, 5), p1.id, 1.0, 1),
        CellChange((0, 0), p1.id, 1.0, 1),
        CellChange((3, 5), p2.id, 2.0, 2),
    ]
    assert sqlite_utils.Database(archive.path)["cells"].get(("r", "3,5"))["program_id"] == p2.id


def test_a_cell_goes_to_a_better_program_only(archive, add):
    p1, p2, p3 = add(archive, 1), add(archive, 2), add(archive, 3)
    assert archive.elites.offer("r", (1, 1), p2.id, 2.0, 1) == (AddStatus.NEW, None)
    assert archive.elites.offer("r", (1, 1), p1.id, 2.0, 2) == (AddStatus.NOT_ADDED, None)  # a tie keeps it
    assert archive.elites.offer("r", (1, 1), p1.id, float("nan"), 2) == (AddStatus.NOT_ADDED, None)
    assert archive.elites.offer("r", (1, 1), p3.id, 3.0, 3) == (AddStatus.IMPROVE, p2.id)
    assert archive.elites.cells("r") == {(1, 1): (p3.id, 3.0)}
    assert [c.program_id for c in archive.elites.cell_history("r")] == [p2.id, p3.id]


def test_ratings_and_matches_round_trip(archive, add):
    p1, p2 = add(archive, 1), add(archive, 2)
    archive.elites.set_rating(p1.id, 1508.0, 1, 3)
    archive.elites.set_rating(p2.id, 1492.0, 1, 3)
    archive.elites.set_rating(p1.id, 1515.5, 2, 4)
    assert archive.elites.ratings("r") == {
        p1.id: Rating(p1.id, 1515.5, 2, 4),
        p2.id: Rating(p2.id, 1492.0, 1, 3),
    }
    assert archive.elites.rating_history(p1.id) == [(3, 1508.0), (4, 1515.5)]
    assert [tuple(row.values()) for row in archive.elites.rating_changes("r")] == [
        (p1.id, 3, 1508.0),
        (p2.id, 3, 1492.0),
        (p1.id, 4, 1515.5),
    ]
    matches = [Match("r", 3, p1.id, p2.id, "case1", 1.0), Match("r", 4, p1.id, p2.id, "case2", 0.5)]
    assert archive.elites.add_matches(matches) == 2
    assert archive.elites.matches("r") == matches
    assert archive.elites.matches("r", iteration=4) == matches[1:]
    assert archive.elites.add_matches([("r", 5, p2.id, p1.id, "case3", 0.0)]) == 1  # tuples in field order
    assert archive.elites.matches("r", iteration=5) == [Match("r", 5, p2.id, p1.id, "case3", 0.0)]
    with pytest.raises(ValueError, match="result"):
        archive.elites.add_matches([Match("r", 3, p1.id, p2.id, "c", 2.0)])
