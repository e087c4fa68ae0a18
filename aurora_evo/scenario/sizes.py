"""Task sizes of generated scenarios: resource requests (log-normal, joined by a Gaussian copula, shrunk to
fit some node type and rounded down to a grid) and service times (log-normal, clipped).

Requests are ``(n, 4)`` arrays of cores, GiB, gpus and Gbit/s; durations are in s.
"""

from __future__ import annotations

import numpy as np

from aurora_evo.scenario.params import (
    DURATION_MAX_S,
    TASK_CPU_RANGE,
    TASK_GPU_MAX,
    TASK_MEMORY_MAX_GIB,
    TASK_NETWORK_MAX_GBPS,
    TIME_DECIMALS,
    GeneratorParams,
)

# Rounding grid of generated requests, in steps per unit (cores, GiB, Gbit/s); requests are floored
# to it so that rounding never breaks a fit.
_CPU_PER_UNIT, _MEM_PER_UNIT, _NET_PER_UNIT = 100, 100, 1000


def correlated_lognormal(
    rng: np.random.Generator, n: int, mu: np.ndarray, sigma: np.ndarray, corr: np.ndarray
) -> np.ndarray:
    """``(n, d)`` draws of a Gaussian copula with log-normal marginals.

    ``mu`` and ``sigma`` (shape ``(d,)``) are the mean and standard deviation of each log; ``corr``
    (``(d, d)``, positive definite) is the correlation of the logs.
    """
    z = rng.standard_normal((n, mu.size)) @ np.linalg.cholesky(corr).T
    return np.exp(mu + sigma * z)


def job_demand(
    rng: np.random.Generator, n_jobs: int, params: GeneratorParams, types: np.ndarray
) -> np.ndarray:
    """``(n_jobs, 4)`` requests (cores, GiB, gpus, Gbit/s) before fitting; ``types`` is ``(k, 4)``."""
    largest = types.max(axis=0)
    has_net = params.net_log_mu is not None
    mu = [params.cpu_log_mu, params.mem_log_mu] + ([params.net_log_mu] if has_net else [])
    sigma = [params.cpu_log_sigma, params.mem_log_sigma] + ([params.net_log_sigma] if has_net else [])
    rho, rho_net = params.cpu_mem_corr, params.net_cpu_corr
    corr = np.array([[1.0, rho, rho_net], [rho, 1.0, rho * rho_net], [rho_net, rho * rho_net, 1.0]])
    d = len(mu)
    draws = correlated_lognormal(rng, n_jobs, np.array(mu), np.array(sigma), corr[:d, :d])
    demand = np.zeros((n_jobs, 4))
    demand[:, 0] = draws[:, 0] * params.size_scale * largest[0]
    demand[:, 1] = draws[:, 1] * params.size_scale * largest[1]
    if has_net:
        demand[:, 3] = draws[:, 2] * params.size_scale * largest[3]
    if largest[2] > 0 and params.gpu_share > 0:
        wants = rng.random(n_jobs) < params.gpu_share
        count = rng.choice(np.array([1.0, 2.0, 4.0]), size=n_jobs, p=[0.7, 0.2, 0.1])
        demand[:, 2] = np.where(wants, np.minimum(count, largest[2]), 0.0)
    return demand


def fit_to_types(demand: np.ndarray, types: np.ndarray) -> np.ndarray:
    """Shrink each request just enough to fit on at least one node type.

    ``demand`` is ``(n, 4)`` and ``types`` ``(k, 4)``; gpu counts are kept (the caller caps them at the
    largest gpu capacity) and the other resources scale down together, keeping the request's shape.
    Returns a new ``(n, 4)`` array.
    """
    out = np.array(demand, dtype=np.float64)
    wanted = np.broadcast_to(out[:, None, :], (out.shape[0], types.shape[0], out.shape[1]))
    room = np.divide(types[None, :, :], wanted, out=np.full(wanted.shape, np.inf), where=wanted > 0)
    scalable = room[:, :, [0, 1, 3]].min(axis=2)
    scalable[types[None, :, 2] < out[:, None, 2]] = -np.inf  # a type without enough gpus cannot help
    factor = np.minimum(scalable.max(axis=1), 1.0)
    if not np.all(factor > 0):
        raise ValueError("a request needs a resource (or more gpus) that no node type has")
    out[:, [0, 1, 3]] *= factor[:, None]
    return out


def _floor_to(values: np.ndarray, per_unit: int) -> np.ndarray:
    """Round down to a multiple of 1 / per_unit; k / per_unit is the double JSON reads back for it."""
    return np.floor(values * per_unit + 1e-9) / per_unit


def clip_demand(demand: np.ndarray, types: np.ndarray) -> np.ndarray:
    """Schema-clip, fit, round down to the grid and apply the lower bounds; ``(n, 4)``."""
    out = demand.copy()
    out[:, 0] = np.minimum(out[:, 0], TASK_CPU_RANGE[1])
    out[:, 1] = np.minimum(out[:, 1], TASK_MEMORY_MAX_GIB)
    out[:, 2] = np.minimum(out[:, 2], TASK_GPU_MAX)
    out[:, 3] = np.minimum(out[:, 3], TASK_NETWORK_MAX_GBPS)
    out = fit_to_types(out, types)
    out[:, 0] = np.maximum(_floor_to(out[:, 0], _CPU_PER_UNIT), TASK_CPU_RANGE[0])
    out[:, 1] = np.maximum(_floor_to(out[:, 1], _MEM_PER_UNIT), 1.0 / _MEM_PER_UNIT)
    net = np.maximum(_floor_to(out[:, 3], _NET_PER_UNIT), 1.0 / _NET_PER_UNIT)
    out[:, 3] = np.where(out[:, 3] > 0, net, 0.0)
    return out


def durations(rng: np.random.Generator, n: int, params: GeneratorParams) -> np.ndarray:
    """``(n,)`` service times in s: log-normal x duration_scale, clipped and rounded to 1 ms."""
    raw = rng.lognormal(params.duration_log_mu, params.duration_log_sigma, n) * params.duration_scale
    high = min(params.duration_max_s, DURATION_MAX_S)
    rounded = np.round(np.clip(raw, params.duration_min_s, high), TIME_DECIMALS)
    return np.clip(rounded, 10.0**-TIME_DECIMALS, high)
