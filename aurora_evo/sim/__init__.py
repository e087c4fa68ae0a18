"""The discrete-event simulator (numba kernels behind a small wrapper), its metrics and Pareto helpers."""

from aurora_evo.sim.metrics import Metrics, Placement, compute_metrics, gini
from aurora_evo.sim.simulate import SimResult, simulate

__all__ = ["Metrics", "Placement", "SimResult", "compute_metrics", "gini", "simulate"]
