"""Simulating the linear policy in this process, with its weights as an array: one compiled kernel.

A genetic algorithm scores thousands of weight vectors. Each could be written as a program and run
like any other (:func:`aurora_evo.sim.simulate`), but the compiled runner takes only a program of the
contract, ``priority(task, nodes)``, so numba would compile every candidate anew; or the numpy path
would call Python at every decision. Instead :func:`simulate_linear` runs the engine's own event
kernels (:func:`aurora_evo.sim.engine.advance` and :func:`~aurora_evo.sim.engine.place`) in a loop
that takes the weights as an argument: numba compiles it once (and caches it on disk: about 12 s the
first time, 0.5 s to load after), and a new candidate costs only its simulation. Measured on
``seeds/scenarios/hard-cloud-01.json`` (250 tasks, 25 nodes), one evaluation (metrics included) takes
0.9 ms this way, 18 ms on the numpy path, and about 1 s for the program written out and compiled by
numba (all but 2 ms of it compiling).

The loop makes the decisions the exported program (:func:`~aurora_evo.baselines.linear_policy.
linear_program_source`) makes: the same terms (:func:`~aurora_evo.baselines.linear_policy.linear_terms`
itself, compiled), summed in the same order; ``tests/baselines`` checks it against the sandbox.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from aurora_evo.baselines.linear_policy import TERMS, linear_terms
from aurora_evo.features import N_FITS
from aurora_evo.scenario.model import Scenario
from aurora_evo.sim import engine
from aurora_evo.sim.metrics import Metrics, compute_metrics
from aurora_evo.sim.simulate import placement_of, sim_arrays

# error_model="numpy" as for programs (aurora_evo.program_loading): a division gives inf, never raises.
_compiled_terms = njit(cache=True, error_model="numpy")(linear_terms)


@njit(cache=True, error_model="numpy")
def _run_linear(weights, s):
    """Run the whole simulation ``s``, placing each task on the fitting node of highest score
    ``sum(weights[j] * term j)`` (lowest index on ties), the terms added in :data:`TERMS` order.

    ``weights``: ``(len(TERMS),)`` float64.
    """
    n_nodes = s.free.shape[0]
    while True:
        k = engine.advance(s)
        if k < 0:
            return
        terms = _compiled_terms(s.task_row, s.node_feat)
        best = -1
        best_score = 0.0
        for n in range(n_nodes):
            if s.node_feat[n, N_FITS] > 0.5:
                score = weights[0] * terms[0][n]
                for j in range(1, len(terms)):
                    score += weights[j] * terms[j][n]
                if best < 0 or score > best_score:
                    best = n
                    best_score = score
        engine.place(s, k, best)


def simulate_linear(scenario: Scenario, weights: np.ndarray) -> Metrics:
    """The metrics of the linear policy with ``weights`` (``(len(TERMS),)``, every term's, see
    :func:`~aurora_evo.baselines.linear_policy.full_weights`) on ``scenario``."""
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    if weights.shape != (len(TERMS),):
        raise ValueError(f"simulate_linear needs {len(TERMS)} weights, got shape {weights.shape}")
    arrays, order = sim_arrays(scenario)
    _run_linear(weights, arrays)
    return compute_metrics(scenario, placement_of(arrays, order))
