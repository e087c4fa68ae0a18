"""``jit="auto"``: numba compiles only when an evaluation makes enough decisions to repay it."""

import numpy as np
import pytest

from aurora_evo.domains.binpacking import or_dataset, weibull_dataset
from aurora_evo.evaluation import JIT_MIN_DECISIONS, JIT_MIN_ITEMS, evaluate_binpacking, use_jit
from aurora_evo.seeds import seed_scenarios


def test_bin_packing_compiles_only_from_jit_min_items_items():
    rng = np.random.default_rng(0)
    # 60 x 120 OR items: above the allocation threshold, but numba's compile would cost twice the run.
    small = [or_dataset(rng, 60, 120, name="small")]
    large = [weibull_dataset(rng, JIT_MIN_ITEMS // 1000, 1000, name="large")]
    assert JIT_MIN_DECISIONS < 60 * 120 < JIT_MIN_ITEMS
    assert not use_jit("auto", small)
    assert use_jit("auto", large)
    assert use_jit("always", small) and not use_jit("never", large)


def test_allocation_compiles_from_jit_min_decisions_tasks():
    scenarios = seed_scenarios()
    tasks = sum(len(s.tasks) for s in scenarios)
    few = [s for s in scenarios if len(s.tasks) < JIT_MIN_DECISIONS][:1]
    assert tasks >= JIT_MIN_DECISIONS and few
    assert use_jit("auto", scenarios)
    assert not use_jit("auto", few)


def test_an_unknown_jit_mode_is_refused():
    with pytest.raises(ValueError, match="jit mode 'sometimes'"):
        use_jit("sometimes", [])


def test_the_evaluation_says_which_path_ran():
    source = "import numpy as np\n\ndef priority(item, bins):\n    return -(bins - item)\n"
    small = [or_dataset(np.random.default_rng(1), 10, 120, name="small")]
    assert not evaluate_binpacking(source, small).compiled
    assert evaluate_binpacking(source, small, jit="always").compiled


def test_a_call_that_failed_elsewhere_is_reported_as_its_failure_never_as_a_success():
    from aurora_evo.contracts import CallFailed, OutputStatus, exception_status

    assert exception_status(CallFailed(OutputStatus.NOT_FINITE, "")) == (OutputStatus.NOT_FINITE, "")
    assert exception_status(CallFailed(OutputStatus.RAISED, "ValueError: no")) == (
        OutputStatus.RAISED,
        "ValueError: no",
    )
    # A program could raise one itself: claiming success makes it a plain exception.
    status, detail = exception_status(CallFailed(OutputStatus.OK, "fine"))
    assert status is OutputStatus.RAISED and detail == "CallFailed: fine"
