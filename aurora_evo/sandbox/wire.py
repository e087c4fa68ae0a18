"""Byte framing on pipes: requests and replies between client and supervisor, results from the jail.

Nothing is pickled. A *message* is a JSON header plus an optional binary blob (raw little-endian
numbers); a *jail result* is a fixed header, a short UTF-8 message and a blob of int64 values, read
with a size cap because the jailed process writes it and may lie.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable, Mapping

import numpy as np

_MESSAGE_HEADER = struct.Struct("<II")  # json length, blob length
_RESULT_HEADER = struct.Struct("<4siIQ")  # magic, outcome code, message length, payload length
RESULT_MAGIC = b"AEJ1"
MAX_RESULT_MESSAGE = 1024


class FrameError(ValueError):
    """A frame was cut short, too long, or malformed."""


def _read_exactly(fd: int, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise FrameError(f"pipe closed with {remaining} of {size} bytes unread")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (a pipe may take it in parts)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def encode_message(header: dict, blob: bytes = b"") -> bytes:
    """A message as bytes: the lengths, the JSON header, the blob."""
    encoded = json.dumps(header, separators=(",", ":")).encode()
    return _MESSAGE_HEADER.pack(len(encoded), len(blob)) + encoded + blob


def send_message(fd: int, header: dict, blob: bytes = b"") -> None:
    write_all(fd, encode_message(header, blob))


def receive_message(fd: int, max_bytes: int = 1 << 31) -> tuple[dict, bytes]:
    json_len, blob_len = _MESSAGE_HEADER.unpack(_read_exactly(fd, _MESSAGE_HEADER.size))
    if json_len + blob_len > max_bytes:
        raise FrameError(f"message of {json_len + blob_len} bytes exceeds the cap of {max_bytes}")
    header = json.loads(_read_exactly(fd, json_len))
    return header, _read_exactly(fd, blob_len)


Handler = Callable[[dict, bytes], tuple[dict, bytes]]


def serve_requests(
    requests_fd: int,
    replies_fd: int,
    handlers: Mapping[str, Handler],
    after: Mapping[str, Callable[[], None]],
) -> None:
    """Answer messages until the client goes away or sends ``{"op": "stop"}``: ``handlers[op]`` makes
    the reply to each, ``after[op]`` (if any) runs once it is sent; an unknown op gets an error."""
    while True:
        try:
            request, blob = receive_message(requests_fd)
        except FrameError:  # the client went away
            return
        op = request.get("op")
        if op == "stop":
            return
        handler = handlers.get(op)
        if handler is None:
            send_message(replies_fd, {"error": f"unknown op {op!r}"})
            continue
        reply, reply_blob = handler(request, blob)
        del request, blob  # no copy of a request outlives it here longer than needed
        send_message(replies_fd, reply, reply_blob)
        if op in after:
            after[op]()


def encode_result(outcome_code: int, message: str, payload: np.ndarray | None = None) -> bytes:
    """What a jail writes: outcome, a capped message and int64 values (decisions, or a witness's
    picks)."""
    text = message.encode("utf-8", "replace")[:MAX_RESULT_MESSAGE]
    blob = b"" if payload is None else np.ascontiguousarray(payload, dtype="<i8").tobytes()
    return _RESULT_HEADER.pack(RESULT_MAGIC, outcome_code, len(text), len(blob)) + text + blob


def decode_result(data: bytes, max_values: int) -> tuple[int, str, np.ndarray]:
    """Parse a jail's result; every length is checked against what was actually read and the caps."""
    if len(data) < _RESULT_HEADER.size:
        raise FrameError(f"result of {len(data)} bytes is shorter than its header")
    magic, code, text_len, blob_len = _RESULT_HEADER.unpack_from(data)
    if magic != RESULT_MAGIC:
        raise FrameError("result does not start with the jail's magic bytes")
    if text_len > MAX_RESULT_MESSAGE or blob_len > 8 * max_values or blob_len % 8:
        raise FrameError(f"result lengths out of range (message {text_len} B, payload {blob_len} B)")
    if len(data) != _RESULT_HEADER.size + text_len + blob_len:
        raise FrameError(f"result is {len(data)} bytes, its header announces a different size")
    start = _RESULT_HEADER.size
    text = data[start : start + text_len].decode("utf-8", "replace")
    values = np.frombuffer(data, dtype="<i8", count=blob_len // 8, offset=start + text_len).astype(np.int64)
    return code, text, values


def result_missing(data: bytes | bytearray) -> int:
    """Bytes the result frame begun in ``data`` still lacks, as its header announces them (the rest of
    the header while it is incomplete; 0 once the frame is whole, or the header is bad)."""
    if len(data) < _RESULT_HEADER.size:
        return _RESULT_HEADER.size - len(data)
    magic, _, text_len, blob_len = _RESULT_HEADER.unpack_from(data)
    if magic != RESULT_MAGIC:
        return 0
    return max(0, _RESULT_HEADER.size + text_len + blob_len - len(data))


def result_size_cap(max_values: int) -> int:
    """Bytes a supervisor reads from a jail at most before it stops listening."""
    return _RESULT_HEADER.size + MAX_RESULT_MESSAGE + 8 * max_values
