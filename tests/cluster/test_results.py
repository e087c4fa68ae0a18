"""What every cluster backend shares: the forms of ``--cluster``, a missing engine told in one line,
results checked on arrival, the cases sent once per set."""

from __future__ import annotations

import math
import sys

import pytest

from aurora_evo.cluster import cluster_executor, parse_cluster
from aurora_evo.cluster.results import SharedCases, checked_result, lost_result
from aurora_evo.domains import get_problem
from aurora_evo.errors import InputError
from aurora_evo.evaluation import EvalResult
from aurora_evo.outcome import Outcome
from aurora_evo.sandbox import SandboxConfig

GOOD = EvalResult(Outcome.OK, score=0.5, per_case={"a": {"reward": 0.5}, "b": {"reward": 0.5}})


def test_a_result_that_holds_together_passes_unchanged():
    assert checked_result(GOOD, 2) is GOOD
    failed = EvalResult(Outcome.TIMEOUT, "took too long")
    assert checked_result(failed, 2) is failed


def test_anything_else_a_worker_sends_becomes_no_result():
    broken = [
        {"outcome": "ok", "score": 1.0},  # not a result
        EvalResult("ok", score=0.5, per_case=GOOD.per_case),  # an outcome that is not an Outcome
        EvalResult(Outcome.OK, score=math.nan, per_case=GOOD.per_case),
        EvalResult(Outcome.OK, score=None, per_case=GOOD.per_case),
        EvalResult(Outcome.OK, score=0.5, per_case={"a": {"reward": 0.5}}),  # a case missing
        EvalResult(Outcome.OK, score=0.5, per_case={"a": {}, "b": [1.0]}),
    ]
    for result in broken:
        checked = checked_result(result, 2)
        assert checked.outcome is Outcome.NO_RESULT and checked.message and checked.score is None


def test_a_lost_candidate_is_filed_as_crashed():
    assert lost_result().outcome is Outcome.CRASHED


def test_each_set_of_cases_is_sent_once_while_it_is_held():
    sent = []

    def send(objects):
        sent.extend(objects)
        return [f"handle-{len(sent)}"]

    shared = SharedCases(send, keep=2)
    problem, first, second, third = get_problem("allocation"), [object()], [object(), object()], [object()]
    assert shared.get(problem, first) == shared.get(problem, list(first)) == "handle-1"
    assert shared.get(problem, second) == "handle-2" and len(sent) == 2
    assert sent[1] == (problem, tuple(second))
    shared.get(problem, third)  # the first set is let go: two are held
    assert shared.get(problem, first) == "handle-4" and len(sent) == 4


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("local:4", ("local", 4)),
        ("tcp://10.0.0.5:8786", ("address", "tcp://10.0.0.5:8786")),
        ("ray:local:2", ("ray-local", 2)),
        ("ray:head.example:6379", ("ray-address", "ray:head.example:6379")),
        ("ray://head.example:10001", ("ray-address", "ray://head.example:10001")),
    ],
)
def test_every_form_of_cluster_is_understood(spec, parsed):
    assert parse_cluster(spec) == parsed


@pytest.mark.parametrize(
    "spec", ["local:0", "local", "dask.example:8786", "tcp://host", "ray:", "ray:local:x"]
)
def test_anything_else_is_refused_with_what_is_expected(spec):
    kind, why = parse_cluster(spec)
    assert kind is None and "local:N" in why and "ray://HOST:PORT" in why


@pytest.mark.parametrize(("spec", "module"), [("local:2", "dask_backend"), ("ray:local:2", "ray_backend")])
def test_a_missing_engine_is_one_line_naming_its_extra(spec, module, monkeypatch):
    monkeypatch.setitem(sys.modules, f"aurora_evo.cluster.{module}", None)  # as if its engine were absent
    extra = "ray" if module.startswith("ray") else "dask"
    with pytest.raises(InputError, match=rf'needs the {extra} extra \(pip install -e "\.\[{extra}\]"\)'):
        cluster_executor(spec, SandboxConfig())
