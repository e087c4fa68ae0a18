"""What ``--cluster`` may say, checked without importing any engine (configuration checks use it)."""

from __future__ import annotations

import re

_HOST_PORT = r"[^\s:/]+:[0-9]{1,5}"
_FORMS = (
    ("local", re.compile(r"local:([1-9][0-9]*)")),
    ("address", re.compile(rf"(tcp://{_HOST_PORT})")),
    ("ray-local", re.compile(r"ray:local:([1-9][0-9]*)")),
    ("ray-address", re.compile(rf"(ray:{_HOST_PORT}|ray://{_HOST_PORT})")),
)
#: What a spec must look like, for messages.
EXPECTED = (
    "expected local:N (a Dask cluster of N worker processes here), tcp://HOST:PORT (a Dask scheduler), "
    "ray:local:N (a local Ray of N cpus), ray:HOST:PORT (a Ray cluster's address) or ray://HOST:PORT "
    "(Ray Client)"
)


def parse_cluster(spec: str) -> tuple[str | None, str | int]:
    """``(kind, N or address)``: ``("local", N)``, ``("address", "tcp://HOST:PORT")``,
    ``("ray-local", N)``, ``("ray-address", "ray:HOST:PORT" or "ray://HOST:PORT")``; or
    ``(None, why not)``."""
    for kind, form in _FORMS:
        if match := form.fullmatch(spec):
            value = match.group(1)
            return kind, int(value) if kind.endswith("local") else value
    return None, EXPECTED
