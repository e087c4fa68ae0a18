"""The evaluation seam: several workers give the same results, in the same order, as one."""

from __future__ import annotations

from aurora_evo.domains import get_problem
from aurora_evo.executor import SandboxExecutor
from aurora_evo.sandbox import SandboxConfig
from aurora_evo.seeds import seed_program_paths, seed_scenarios


def test_parallel_workers_match_one_worker():
    config = SandboxConfig(full_warm_up=False)
    sources = [path.read_text() for path in seed_program_paths().values()]
    sources.append("def priority(task, nodes):\n    return nodes[:, 1] * float('nan')\n")
    cases = seed_scenarios("easy")[:2]
    one = SandboxExecutor(config, workers=1)
    many = SandboxExecutor(config, workers=2, backend="loky")
    try:
        expected = one.evaluate(get_problem("allocation"), sources, cases)
        got = many.evaluate(get_problem("allocation"), sources, cases)
    finally:
        one.close()
        many.close()
    assert [r.as_dict() for r in got] == [r.as_dict() for r in expected]
    assert expected[-1].outcome.value == "invalid_output"
