"""Reader of the Azure VM 2017 trace in the derived form of Bergsma et al. (SOSP 2021).

Huawei Cloud's ``trace_generation_rnn`` repository publishes the Azure Public Dataset V1 (Cortez et al.,
SOSP 2017, CC-BY 4.0) as sequences, one 300 s bin a line. A flavour file (``v1.{train,dev,test}.txt``):

    300 g,|,g,|,b,m,|

is the bin's time (seconds since the 30-day trace's start) and the VMs created since the line above, each
a flavour letter (``maps/flav_map.txt``: ``cores,memory_gb letter``), ``|`` closing a batch (the VMs one
subscription created in the bin). A duration file (``v1.dev.c2100000.txt``...) has the same layout, one
token per VM: ``U<k>`` the VM ended before the split's end (the ``c`` number) with a lifetime in bin ``k``
of ``maps/v1.interval_map.txt`` (``seconds bin`` a line, in 300 s steps), ``C<k>`` it was still running
then, having run for a time in bin ``k``.

:func:`read_azure_vm2017` yields one :class:`~aurora_evo.traces.records.TraceTask` per VM, in file order:

- ``arrival_s`` = the bin's time as written (the VM arrived in the 300 s before it; the trace keeps no
  finer time, and spreading VMs within the bin would invent one). The origin is the 30-day trace's start,
  so a dev or test split does not start at 0;
- ``duration_s`` = the middle of the lifetime bin: a map line ``s k`` stands for lifetimes in
  ``[s, s + 300)``, so bin ``k`` holds ``[first s, last s + 300)`` and its middle is their mean (bin 0:
  150 s). A censored ``C<k>`` keeps the length it had run at the split's end (a lower bound of its
  lifetime), has ``outcome`` ``"censored"`` (``"finish"`` otherwise) and is counted in
  ``repaired["censored at the split's end"]``;
- ``cpu`` = the flavour's cores, ``memory`` = its memory, GB;
- ``job`` = ``"<bin time>/<batch number in the bin, from 0>"``, ``index`` = the VM's place in its batch.

``summary.rows`` counts VMs (flavour tokens). Without a duration file a VM's lifetime is unknown and
every VM is dropped (``"no duration file"``): the train split's duration file is not published here, and
inventing lifetimes is a scenario's choice, not a reader's.

A :class:`~aurora_evo.traces.records.TraceError`: a map or trace file that cannot be read; a map line
not ``number,number letter`` or ``seconds bin``; a trace line whose time is not an integer or not after
the line above; an unknown flavour letter; a duration token not ``U<k>``/``C<k>`` with ``k`` in the
interval map; a duration file whose line (time, batches, VMs) does not match the flavour file's.
Reading streams line by line; errors are raised while iterating, not when called.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import zip_longest
from pathlib import Path

from aurora_evo.traces.records import ReadSummary, TraceError, TraceTask

#: Seconds between the interval map's lines, and the width of a trace line's bin.
BIN_S = 300
_FLAVOUR_LINE = re.compile(r"(\d+(?:\.\d+)?),(\d+(?:\.\d+)?) ([a-z])", re.ASCII)
_INTERVAL_LINE = re.compile(r"(\d+) (\d+)", re.ASCII)
_DURATION = re.compile(r"([UC])(\d+)", re.ASCII)


def read_flavour_map(path: str | Path) -> dict[str, tuple[float, float]]:
    """The flavours of ``flav_map.txt``: letter -> (cores, memory GB)."""
    flavours = {}
    for line_number, text in _stripped_lines(path):
        match = _FLAVOUR_LINE.fullmatch(text)
        if match is None:
            raise TraceError(f"{path}: line {line_number}: {text!r} is not 'cores,memory_gb letter'")
        flavours[match.group(3)] = (float(match.group(1)), float(match.group(2)))
    return flavours


def read_interval_map(path: str | Path) -> dict[int, float]:
    """The lifetime bins of ``v1.interval_map.txt``: bin -> its middle, seconds (see the module docstring)."""
    edges: dict[int, tuple[int, int]] = {}
    for line_number, text in _stripped_lines(path):
        match = _INTERVAL_LINE.fullmatch(text)
        if match is None:
            raise TraceError(f"{path}: line {line_number}: {text!r} is not 'seconds bin'")
        seconds, index = int(match.group(1)), int(match.group(2))
        low, high = edges.get(index, (seconds, seconds))
        edges[index] = (min(low, seconds), max(high, seconds))
    return {index: (low + high + BIN_S) / 2 for index, (low, high) in edges.items()}


def read_azure_vm2017(
    flavour_path: str | Path,
    duration_path: str | Path | None = None,
    summary: ReadSummary | None = None,
    maps_dir: str | Path | None = None,
) -> Iterator[TraceTask]:
    """Stream the VMs of the derived Azure VM 2017 flavour file at ``flavour_path`` as tasks, in arrival
    order, lifetimes from the aligned ``duration_path``.

    Units: seconds since the 30-day trace's start, cores, GB (see the module docstring). The maps are
    read from ``maps_dir``, by default the ``maps`` folder beside the traces' folder (the repository's
    ``resources/maps``). ``summary``, when given, is filled as the files are read.

    Raises:
        TraceError: a file cannot be read or breaks the format (see the module docstring).
    """
    summary = summary if summary is not None else ReadSummary()
    maps = Path(maps_dir) if maps_dir is not None else Path(flavour_path).parent.parent / "maps"
    flavours = read_flavour_map(maps / "flav_map.txt")
    bins = read_interval_map(maps / "v1.interval_map.txt") if duration_path is not None else {}
    durations = _stripped_lines(duration_path) if duration_path is not None else None
    last_time = -1
    line_number = 0
    for line_number, text in _stripped_lines(flavour_path):
        time, tokens = _split(flavour_path, line_number, text)
        if time <= last_time:
            raise TraceError(f"{flavour_path}: line {line_number}: time {time} is not after the line above")
        last_time = time
        lifetimes = (
            _aligned(duration_path, next(durations, None), time, tokens, bins)
            if durations is not None
            else None
        )
        yield from _bin_tasks(flavour_path, line_number, time, tokens, lifetimes, flavours, bins, summary)
    if durations is not None and next(durations, None) is not None:
        raise TraceError(
            f"{duration_path}: has more bins than {flavour_path}, which ends at line {line_number}"
        )


def _bin_tasks(
    path: str | Path,
    line_number: int,
    time: int,
    tokens: list[str],
    lifetimes: list[str] | None,
    flavours: dict[str, tuple[float, float]],
    bins: dict[int, float],
    summary: ReadSummary,
) -> Iterator[TraceTask]:
    """The tasks of one bin's flavour ``tokens`` (``lifetimes`` aligned with them, or ``None``)."""
    batch = index = 0
    for position, token in enumerate(tokens):
        if token == "|":
            batch, index = batch + 1, 0
            continue
        if token not in flavours:
            raise TraceError(f"{path}: line {line_number}: flavour {token!r} is not in the flavour map")
        summary.rows += 1
        if lifetimes is None:
            summary.dropped["no duration file"] += 1
            continue
        duration = bins[int(lifetimes[position][1:])]
        censored = lifetimes[position].startswith("C")
        if censored:
            summary.repaired["censored at the split's end"] += 1
        cpu, memory = flavours[token]
        summary.tasks += 1
        yield TraceTask(
            arrival_s=float(time),
            duration_s=duration,
            cpu=cpu,
            memory=memory,
            job=f"{time}/{batch}",
            index=index,
            outcome="censored" if censored else "finish",
        )
        index += 1


def _aligned(
    path: str | Path | None,
    line: tuple[int, str] | None,
    time: int,
    flavour_tokens: list[str],
    bins: dict[int, float],
) -> list[str]:
    """The duration tokens of the duration file's ``line``, checked against the flavour line's and the
    interval map's ``bins``."""
    if line is None:
        raise TraceError(f"{path}: ends before the flavour file's bin {time}")
    line_number, text = line
    duration_time, tokens = _split(path, line_number, text)
    if duration_time != time or len(tokens) != len(flavour_tokens):
        raise TraceError(
            f"{path}: line {line_number}: bin {duration_time} with {len(tokens)} tokens does not match "
            f"the flavour file's bin {time} with {len(flavour_tokens)}"
        )
    for token, flavour in zip_longest(tokens, flavour_tokens):
        if (token == "|") != (flavour == "|"):
            raise TraceError(f"{path}: line {line_number}: batches do not match the flavour file's")
        if token == "|":
            continue
        match = _DURATION.fullmatch(token)
        if match is None:
            raise TraceError(f"{path}: line {line_number}: duration {token!r} is not U<bin> or C<bin>")
        if int(match.group(2)) not in bins:
            raise TraceError(
                f"{path}: line {line_number}: duration {token!r}: "
                f"bin {match.group(2)} is not in the interval map"
            )
    return tokens


def _split(path: str | Path, line_number: int, text: str) -> tuple[int, list[str]]:
    """A trace line's time and its tokens (``|`` kept; the empty token after a trailing comma dropped)."""
    time_text, _, rest = text.partition(" ")
    if not time_text.isdigit() or not time_text.isascii():
        raise TraceError(f"{path}: line {line_number}: time {time_text!r} is not a whole number of seconds")
    tokens = rest.strip().split(",") if rest.strip() else []
    if tokens and tokens[-1] == "":
        tokens.pop()
    return int(time_text), tokens


def _stripped_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """``(line number from 1, stripped line)`` of the non-blank lines of the text file at ``path``; a
    :class:`TraceError` when it cannot be read."""
    line_number = 0
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            for line_number, line in enumerate(stream, start=1):
                if line.strip():
                    yield line_number, line.strip()
    except OSError as error:
        where = f"after line {line_number}" if line_number else "cannot be read"
        raise TraceError(f"{path}: {where}: {type(error).__name__}: {error}") from None
