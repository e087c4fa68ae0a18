"""Evaluation on a distributed engine: where ``--cluster`` points (:func:`cluster_executor`).

Dask (the ``dask`` extra): ``local:N``, a ``LocalCluster`` of N worker processes on this machine;
``tcp://HOST:PORT``, a running scheduler. Ray (the ``ray`` extra): ``ray:local:N``, a local Ray of N
cpus; ``ray:HOST:PORT`` or ``ray://HOST:PORT``, a running cluster. Each backend keeps the sandbox's
contract: every evaluation runs in a jail on the worker, nothing of this process's environment is sent,
and results are checked on arrival.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from aurora_evo.cluster.spec import parse_cluster
from aurora_evo.errors import ClusterError, InputError

if TYPE_CHECKING:
    from aurora_evo.sandbox import SandboxConfig

__all__ = ["ClusterError", "cluster_executor", "parse_cluster"]


def cluster_executor(spec: str, config: SandboxConfig):
    """The executor for ``--cluster spec`` with sandboxes of ``config``'s limits."""
    kind, where = parse_cluster(spec)
    if kind is None:
        raise InputError(f"--cluster {spec!r}: {where}")
    if kind.startswith("ray"):
        executor = _engine(spec, "aurora_evo.cluster.ray_backend", "RayExecutor", "ray")
        return executor(config, local_cpus=where) if kind == "ray-local" else executor(config, address=where)
    executor = _engine(spec, "aurora_evo.cluster.dask_backend", "DaskExecutor", "dask")
    return executor(config, local_workers=where) if kind == "local" else executor(config, address=where)


def _engine(spec: str, module: str, name: str, extra: str):
    """The executor class of an engine, imported only now (each is heavy); a missing extra is one line."""
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError:
        raise InputError(f'--cluster {spec}: needs the {extra} extra (pip install -e ".[{extra}]")') from None
