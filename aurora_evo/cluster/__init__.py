"""Evaluation on a distributed engine: where ``--cluster`` points (:func:`cluster_executor`).

Dask (the ``dask`` extra): ``local:N``, a ``LocalCluster`` of N worker processes on this machine;
``tcp://HOST:PORT``, a running scheduler. Ray (the ``ray`` extra): ``ray:local:N``, a local Ray of N
cpus; ``ray:HOST:PORT`` or ``ray://HOST:PORT``, a running cluster. Each backend keeps the sandbox's
contract: every evaluation runs in a jail on the worker, nothing of this process's environment is sent,
and results are checked on arrival.
"""

from __future__ import annotations

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
        try:
            from aurora_evo.cluster.ray_backend import RayExecutor  # heavy: ray
        except ImportError:
            raise InputError('--cluster ray:... needs the ray extra: pip install -e ".[ray]"') from None
        if kind == "ray-local":
            return RayExecutor(config, local_cpus=where)
        return RayExecutor(config, address=where)
    try:
        from aurora_evo.cluster.dask_backend import DaskExecutor  # heavy: distributed
    except ImportError:
        raise InputError('--cluster needs the dask extra: pip install -e ".[dask]"') from None
    if kind == "local":
        return DaskExecutor(config, local_workers=where)
    return DaskExecutor(config, address=where)
