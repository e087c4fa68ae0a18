"""MAP-Elites rules, descriptors and behaviour signatures."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from aurora_evo.archive import (
    DESCRIPTORS,
    AddStatus,
    Descriptor,
    behaviour_signature,
    cell_of,
    consider,
    coverage,
    default_descriptors,
    descriptor_values,
    qd_score,
    specialisation,
)
from aurora_evo.program_text import code_complexity

values = st.floats(allow_nan=False)


@st.composite
def descriptors(draw):
    log = draw(st.booleans())
    low = draw(st.floats(1e-6, 1e6) if log else st.floats(-1e6, 1e6))
    high = draw(st.floats(low, 1e7))
    assume(high > low and (not log or math.log(high) > math.log(low)))
    return Descriptor("d", low, high, draw(st.integers(1, 50)), log)


# --- the grid ----------------------------------------------------------------------------------------


@given(descriptors(), values)
def test_cell_of_stays_in_range(d, v):
    (index,) = cell_of([v], [d])
    assert 0 <= index < d.bins


@given(descriptors(), values, values)
def test_cell_of_is_monotone(d, v, w):
    lo, hi = sorted((v, w))
    assert cell_of([lo], [d]) <= cell_of([hi], [d])


def test_cell_of_bins():
    linear = Descriptor("x", 0.0, 10.0, 5)
    assert [cell_of([v], [linear])[0] for v in (-1, 0, 1.99, 2, 5, 9.99, 10, 1e9)] == [0, 0, 0, 1, 2, 4, 4, 4]
    log = Descriptor("y", 1.0, 1000.0, 3, log=True)
    assert [cell_of([v], [log])[0] for v in (0, -5, 1, 9.9, 10.1, 99, 101, 1e6)] == [0, 0, 0, 0, 1, 1, 2, 2]
    assert cell_of([3.0, 50.0], [linear, log]) == (1, 1)
    with pytest.raises(ValueError, match="2 descriptors"):
        cell_of([1.0], [linear, log])
    with pytest.raises(ValueError, match="NaN"):
        cell_of([math.nan], [linear])


@pytest.mark.parametrize(
    ("args", "message"),
    [(("x", 1.0, 1.0, 3), "not below"), (("x", 0.0, 1.0, 0), "bins"), (("x", 0.0, 1.0, 3, True), "low > 0")],
)
def test_descriptor_refuses_bad_axes(args, message):
    with pytest.raises(ValueError, match=message):
        Descriptor(*args)


@given(st.none() | st.tuples(st.just("p"), st.floats(allow_nan=False)), st.none() | st.floats())
def test_consider(current, score):
    status = consider(current, score)
    if score is None or math.isnan(score):
        assert status is AddStatus.NOT_ADDED
    elif current is None:
        assert status is AddStatus.NEW
    else:
        assert status is (AddStatus.IMPROVE if score > current[1] else AddStatus.NOT_ADDED)
    assert status.added == (status is not AddStatus.NOT_ADDED)


def test_consider_keeps_the_elite_on_ties():
    assert consider(("p", 1.0), 1.0) is AddStatus.NOT_ADDED
    assert consider(("p", 1.0), 1.5) is AddStatus.IMPROVE
    assert consider(None, -1e9) is AddStatus.NEW


def test_coverage_and_qd_score():
    axes = [Descriptor("x", 0, 1, 4), Descriptor("y", 0, 1, 5)]
    cells = {(0, 0): ("a", 1.0), (3, 4): ("b", -2.0)}
    assert coverage(cells, axes) == 0.1
    assert coverage({}, axes) == 0.0
    assert qd_score(cells, offset=-10.0) == 19.0
    assert qd_score({}, offset=-10.0) == 0.0


# --- descriptors -------------------------------------------------------------------------------------

SMALL = "def priority(item, bins):\n    return -bins\n"
BIGGER = """
import numpy as np


def priority(item, bins):
    \"\"\"Best fit, with a penalty for bins left nearly empty.\"\"\"
    spare = bins - item  # room left
    score = -spare
    score[spare > 0.9] -= 10.0
    return score
"""


def test_specialisation():
    assert specialisation({"a": 1.0, "b": 1.0, "c": 1.0}) == 0.0
    assert specialisation({"a": 1.0}) == 0.0
    assert specialisation({"a": 0.0, "b": 2.0}) == pytest.approx(1.0)
    assert specialisation({"a": -1.0, "b": -3.0}) == pytest.approx(0.5)
    assert specialisation({"a": 0.0, "b": 0.0}) == 0.0


def test_descriptor_registry():
    assert set(DESCRIPTORS) == {"complexity", "specialisation", "nonlinearity"}
    names = ["complexity", "specialisation"]
    axes = default_descriptors(names)
    assert [d.name for d in axes] == names
    assert [d.bins for d in default_descriptors(names, bins=[4, 6])] == [4, 6]
    assert default_descriptors(names, bins=[4, 6])[0].low == axes[0].low
    with pytest.raises(ValueError, match="one per descriptor"):
        default_descriptors(names, bins=[4])
    assert DESCRIPTORS["complexity"].value(SMALL, {}) == code_complexity(SMALL)
    scores = {"a": 0.2, "b": 0.4}
    got = descriptor_values(names, BIGGER, scores)
    assert got == (code_complexity(BIGGER), specialisation(scores))
    assert all(0 <= i < d.bins for i, d in zip(cell_of(got, axes), axes, strict=True))
    with pytest.raises(KeyError, match="use one of complexity, nonlinearity, specialisation"):
        default_descriptors(["novelty"])
    with pytest.raises(TypeError):
        DESCRIPTORS["x"] = DESCRIPTORS["complexity"]  # read-only


def test_every_built_in_axis_has_a_unit_and_edges_from_low_to_high():
    for name, function in DESCRIPTORS.items():
        axis = function.default
        assert axis.name == name and axis.unit
        edges = axis.edges()
        assert len(edges) == axis.bins + 1
        assert edges[0] == pytest.approx(axis.low) and edges[-1] == pytest.approx(axis.high)
        assert [axis.bin_of(e * 1.000001 if e > 0 else e + 1e-9) for e in edges[:-1]] == list(
            range(axis.bins)
        )


NONLINEAR_CASES = [
    # best fit by hand: arithmetic only; np.maximum(cap, 1e-9) only guards the division
    ("(nodes[:, 1] - task[1]) / np.maximum(nodes[:, 5], 1e-9)", 0.0),
    # genetic programming's guarded division is one division
    ("nodes[:, 1] * np.sign(nodes[:, 5]) / np.maximum(np.abs(nodes[:, 5]), 1e-09)", 0.0),
    ("np.zeros(nodes.shape[0])", 0.0),  # first fit: no operation at all
    ("np.where(nodes[:, 1] <= 2.0, nodes[:, 2], nodes[:, 3])", 1.0),  # a rule: where and a comparison
    ("np.exp(np.minimum(nodes[:, 1], 50.0))", 1.0),
    ("nodes[:, 1] + np.maximum(nodes[:, 2], 0.5)", 0.5),  # a real maximum, not a guard
    ("-nodes[:, 1] + np.maximum(nodes[:, 2], 0.5)", 1 / 3),  # unary minus is arithmetic
    ("nodes[:, 1] ** 2 - nodes[:, 2]", 0.5),
]


@pytest.mark.parametrize(("expression", "expected"), NONLINEAR_CASES)
def test_nonlinearity_counts_rules_and_curves_against_arithmetic(expression, expected):
    from aurora_evo.archive.map_elites import nonlinearity

    source = f"import numpy as np\nN = 3\n\n\ndef priority(task, nodes):\n    return {expression}\n"
    assert nonlinearity(source) == pytest.approx(expected)


def test_a_spread_of_differing_programs_lands_in_different_rows_and_columns():
    """The default grid of issue 18 put every program of a cloud run in one row (specialisation hardly
    varies); complexity x nonlinearity spreads programs of a seeded generator over both axes."""
    import numpy as np

    from aurora_evo.contracts import Contract
    from aurora_evo.mutators import GPMutator
    from aurora_evo.mutators.gp import gen_ramped
    from aurora_evo.seeds import seed_program_paths

    mutator = GPMutator(Contract.ALLOCATION)
    trees = gen_ramped(mutator.pset, np.random.default_rng(11), 60, 1, 7)
    sources = [mutator.render(tree) for tree in trees]
    sources += [path.read_text() for path in seed_program_paths().values()]
    names = ["complexity", "nonlinearity"]
    axes = default_descriptors(names)
    cells = {cell_of(descriptor_values(names, source, {}), axes) for source in sources}
    columns, rows = {x for x, _ in cells}, {y for _, y in cells}
    assert len(columns) >= 5 and len(rows) >= 5, sorted(cells)
    assert len(cells) >= 20


def test_behaviour_signature():
    a = behaviour_signature({"b": 0.1 + 0.2, "a": -0.0})
    assert a == behaviour_signature({"a": 0.0, "b": 0.3})
    assert a == (0.0, 0.3)
    assert hash(a) == hash(behaviour_signature({"a": 0.0, "b": 0.3000000001}))
    assert behaviour_signature({"a": 0.5}) != behaviour_signature({"a": 0.6})
    assert behaviour_signature({"a": math.nan, "b": None}) == (None, None)
