"""Evaluation on a distributed engine: where ``--cluster`` points (:func:`cluster_executor`).

``local:N``: a Dask ``LocalCluster`` of N worker processes on this machine; ``tcp://HOST:PORT``: a
running Dask scheduler. Each backend keeps the sandbox's contract: every evaluation runs in a jail on
the worker, nothing of this process's environment is sent, and results are checked on arrival. Needs
the ``dask`` extra (``pip install -e ".[dask]"``).
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
    try:
        from aurora_evo.cluster.dask_backend import DaskExecutor  # heavy: distributed
    except ImportError:
        raise InputError('--cluster needs the dask extra: pip install -e ".[dask]"') from None
    if kind == "local":
        return DaskExecutor(config, local_workers=where)
    return DaskExecutor(config, address=where)
