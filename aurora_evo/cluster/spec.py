"""What ``--cluster`` may say, checked without importing any engine (configuration checks use it)."""

from __future__ import annotations

import re

_LOCAL = re.compile(r"local:([1-9][0-9]*)")
_ADDRESS = re.compile(r"tcp://[^\s:/]+:[0-9]{1,5}")
#: What a spec must look like, for messages.
EXPECTED = (
    "expected local:N (a Dask cluster of N worker processes here) or tcp://HOST:PORT (a Dask scheduler)"
)


def parse_cluster(spec: str) -> tuple[str | None, str | int]:
    """``("local", N)``, ``("address", "tcp://HOST:PORT")``, or ``(None, why not)``."""
    if match := _LOCAL.fullmatch(spec):
        return "local", int(match.group(1))
    if _ADDRESS.fullmatch(spec):
        return "address", spec
    return None, EXPECTED
