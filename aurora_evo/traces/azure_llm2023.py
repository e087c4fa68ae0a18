"""Reader of the Azure LLM inference trace 2023 (``AzureLLMInferenceTrace_{code,conv}.csv``).

Published by Microsoft with Patel et al., "Splitwise: Efficient generative LLM inference using phase
splitting", ISCA 2024 (https://github.com/Azure/AzurePublicDataset, CC-BY 4.0). Each file is a CSV with
the header ``TIMESTAMP,ContextTokens,GeneratedTokens`` and one inference request a row, sorted by time:

    2023-11-16 18:17:03.9799600,4808,10

(``TIMESTAMP`` with exactly 7 fractional digits, i.e. 100 ns ticks; the trace gives no time zone).

:func:`read_azure_llm2023` yields one :class:`~aurora_evo.traces.records.TraceTask` per request, in file
order:

- ``arrival_s`` = seconds since the file's first request's ``TIMESTAMP`` (so the first arrival is 0).
  Timestamps are parsed as whole 100 ns ticks and subtracted as integers, so no digit is rounded away
  before the one final division; the missing time zone does not matter to differences within one hour;
- ``duration_s`` = the service time of :class:`ServiceModel` from the request's tokens (a model, not a
  measurement: the trace records no latency);
- ``gpu`` = the model's GPUs, ``cpu`` = its host cores, ``memory`` = its host memory, GiB;
- ``job`` = the request's data row number (from 1, the header not counted), ``index`` = 0.

Rows the format does not allow are a :class:`~aurora_evo.traces.records.TraceError`, not a counted drop:
the published files have none, so such a row means the file is not this trace (or is damaged). That is a
header other than the one above, a row without 3 fields, a timestamp not ``YYYY-MM-DD HH:MM:SS.fffffff``,
a token count that is not a non-negative integer, and a timestamp before the row above it. A request
with 0 context and 0 generated tokens has no service time: it is dropped (``"no tokens"``). Reading
streams row by row; errors are raised while iterating, not when called.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from aurora_evo.traces.records import ReadSummary, TraceError, TraceTask

#: The header row of both files.
HEADER = ("TIMESTAMP", "ContextTokens", "GeneratedTokens")

_TICKS_PER_SECOND = 10_000_000
_TIMESTAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{7})", re.ASCII)
_TOKENS = re.compile(r"\d+", re.ASCII)


@dataclass(frozen=True)
class ServiceModel:
    """How long a request holds its GPUs, from its tokens: a model, not measured on this trace.

    ``service_s = prefill_s_per_1k_context * context_tokens / 1000 + decode_s_per_token * generated``:
    the prompt is processed in one compute-bound pass (time linear in its tokens), then each output token
    costs one memory-bound step (Patel et al., ISCA 2024, sections II-III, characterise the two phases so).

    The defaults are NVIDIA's published NIM 1.8.0 benchmark for Llama 3.1 70B Instruct, FP8, on two H100
    80 GB (tensor-parallel) at concurrency 1, 5,000 input and 500 output tokens: time to first token
    406.77 ms (81.35 ms per 1,000 context tokens) and 18.58 ms between tokens
    (https://docs.nvidia.com/nim/benchmarking/llm/latest/performance.html, as published for NIM 1.8.0).
    Concurrency 1 means no batching: a request has its GPUs to itself. The host share is two GPUs' share
    (a quarter) of an Azure ND H100 v5 VM (8 x H100, 96 vCPUs, 1,900 GiB memory; Microsoft Learn,
    "ND H100 v5 series").

    Attributes:
        prefill_s_per_1k_context: seconds to process 1,000 context (prompt) tokens.
        decode_s_per_token: seconds to generate one output token.
        cpu_cores: host cores a request holds while served.
        memory_gib: host memory a request holds while served, GiB.
        gpus: GPUs a request holds while served.
    """

    prefill_s_per_1k_context: float = 0.081354
    decode_s_per_token: float = 0.01858
    cpu_cores: float = 24.0
    memory_gib: float = 475.0
    gpus: float = 2.0

    def service_s(self, context_tokens: int, generated_tokens: int) -> float:
        """Seconds a request of ``context_tokens`` prompt and ``generated_tokens`` output holds its GPUs."""
        return (
            self.prefill_s_per_1k_context * context_tokens / 1000 + self.decode_s_per_token * generated_tokens
        )


#: The service model :func:`read_azure_llm2023` uses unless told otherwise.
DEFAULT_SERVICE = ServiceModel()


def read_azure_llm2023(
    path: str | Path, summary: ReadSummary | None = None, service: ServiceModel = DEFAULT_SERVICE
) -> Iterator[TraceTask]:
    """Stream the requests of the Azure LLM inference trace CSV at ``path`` as tasks, in arrival order.

    Units: seconds since the file's first request, GPUs, host cores, host GiB (see the module docstring).
    ``summary``, when given, is filled as the file is read: ``rows`` counts data rows.

    Raises:
        TraceError: the file cannot be read, or a row breaks the format (see the module docstring).
    """
    summary = summary if summary is not None else ReadSummary()
    first_ticks: int | None = None
    last_ticks = 0
    for row_number, fields in _rows(path):
        if row_number == 0:
            if tuple(fields) != HEADER:
                raise TraceError(f"{path}: row 0: header {','.join(fields)!r}, expected {','.join(HEADER)!r}")
            continue
        summary.rows += 1
        if len(fields) != len(HEADER):
            raise TraceError(f"{path}: row {row_number}: {len(fields)} fields, a request row has 3")
        ticks = _ticks(path, row_number, fields[0])
        context = _tokens(path, row_number, HEADER[1], fields[1])
        generated = _tokens(path, row_number, HEADER[2], fields[2])
        if first_ticks is None:
            first_ticks = last_ticks = ticks
        if ticks < last_ticks:
            raise TraceError(
                f"{path}: row {row_number}: {fields[0]} is before the row above; rows are sorted"
            )
        last_ticks = ticks
        duration = service.service_s(context, generated)
        if duration <= 0:
            summary.dropped["no tokens"] += 1
            continue
        summary.tasks += 1
        yield TraceTask(
            arrival_s=(ticks - first_ticks) / _TICKS_PER_SECOND,
            duration_s=duration,
            cpu=service.cpu_cores,
            memory=service.memory_gib,
            gpu=service.gpus,
            job=str(row_number),
        )


def _ticks(path: str | Path, row_number: int, text: str) -> int:
    """``text`` (``YYYY-MM-DD HH:MM:SS.fffffff``) as 100 ns ticks since 0001-01-01, exactly."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        raise TraceError(f"{path}: row {row_number}: TIMESTAMP {text!r} is not YYYY-MM-DD HH:MM:SS.fffffff")
    year, month, day, hour, minute, second, fraction = (int(part) for part in match.groups())
    try:
        days = date(year, month, day).toordinal()
    except ValueError:
        raise TraceError(f"{path}: row {row_number}: TIMESTAMP {text!r} is not a date") from None
    if hour > 23 or minute > 59 or second > 59:
        raise TraceError(f"{path}: row {row_number}: TIMESTAMP {text!r} is not a time of day")
    return ((days * 24 + hour) * 60 + minute) * 60 * _TICKS_PER_SECOND + second * _TICKS_PER_SECOND + fraction


def _tokens(path: str | Path, row_number: int, name: str, text: str) -> int:
    """A token count field as an integer; a :class:`TraceError` unless it is digits only."""
    if _TOKENS.fullmatch(text) is None:
        raise TraceError(f"{path}: row {row_number}: {name} {text!r} is not a non-negative integer")
    return int(text)


def _rows(path: str | Path) -> Iterator[tuple[int, list[str]]]:
    """``(row number, fields)`` of the CSV at ``path``, the header being row 0; blank lines are skipped.
    A :class:`TraceError` when the file cannot be opened or read as CSV, or has no header row."""
    row_number = -1
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as stream:
            for fields in csv.reader(stream):
                if not fields:
                    continue
                row_number += 1
                yield row_number, fields
    except (OSError, csv.Error) as error:
        where = f"after row {row_number}" if row_number >= 0 else "cannot be read"
        raise TraceError(f"{path}: {where}: {type(error).__name__}: {error}") from None
    if row_number < 0:
        raise TraceError(f"{path}: row 0: no header row, expected {','.join(HEADER)!r}")
