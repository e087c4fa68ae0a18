"""aurora-evo: evolve resource-allocation programs.

Scheduling policies are small Python functions, ``priority(task, nodes) -> scores`` (and FunSearch's
``priority(item, bins)`` for bin packing), scored by a numba discrete-event simulator.
"""

__version__ = "0.1.0"

__all__ = ["Scheduler", "__version__", "load_scheduler"]


def __getattr__(name: str):
    if name in ("Scheduler", "load_scheduler"):
        # heavy: numpy and the contracts; `import aurora_evo` stays light until a scheduler is asked for.
        from aurora_evo import scheduler
        # heavy: `import aurora_evo` stays light (no numba import) until a scheduler is asked for.

        return getattr(scheduler, name)
    raise AttributeError(f"module 'aurora_evo' has no attribute {name!r}")
