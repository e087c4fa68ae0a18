"""Hand-checked behaviour of the simulator: queueing, timeouts, energy and cost, refused outputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aurora_evo.contracts import Contract, OutputStatus
from aurora_evo.features import N_BUSY_UNTIL
from aurora_evo.program_loading import compile_program
from aurora_evo.sim import simulate
from aurora_evo.sim.simulate import decision_states

CPU = [[4, 16, 0, 0]]


def program(body: str, jit: bool = True):
    return compile_program(
        f"import numpy as np\ndef priority(task, nodes):\n    {body}\n", Contract.ALLOCATION, jit=jit
    )


@pytest.mark.parametrize("use_jit", [True, False])
def test_a_task_that_does_not_fit_waits_for_a_departure(make_scenario, seed_programs, use_jit):
    scenario = make_scenario(CPU, [[4, 1, 0, 0], [2, 1, 0, 0]], arrival=[0, 1], duration=[10, 5])
    result = simulate(scenario, seed_programs["first_fit"], use_jit=use_jit)
    assert result.placement.start.tolist() == [0.0, 10.0]
    metrics = result.metrics
    assert metrics.mean_wait_s == pytest.approx(4.5)  # 0 and 9 s
    assert metrics.makespan_s == 15.0
    assert metrics.p99_latency_s == pytest.approx(14 - 0.01 * (14 - 10))  # latencies 10 and 14


def test_queue_timeout_rejects_at_arrival_plus_timeout(make_scenario, seed_programs):
    scenario = make_scenario(CPU, [[4, 1, 0, 0], [2, 1, 0, 0]], arrival=[0, 1], duration=[10, 5], timeout=3)
    result = simulate(scenario, seed_programs["first_fit"])
    assert result.placement.node.tolist() == [0, -1]
    assert result.placement.reject_time[1] == 4.0
    assert result.metrics.failure_rate == 0.5
    assert result.metrics.makespan_s == 10.0


def test_a_task_may_start_exactly_at_its_timeout(make_scenario, seed_programs):
    scenario = make_scenario(CPU, [[4, 1, 0, 0], [2, 1, 0, 0]], arrival=[0, 1], duration=[10, 5], timeout=9)
    assert simulate(scenario, seed_programs["first_fit"]).placement.start[1] == 10.0


def test_a_task_larger_than_every_node_is_rejected_on_arrival(make_scenario, seed_programs):
    scenario = make_scenario(CPU, [[8, 1, 0, 0], [1, 1, 0, 0]], arrival=[2, 3], duration=[1, 1])
    result = simulate(scenario, seed_programs["best_fit"])
    assert result.placement.node.tolist() == [-1, 0]
    assert result.placement.reject_time[0] == 2.0


def test_backfilling_places_a_later_small_task_before_a_blocked_big_one(make_scenario, seed_programs):
    scenario = make_scenario(
        CPU, [[3, 1, 0, 0], [4, 1, 0, 0], [1, 1, 0, 0]], arrival=[0, 1, 2], duration=[5, 1, 1]
    )
    result = simulate(scenario, seed_programs["first_fit"])
    assert result.placement.start.tolist() == [0.0, 5.0, 2.0]


def test_energy_cost_and_utilisation_with_sleeping_nodes(make_scenario, seed_programs):
    # Two identical nodes; first fit keeps both tasks on node 0, so node 1 never wakes.
    scenario = make_scenario(
        [[4, 16, 0, 0], [4, 16, 0, 0]], [[2, 4, 0, 0], [2, 4, 0, 0]], arrival=[0, 0], duration=[3600, 3600],
        price=[2.0, 2.0], idle=[100.0, 100.0], peak=[300.0, 300.0],
    )  # fmt: skip
    metrics = simulate(scenario, seed_programs["first_fit"]).metrics
    assert metrics.cost_usd == pytest.approx(2.0)  # one node on for one hour
    # idle 100 W for 1 h + (300 - 100) W x 4 of 4 cores busy for 1 h = 0.3 kWh
    assert metrics.energy_kwh == pytest.approx(0.3)
    assert metrics.cpu_utilization == pytest.approx(1.0)
    # Scores: the share saved against both nodes on, at peak (2 x 300 W), for the hour.
    assert metrics.scores["energy"] == pytest.approx(1 - 0.3 / 0.6)
    assert metrics.scores["cost"] == pytest.approx(1 - 2.0 / 4.0)
    spread = simulate(scenario, seed_programs["worst_fit"]).metrics
    assert spread.cost_usd == pytest.approx(4.0) and spread.energy_kwh == pytest.approx(0.4)
    assert spread.scores["cost"] == pytest.approx(0.0) and spread.scores["energy"] == pytest.approx(
        1 - 0.4 / 0.6
    )
    assert spread.reward < metrics.reward


def test_without_sleep_every_node_is_billed_for_the_whole_horizon(make_scenario, seed_programs):
    scenario = make_scenario(
        [[4, 16, 0, 0], [4, 16, 0, 0]],
        [[2, 4, 0, 0]],
        arrival=[0],
        duration=[1800],
        price=[1.0, 3.0],
        sleep=False,
    )
    metrics = simulate(scenario, seed_programs["first_fit"]).metrics
    assert metrics.cost_usd == pytest.approx(2.0)  # (1 + 3) $/h x 0.5 h


def test_latency_includes_the_network_and_sla_counts_it(make_scenario, seed_programs):
    scenario = make_scenario(
        CPU, [[1, 1, 0, 0]], arrival=[0], duration=[1.0], latency=[250.0], deadline=[1.2]
    )
    metrics = simulate(scenario, seed_programs["first_fit"]).metrics
    assert metrics.mean_latency_s == pytest.approx(1.25)
    assert metrics.sla_violation_rate == 1.0


def test_fairness_is_the_gini_of_owner_slowdowns(make_scenario, seed_programs):
    # One 4-core node; owner 0's tasks run at once, owner 1's task waits 10 s behind them.
    scenario = make_scenario(
        CPU, [[4, 1, 0, 0], [4, 1, 0, 0]], arrival=[0, 0], duration=[10, 10], owner=[0, 1]
    )
    metrics = simulate(scenario, seed_programs["first_fit"]).metrics
    slowdowns = np.array([1.0, 2.0])
    expected = np.abs(slowdowns[:, None] - slowdowns[None, :]).sum() / (2 * 4 * slowdowns.mean())
    assert metrics.fairness_gini == pytest.approx(expected)


def test_scores_stay_in_the_unit_interval_with_tiny_capacities(make_scenario, seed_programs):
    # The fit tolerance lets 1e-10 GiB onto a 1e-300 GiB node: utilisation would be 1e290 unclamped.
    scenario = make_scenario([[4, 1e-300, 0, 0]], [[1, 1e-10, 0, 0]], arrival=[0], duration=[1])
    metrics = simulate(scenario, seed_programs["first_fit"]).metrics
    assert all(0.0 <= value <= 1.0 for value in metrics.scores.values()) and 0.0 <= metrics.reward <= 1.0


def test_utilisation_averages_only_the_resources_the_cluster_has(make_scenario, seed_programs):
    scenario = make_scenario([[2, 0, 0, 0]], [[2, 0, 0, 0]], arrival=[0], duration=[1])
    assert simulate(scenario, seed_programs["first_fit"]).metrics.scores["utilization"] == pytest.approx(1.0)


def test_reward_is_the_weighted_mean_of_scores_and_lies_in_unit_interval(make_scenario, seed_programs):
    scenario = make_scenario(CPU, [[2, 1, 0, 0]] * 5, arrival=[0, 0, 1, 2, 3], duration=[2] * 5)
    metrics = simulate(scenario, seed_programs["best_fit"]).metrics
    weights = dict(scenario.objective)
    expected = sum(weights[k] * metrics.scores[k] for k in weights) / sum(weights.values())
    assert metrics.reward == pytest.approx(expected)
    assert 0.0 <= metrics.reward <= 1.0 and all(0.0 <= s <= 1.0 for s in metrics.scores.values())


def test_best_fit_and_worst_fit_choose_differently(make_scenario, seed_programs):
    scenario = make_scenario([[8, 32, 0, 0], [2, 8, 0, 0]], [[2, 8, 0, 0]], arrival=[0], duration=[1])
    assert simulate(scenario, seed_programs["best_fit"]).placement.node[0] == 1
    assert simulate(scenario, seed_programs["worst_fit"]).placement.node[0] == 0
    assert simulate(scenario, seed_programs["first_fit"]).placement.node[0] == 0


def test_round_robin_cycles_through_the_nodes(make_scenario, seed_programs):
    scenario = make_scenario([[8, 32, 0, 0]] * 3, [[1, 1, 0, 0]] * 6, arrival=[0] * 6, duration=[1] * 6)
    assert simulate(scenario, seed_programs["round_robin"]).placement.node.tolist() == [0, 1, 2, 0, 1, 2]


@pytest.mark.parametrize("use_jit", [True, False])
@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("return nodes[:, 0] * np.nan", OutputStatus.NOT_FINITE),
        ("return np.full(nodes.shape[0], np.inf)", OutputStatus.NOT_FINITE),
        ("return np.zeros(nodes.shape[0] + 1)", OutputStatus.WRONG_SHAPE),
        ("return np.zeros(0)", OutputStatus.WRONG_SHAPE),
    ],
)
def test_refused_outputs_stop_the_run_with_their_status(make_scenario, body, status, use_jit):
    scenario = make_scenario(CPU, [[1, 1, 0, 0]], arrival=[0], duration=[1])
    prog = program(body)
    assert prog.compiled
    result = simulate(scenario, prog, use_jit=use_jit)
    assert result.status is status and result.metrics is None
    assert "task 0" in result.message


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("return [0.0] * nodes.shape[0]", OutputStatus.WRONG_TYPE),
        ("return None", OutputStatus.WRONG_TYPE),
        ("return np.zeros((nodes.shape[0], 1))", OutputStatus.WRONG_SHAPE),
        ("raise RuntimeError('boom')", OutputStatus.RAISED),
        ("return np.array(['a'] * nodes.shape[0])", OutputStatus.WRONG_TYPE),
        # A masked array would hide its NaN: subclasses of ndarray are refused.
        ("return np.ma.array(np.full(nodes.shape[0], np.nan), mask=True)", OutputStatus.WRONG_TYPE),
    ],
)
def test_numpy_path_refuses_what_numba_cannot_express(make_scenario, body, status):
    scenario = make_scenario(CPU, [[1, 1, 0, 0]], arrival=[0], duration=[1])
    result = simulate(scenario, program(body, jit=False))
    assert result.status is status
    if status is OutputStatus.RAISED:
        assert "RuntimeError: boom" in result.message


@pytest.mark.parametrize("use_jit", [True, False])
def test_an_exception_inside_the_program_is_its_outcome_on_both_paths(make_scenario, use_jit):
    scenario = make_scenario(CPU, [[1, 1, 0, 0]], arrival=[0], duration=[1])
    raiser = program("if task[T_NOW] == 0.0:\n        raise ValueError('boom')\n    return nodes[:, 1] * 1.0")
    assert raiser.compiled
    result = simulate(scenario, raiser, use_jit=use_jit)
    assert result.status is OutputStatus.RAISED and "ValueError: boom" in result.message


@pytest.mark.parametrize("use_jit", [True, False])
def test_division_by_zero_is_judged_alike_on_both_paths(make_scenario, use_jit):
    scenario = make_scenario(CPU, [[1, 1, 0, 0]], arrival=[0], duration=[1])
    divider = program("return nodes[:, 1] / task[T_GPU]")  # no gpu demand: 1 / 0
    assert divider.compiled
    with np.errstate(divide="ignore"):
        result = simulate(scenario, divider, use_jit=use_jit)
    assert result.status is OutputStatus.NOT_FINITE


def test_a_program_that_only_raises_runs_on_the_numpy_path_and_reports_its_own_error(make_scenario):
    scenario = make_scenario(CPU, [[1, 1, 0, 0]], arrival=[0], duration=[1])
    raiser = program("raise ValueError('mine')")
    assert not raiser.compiled and "never returns" in raiser.jit_error
    assert "ValueError: mine" in simulate(scenario, raiser).message


@pytest.mark.parametrize("exit_call", ["raise SystemExit(0)", "raise KeyboardInterrupt"])
def test_system_exit_from_a_program_is_its_failure(make_scenario, exit_call):
    scenario = make_scenario(CPU, [[1, 1, 0, 0]], arrival=[0], duration=[1])
    if exit_call == "raise KeyboardInterrupt":  # the user's Ctrl-C must still stop the evaluator
        with pytest.raises(KeyboardInterrupt):
            simulate(scenario, program(exit_call, jit=False))
        return
    assert simulate(scenario, program(exit_call, jit=False)).status is OutputStatus.RAISED


def test_a_program_that_re_enables_writing_cannot_change_where_tasks_fit(make_scenario):
    # One core, four one-core tasks: whatever the program writes, they run one after another.
    scenario = make_scenario([[1, 4, 0, 0]], [[1, 1, 0, 0]] * 4, arrival=[0] * 4, duration=[1] * 4)
    cheat = program(
        "nodes.flags.writeable = True\n    nodes[:, N_FITS] = 1.0\n    return nodes[:, 1] * 1.0", jit=False
    )
    result = simulate(scenario, cheat)
    assert result.ok and result.placement.start.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert result.metrics.cpu_utilization == pytest.approx(1.0)


def test_a_program_cannot_write_to_its_inputs(make_scenario):
    scenario = make_scenario(CPU, [[1, 1, 0, 0]], arrival=[0], duration=[1])
    writer = program("nodes[:, 1] = 0.0\n    return nodes[:, 1].copy()")
    assert not writer.compiled and "TypingError" in writer.jit_error
    result = simulate(scenario, writer)
    assert result.status is OutputStatus.RAISED and "read-only" in result.message


def test_both_paths_agree_on_a_larger_random_scenario(make_scenario, seed_programs):
    rng = np.random.default_rng(7)
    n, m = 400, 12
    scenario = make_scenario(
        rng.choice([4.0, 8.0, 16.0], size=(m, 4)) * [1, 4, 0, 0],
        np.column_stack([rng.uniform(0.1, 4, n), rng.uniform(0.1, 16, n), np.zeros(n), np.zeros(n)]),
        arrival=np.sort(rng.exponential(0.5, n).cumsum()),
        duration=rng.lognormal(1.5, 0.8, n),
        timeout=30.0,
    )
    for prog in seed_programs.values():
        fast, slow = simulate(scenario, prog), simulate(scenario, prog, use_jit=False)
        assert fast.compiled and not slow.compiled
        np.testing.assert_array_equal(fast.placement.node, slow.placement.node)
        assert math.isclose(fast.metrics.reward, slow.metrics.reward, rel_tol=0, abs_tol=0)
        assert fast.decisions == slow.decisions == int((fast.placement.node >= 0).sum())


def test_replay_reproduces_a_placement_and_refuses_a_forged_one(seed_programs):
    from aurora_evo.scenario import load_scenario
    from aurora_evo.seeds import seed_scenario_paths
    from aurora_evo.sim import compute_metrics
    from aurora_evo.sim.simulate import replay

    scenario = load_scenario(seed_scenario_paths("hard", "cloud")[0])
    result = simulate(scenario, seed_programs["best_fit"])
    again = replay(scenario, result.placement.node)
    assert again is not None
    assert compute_metrics(scenario, again) == result.metrics

    node = result.placement.node.copy()
    placed = np.flatnonzero(node >= 0)
    forged = node.copy()
    forged[placed[0]] = len(scenario.nodes)  # no such node
    assert replay(scenario, forged) is None
    rejected = np.flatnonzero(node < 0)
    if rejected.size:  # a rejected task claimed placed
        forged = node.copy()
        forged[rejected[0]] = 0
        assert replay(scenario, forged) is None
    forged = node.copy()
    forged[placed[-1]] = -1  # a placed task claimed rejected
    assert replay(scenario, forged) is None
    assert replay(scenario, node[:-1]) is None
    assert replay(scenario, node.astype(float)) is None


@pytest.mark.parametrize("use_jit", [True, False])
def test_a_node_shows_when_its_last_running_task_ends(make_scenario, use_jit):
    # -N_BUSY_UNTIL: the node that goes idle soonest. A (0-10 s) on node 0, B (1-4 s) on node 1 as
    # node 0 is busy until 10, C at 2 s on node 1 (busy until 4); D at 20 s finds both idle again.
    scenario = make_scenario(
        [[4, 16, 0, 0]] * 2, [[1, 1, 0, 0]] * 4, arrival=[0, 1, 2, 20], duration=[10, 3, 1, 1]
    )
    result = simulate(scenario, program("return -nodes[:, N_BUSY_UNTIL]", jit=use_jit), use_jit=use_jit)
    assert result.placement.node.tolist() == [0, 1, 1, 1]
    seen = decision_states(scenario, result.placement.node, np.arange(4))
    assert seen.node_feat[:, :, N_BUSY_UNTIL].tolist() == [[0, 0], [10, 0], [10, 4], [10, 4]]
