"""Where a dotted path rooted at a module name (``np.linalg.norm``, ``numba.njit``) leads, followed through
the real numpy and math modules (see :mod:`aurora_evo.sandbox.screen`)."""

from __future__ import annotations

import importlib
import sys
import types
from dataclasses import dataclass

from aurora_evo.sandbox.screen.vocabulary import (
    ALLOWED_MODULE_PATHS,
    JIT_PATHS,
    NUMBA_NAMES,
    NUMBA_TYPE_NAMES,
    attribute_reason,
)


@dataclass(frozen=True)
class Resolved:
    """Where a dotted path led: ``kind`` is ``module``, ``jit`` (numba's decorators), ``type`` (numba's
    type names) or ``value``; or the step that failed."""

    kind: str = "value"
    failed_at: int | None = None
    reason: str = ""


_MISSING = object()
_SUBMODULES = "the submodules allowed are " + ", ".join(
    sorted(ALLOWED_MODULE_PATHS - {"numpy", "math", "numba"})
)


def resolve(parts: list[str]) -> Resolved:
    """Follow a dotted path (``["numpy", "linalg", "norm"]``) through the real numpy and math modules.

    numba is not imported (it takes a second); its allowed names are listed in :data:`NUMBA_NAMES`.
    Only module dictionaries are read (and the allowed submodules imported), so nothing of numpy's lazy
    ``__getattr__`` runs.
    """
    top = parts[0]
    if top == "numba":
        if len(parts) == 1:
            return Resolved("module")
        if parts[1] not in NUMBA_NAMES:
            return Resolved(
                failed_at=1, reason=f"only {', '.join(sorted(NUMBA_NAMES))} may be taken from numba"
            )
        if len(parts) > 2:
            return Resolved(failed_at=2, reason="attributes of numba's objects reach its compiler")
        if f"numba.{parts[1]}" in JIT_PATHS:
            return Resolved("jit")
        return Resolved("type" if parts[1] in NUMBA_TYPE_NAMES else "value")
    if top not in ("numpy", "math"):
        return Resolved(failed_at=0, reason="only numpy, math and numba may be used")
    obj: object = sys.modules.get(top) or importlib.import_module(top)
    for i in range(1, len(parts)):
        if not isinstance(obj, types.ModuleType):
            # Attributes of functions and classes get the name rules only.
            return Resolved("value")
        name, path = parts[i], ".".join(parts[: i + 1])
        reason = attribute_reason(name)
        if reason is not None:
            return Resolved(failed_at=i, reason=reason)
        if path in ALLOWED_MODULE_PATHS:
            obj = importlib.import_module(path) if name not in vars(obj) else vars(obj)[name]
            continue
        # Whether a lazily loaded submodule (np.polynomial) is in the namespace depends on what this
        # process imported before, so a missing name and a module get the same reason.
        obj = vars(obj).get(name, _MISSING)
        if obj is _MISSING or isinstance(obj, types.ModuleType):
            return Resolved(failed_at=i, reason=f"not a name of {parts[0]} programs may use; {_SUBMODULES}")
    return Resolved("module" if isinstance(obj, types.ModuleType) else "value")
