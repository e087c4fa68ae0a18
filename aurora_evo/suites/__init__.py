"""Named suites of scenarios, split train / validation / test by time: ``google-2011``, ``alibaba-2018``
and ``azure`` replay real trace windows (:mod:`aurora_evo.traces`), ``synthetic`` draws from the
generators. :func:`load_suite` gives one; ``aurora-evo suites build NAME`` makes one
(:mod:`aurora_evo.suites.build`); :mod:`aurora_evo.suites.specs` says what each is made of.
"""

from __future__ import annotations

from aurora_evo.errors import InputError
from aurora_evo.suites.specs import SPLITS, SUITES, TraceSuiteSpec
from aurora_evo.suites.store import Suite, read_suite, shipped_folder, suite_path

#: The suites' names, in the order they are listed.
SUITE_NAMES = tuple(SUITES)

__all__ = ["SPLITS", "SUITE_NAMES", "Suite", "load_suite"]


def load_suite(name: str) -> Suite:
    """The suite called ``name`` (or in the suite file at the path ``name``), shipped or built.

    Raises:
        InputError: no such suite, a suite not built yet (naming the command that builds it), or a
            file that is no suite.
    """
    path = suite_path(name)
    if path is None:
        if name not in SUITES:
            raise InputError(f"unknown suite {name!r}; known: {', '.join(SUITE_NAMES)}")
        data = " --data ../shared/data" if isinstance(SUITES[name], TraceSuiteSpec) else ""
        raise InputError(f"suite {name} is not built yet: run `aurora-evo suites build {name}{data}`")
    if not path.is_file():
        raise InputError(f"{path}: no such suite file")
    # The shipped suites pass the scenario format's schema (a test checks): only the model checks them.
    return read_suite(path, schema_checked=path.parent == shipped_folder())
