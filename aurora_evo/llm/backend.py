"""What an LLM backend is: one chat call (:class:`ChatRequest`), its answer (:class:`Completion`), and the
one exception a failed call raises (:class:`BackendError`, whose :class:`ErrorKind` says whether retrying
can help, with the server's requested wait when it gave one).

The backends themselves, one module per provider: :mod:`aurora_evo.llm.openai_backend` (any
OpenAI-compatible server) and :mod:`aurora_evo.llm.gemini_backend`, on what
:mod:`aurora_evo.llm.sdk_backend` gives both. Each makes exactly one attempt per
:meth:`~Backend.complete` call: the SDKs' own retries are switched off, because the caller retries (see
:mod:`aurora_evo.llm.retry`) so that every attempt is recorded. Messages are one line and never contain
the API key.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

#: The longest error message kept (the SDKs' messages can embed whole response bodies).
MAX_MESSAGE_CHARS = 400
#: Messages are kept this long until the key has been scrubbed from them, then cut to MAX_MESSAGE_CHARS.
UNCUT_MESSAGE_CHARS = 4000


class ErrorKind(enum.StrEnum):
    """Why a call failed; :attr:`retryable` says whether another attempt can succeed."""

    RATE_LIMITED = "rate_limited"  # 429 / RESOURCE_EXHAUSTED
    SERVER = "server_error"  # 5xx
    TIMEOUT = "timeout"
    CONNECTION = "connection"  # refused, reset
    BAD_RESPONSE = "bad_response"  # undecodable/truncated JSON, no choices/candidates, no text
    AUTH = "auth"  # 401/403, or Gemini's 400 API_KEY_INVALID
    BAD_REQUEST = "bad_request"  # other 4xx (e.g. unknown model), or a backend that cannot be set up
    CUT_OFF = "cut_off"  # the output-token limit was reached before any answer text (thinking used it up)

    @property
    def retryable(self) -> bool:
        return self in _RETRYABLE


_RETRYABLE = frozenset(
    {
        ErrorKind.RATE_LIMITED,
        ErrorKind.SERVER,
        ErrorKind.TIMEOUT,
        ErrorKind.CONNECTION,
        ErrorKind.BAD_RESPONSE,
    }
)


class BackendError(Exception):
    """A failed call: its ``kind``, a one-line ``message``, the server's ``retry_after`` (seconds), the
    HTTP ``status`` when there was one, and the ``usage`` (prompt, completion tokens) the server billed
    for an answer it did send (e.g. one with no text), with the ``model`` it names."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        usage: tuple[int, int] | None = None,
        model: str | None = None,
    ):
        # Cut only after the key is scrubbed (see _scrubbed): a cut through a key would keep its prefix.
        message = one_line(message, UNCUT_MESSAGE_CHARS)
        super().__init__(message)
        self.kind = ErrorKind(kind)
        self.message = message
        self.retry_after = retry_after
        self.status = status
        self.usage = usage
        self.model = model

    def __reduce__(self) -> tuple[Callable[..., BackendError], tuple[Any, ...]]:
        return _restore_error, (
            self.kind,
            self.message,
            self.retry_after,
            self.status,
            self.usage,
            self.model,
        )

    def __repr__(self) -> str:
        extras = "".join(
            f", {name}={value!r}"
            for name, value in (("retry_after", self.retry_after), ("status", self.status))
            if value is not None
        )
        return f"BackendError({self.kind.value!r}, {self.message!r}{extras})"


def _restore_error(
    kind: ErrorKind,
    message: str,
    retry_after: float | None,
    status: int | None,
    usage: tuple[int, int] | None = None,
    model: str | None = None,
) -> BackendError:
    return BackendError(kind, message, retry_after=retry_after, status=status, usage=usage, model=model)


@dataclass(frozen=True)
class ChatRequest:
    """One chat call: a system prompt and a user message to ``model``.

    ``json_schema``, when set, is a JSON Schema the answer must follow (structured output), sent the
    provider's way: OpenAI's ``response_format`` of type ``json_schema`` (not strict: strict mode
    restricts the keywords a schema may use), Gemini's ``responseMimeType`` JSON with ``responseJsonSchema``.
    """

    model: str
    system: str
    user: str
    temperature: float = 1.0
    max_output_tokens: int = 4096
    timeout_s: float = 120.0
    json_schema: dict | None = None


@dataclass(frozen=True)
class Completion:
    """A successful answer.

    Attributes:
        text: the answer (for Gemini the non-thought parts, joined).
        model: the model as the server names it (the requested name when it names none).
        prompt_tokens: input tokens, as the server counts them (0 when it does not say).
        completion_tokens: output tokens, thinking included (Gemini reports it apart, ``thoughtsTokenCount``).
        thoughts: Gemini's thought summaries, or an OpenAI-compatible server's ``reasoning_content``.
    """

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    thoughts: str = ""


class Backend(Protocol):
    """An LLM provider: one attempt per call, failures raised as :class:`BackendError` only."""

    name: str

    def complete(self, request: ChatRequest, api_key: str) -> Completion: ...


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
