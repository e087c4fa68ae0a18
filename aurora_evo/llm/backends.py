"""LLM backends: one chat call, one HTTP request, through the providers' own SDKs.

:class:`OpenAIBackend` talks to any OpenAI-compatible server (OpenAI, vLLM, llama.cpp server, Ollama)
through the ``openai`` SDK; :class:`GeminiBackend` to the Gemini API through ``google-genai``. Both make
exactly one attempt per :meth:`~Backend.complete` call: the SDKs' own retries are switched off, because
the caller retries (see :mod:`aurora_evo.llm.retry`) so that every attempt is recorded.

Every failure comes out as a :class:`BackendError` whose :class:`ErrorKind` says whether retrying can
help, with the server's requested wait (``Retry-After``, or Gemini's ``RetryInfo``) when it gave one.
Messages are one line and never contain the API key.

The SDKs are imported on first use, so this module (and :class:`BackendError`) imports without them.
"""

from __future__ import annotations

import email.utils
import enum
import importlib
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

#: The longest error message kept (the SDKs' messages can embed whole response bodies).
MAX_MESSAGE_CHARS = 400
#: Messages are kept this long until the key has been scrubbed from them, then cut to MAX_MESSAGE_CHARS.
UNCUT_MESSAGE_CHARS = 4000
#: Sent as the key to OpenAI-compatible local servers that need none (vLLM's documented placeholder).
NO_KEY_PLACEHOLDER = "EMPTY"
#: Keys at least this long are hidden wherever they appear in a message; shorter ones only as whole tokens.
MIN_SCRUB_EVERYWHERE = 8


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
        message = _one_line(message, UNCUT_MESSAGE_CHARS)
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


# ----------------------------------------------------------------------------------------------- helpers


def _one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _scrubbed(error: BackendError, api_key: str) -> BackendError:
    """A copy of ``error`` whose message cannot show the key (nor carry the SDK's traceback)."""
    message = error.message
    if len(api_key) >= MIN_SCRUB_EVERYWHERE:
        message = message.replace(api_key, "<api-key>")
    elif api_key:  # a toy key ("k"): only where it stands alone, or "package" would lose its k
        message = re.sub(rf"(?<![\w-]){re.escape(api_key)}(?![\w-])", "<api-key>", message)
    return BackendError(
        error.kind,
        _one_line(message),
        retry_after=error.retry_after,
        status=error.status,
        usage=error.usage,
        model=error.model,
    )


def _describe(exc: BaseException) -> str:
    detail = _one_line(str(exc), 1000)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _kind_for_status(status: int) -> ErrorKind:
    if status == 429:
        return ErrorKind.RATE_LIMITED
    if status in (401, 403):
        return ErrorKind.AUTH
    if status == 408:
        return ErrorKind.TIMEOUT
    if status >= 500:
        return ErrorKind.SERVER
    if 400 <= status < 500:
        return ErrorKind.BAD_REQUEST
    return ErrorKind.BAD_RESPONSE


def _retry_after_from_headers(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (delta-seconds or an HTTP date), else None."""
    if not headers:
        return None
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return max(0.0, float(value) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _retry_delay_seconds(value: object) -> float | None:
    """A protobuf ``Duration`` as JSON (``"12s"``, ``"0.5s"``) or as ``{"seconds", "nanos"}``."""
    try:
        if isinstance(value, str) and value.strip().endswith("s"):
            return max(0.0, float(value.strip()[:-1]))
        if isinstance(value, Mapping):
            return max(0.0, float(value.get("seconds", 0)) + float(value.get("nanos", 0)) / 1e9)
    except (TypeError, ValueError):
        return None
    return None


def _google_error_details(body: object) -> list[Mapping[str, Any]]:
    """The ``details`` list of a google.rpc.Status error body (``{"error": {..., "details": [...]}}``)."""
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    if not isinstance(body, Mapping):
        return []
    error = body.get("error", body)
    details = error.get("details") if isinstance(error, Mapping) else None
    return [item for item in details if isinstance(item, Mapping)] if isinstance(details, list) else []


def _combine_waits(*waits: float | None) -> float | None:
    known = [wait for wait in waits if wait is not None]
    return max(known) if known else None


def _import(module: str, package: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise BackendError(
            ErrorKind.BAD_REQUEST,
            f"the {package} package is needed for this backend: pip install {package} ({exc})",
        ) from None


class _ClientCache:
    """One SDK client per API key, created on first use; safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}

    def get(self, api_key: str, create: Callable[[str], Any]) -> Any:
        with self._lock:
            client = self._clients.get(api_key)
            if client is None:
                client = self._clients[api_key] = create(api_key)
            return client

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            try:
                client.close()
            except Exception:  # closing is best effort
                pass


class _SdkBackend:
    """What both backends share: the client cache, and the guarantee that only BackendError escapes."""

    name: ClassVar[str]

    def __init__(self, base_url: str | None = None):
        self.base_url = base_url
        self._clients = _ClientCache()

    def complete(self, request: ChatRequest, api_key: str) -> Completion:
        """One attempt at ``request``; raises :class:`BackendError` (and nothing else) when it fails."""
        try:
            return self._complete(request, api_key)
        except BackendError as error:
            failure = error
        except Exception as exc:  # the contract: only BackendError leaves complete()
            try:
                failure = self._classify(exc)
            except Exception:  # a classifier bug must not break the contract either
                failure = BackendError(ErrorKind.BAD_RESPONSE, _describe(exc))
        raise _scrubbed(failure, api_key)

    def close(self) -> None:
        """Close the cached SDK clients (new ones are made if the backend is used again)."""
        self._clients.close()

    def __getstate__(self) -> dict[str, Any]:
        return {"base_url": self.base_url}  # clients and locks stay behind

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["base_url"])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def _client(self, api_key: str) -> Any:
        """The cached SDK client for ``api_key``; a client that cannot be built is a setup problem."""
        try:
            return self._clients.get(api_key, self._create_client)
        except BackendError:
            raise
        except Exception as exc:
            raise BackendError(
                ErrorKind.BAD_REQUEST, f"cannot set up the {self.name} client: {_describe(exc)}"
            ) from None

    def _create_client(self, api_key: str) -> Any:
        raise NotImplementedError

    def _complete(self, request: ChatRequest, api_key: str) -> Completion:
        raise NotImplementedError

    def _classify(self, exc: Exception) -> BackendError:
        raise NotImplementedError


def _check_request(request: ChatRequest) -> None:
    if not request.model:
        raise BackendError(ErrorKind.BAD_REQUEST, "no model named in the request")
    if not request.timeout_s > 0:
        raise BackendError(ErrorKind.BAD_REQUEST, f"timeout_s must be positive, not {request.timeout_s}")


# ------------------------------------------------------------------------------------------------ OpenAI


class OpenAIBackend(_SdkBackend):
    """Any OpenAI-compatible chat-completions server, through the ``openai`` SDK.

    ``base_url`` is the server's API root (``http://host:8000/v1`` for vLLM, ``http://host:11434/v1`` for
    Ollama); ``None`` means the SDK's default (``OPENAI_BASE_URL``, else api.openai.com). A local server
    needing no key may be given an empty one. Sends ``max_tokens``, which vLLM, llama.cpp and Ollama all
    accept (OpenAI's reasoning models want ``max_completion_tokens`` and answer 400 to it).
    """

    name = "openai"

    def _create_client(self, api_key: str) -> Any:
        openai = _import("openai", "openai")
        # max_retries=0: the caller retries, so that every attempt is seen and recorded.
        return openai.OpenAI(api_key=api_key, base_url=self.base_url, max_retries=0)

    def _complete(self, request: ChatRequest, api_key: str) -> Completion:
        _check_request(request)
        if not api_key:
            if self.base_url is None:
                raise BackendError(ErrorKind.AUTH, "no API key for the OpenAI API: set OPENAI_API_KEY")
            api_key = NO_KEY_PLACEHOLDER
        client = self._client(api_key)
        response = client.chat.completions.create(
            model=request.model,
            messages=[
                {"role": "system", "content": request.system},
                {"role": "user", "content": request.user},
            ],
            temperature=request.temperature,
            max_tokens=request.max_output_tokens,
            timeout=request.timeout_s,
            **_openai_schema(request.json_schema),
        )
        return _openai_completion(response, request)

    def _classify(self, exc: Exception) -> BackendError:
        openai = importlib.import_module("openai")
        if isinstance(exc, openai.APITimeoutError):  # before APIConnectionError, its base class
            return BackendError(ErrorKind.TIMEOUT, f"no answer within the timeout ({_describe(exc)})")
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__
            detail = f" ({_describe(cause)})" if cause is not None else ""
            return BackendError(ErrorKind.CONNECTION, f"{_describe(exc)}{detail}")
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            message = exc.message
            if isinstance(exc.body, str) and exc.body:
                message = f"{message} - {exc.body[:1000]}"
            headers = exc.response.headers if exc.response is not None else None
            return BackendError(
                _kind_for_status(status),
                f"{type(exc).__name__}: {message}",
                retry_after=_retry_after_from_headers(headers),
                status=status,
            )
        if isinstance(exc, openai.APIResponseValidationError):
            return BackendError(ErrorKind.BAD_RESPONSE, _describe(exc), status=exc.status_code)
        if isinstance(exc, ValueError):  # json.JSONDecodeError from a cut or garbled body
            return BackendError(ErrorKind.BAD_RESPONSE, f"undecodable response: {_describe(exc)}")
        return BackendError(ErrorKind.BAD_RESPONSE, _describe(exc))


def _openai_schema(schema: dict | None) -> dict[str, Any]:
    """The ``response_format`` argument asking for JSON that follows ``schema`` (none without one)."""
    if schema is None:
        return {}
    name = re.sub(r"[^A-Za-z0-9_-]", "_", str(schema.get("title") or "answer"))[:64]
    return {
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": schema, "strict": False},
        }
    }


def _openai_completion(response: Any, request: ChatRequest) -> Completion:
    from openai.types.chat import ChatCompletion

    if not isinstance(response, ChatCompletion):
        # The SDK hands back the raw text when the server does not say it sent JSON.
        raise BackendError(
            ErrorKind.BAD_RESPONSE,
            f"expected a chat.completion object, got {type(response).__name__}: {response!s:.80}",
        )
    choices = getattr(response, "choices", None) or []
    if not choices:
        extra = (getattr(response, "model_extra", None) or {}).get("error")
        raise BackendError(
            ErrorKind.BAD_RESPONSE, "no choices in the response" + (f": {extra}" if extra else "")
        )
    choice = choices[0]
    message = getattr(choice, "message", None)
    text = getattr(message, "content", None)
    finish = getattr(choice, "finish_reason", None)
    usage = getattr(response, "usage", None)
    tokens = (int(getattr(usage, "prompt_tokens", 0) or 0), int(getattr(usage, "completion_tokens", 0) or 0))
    model = getattr(response, "model", None) or request.model
    if not isinstance(text, str) or not text.strip():
        refusal = getattr(message, "refusal", None)
        why = f"refusal: {refusal}" if refusal else f"finish_reason={finish}"
        kind = ErrorKind.CUT_OFF if finish == "length" and not refusal else ErrorKind.BAD_RESPONSE
        raise BackendError(kind, f"no text in the first choice ({why})", usage=tokens, model=model)
    # vLLM and DeepSeek call it reasoning_content; newer vLLM and Ollama call it reasoning.
    thoughts = getattr(message, "reasoning_content", None) or getattr(message, "reasoning", None)
    return Completion(
        text=text,
        model=model,
        prompt_tokens=tokens[0],
        completion_tokens=tokens[1],
        thoughts=thoughts if isinstance(thoughts, str) else "",
    )


# ------------------------------------------------------------------------------------------------ Gemini


class GeminiBackend(_SdkBackend):
    """The Gemini API, through the ``google-genai`` SDK (``x-goog-api-key`` auth, never Vertex AI).

    ``base_url`` replaces ``https://generativelanguage.googleapis.com/``; the SDK appends
    ``{api_version}/models/{model}:generateContent`` (its default API version is ``v1``).
    """

    name = "gemini"

    def _create_client(self, api_key: str) -> Any:
        genai = _import("google.genai", "google-genai")
        types = importlib.import_module("google.genai.types")
        # One attempt: HttpRetryOptions(attempts=1); the SDK defaults to none (old ones lack the option).
        retry = (
            {"retry_options": types.HttpRetryOptions(attempts=1)}
            if hasattr(types, "HttpRetryOptions")
            else {}
        )
        http_options = types.HttpOptions(base_url=self.base_url, **retry)
        # vertexai=False: GOOGLE_GENAI_USE_VERTEXAI in the environment must not redirect the calls.
        return genai.Client(api_key=api_key, vertexai=False, http_options=http_options)

    def _complete(self, request: ChatRequest, api_key: str) -> Completion:
        _check_request(request)
        if not api_key:
            raise BackendError(ErrorKind.AUTH, "no API key for Gemini: set GEMINI_API_KEY")
        client = self._client(api_key)
        types = importlib.import_module("google.genai.types")
        options: dict[str, Any] = {
            "system_instruction": request.system,
            "temperature": request.temperature,
            "max_output_tokens": request.max_output_tokens,
            # One request per call: no function-calling loop ...
            "automatic_function_calling": types.AutomaticFunctionCallingConfig(disable=True),
            # The timeout is per request (the client is shared); HttpOptions counts milliseconds.
            "http_options": types.HttpOptions(timeout=max(1, round(request.timeout_s * 1000))),
        }
        if "automatic_continuation" in types.GenerateContentConfig.model_fields:
            # ... and no following of continuation tokens (on by default in the SDKs that have it).
            options["automatic_continuation"] = False
        if request.json_schema is not None:
            # responseJsonSchema takes JSON Schema as is; older SDKs only have the OpenAPI-subset field.
            fields = types.GenerateContentConfig.model_fields
            field = "response_json_schema" if "response_json_schema" in fields else "response_schema"
            options["response_mime_type"] = "application/json"
            options[field] = request.json_schema
        config = types.GenerateContentConfig(**options)
        response = client.models.generate_content(model=request.model, contents=request.user, config=config)
        return _gemini_completion(response, request)

    def _classify(self, exc: Exception) -> BackendError:
        errors = importlib.import_module("google.genai.errors")
        if isinstance(exc, errors.APIError):
            return _gemini_api_error(exc)
        # The SDK does not wrap transport failures: its HTTP library's own exceptions surface (httpx2 in
        # google-genai 3.x, httpx before).
        for transport in _http_modules():
            if isinstance(exc, transport.TimeoutException):
                return BackendError(ErrorKind.TIMEOUT, f"no answer within the timeout ({_describe(exc)})")
            if isinstance(exc, transport.UnsupportedProtocol):
                return BackendError(ErrorKind.BAD_REQUEST, f"bad base URL: {_describe(exc)}")
            if isinstance(exc, transport.TransportError):
                return BackendError(ErrorKind.CONNECTION, _describe(exc))
        if isinstance(exc, errors.UnknownApiResponseError | ValueError):
            # json.JSONDecodeError from a cut body, or a pydantic error from a malformed one.
            return BackendError(ErrorKind.BAD_RESPONSE, f"undecodable response: {_describe(exc)}")
        return BackendError(ErrorKind.BAD_RESPONSE, _describe(exc))


def _http_modules() -> list[Any]:
    modules = []
    for name in ("httpx2", "httpx"):
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            pass
    return modules


def _gemini_api_error(exc: Any) -> BackendError:
    code = exc.code if isinstance(exc.code, int) else 0
    status_name = exc.status or ""
    details = _google_error_details(exc.details)
    kind = _kind_for_status(code)
    if status_name == "RESOURCE_EXHAUSTED":
        kind = ErrorKind.RATE_LIMITED
    elif status_name in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        kind = ErrorKind.AUTH
    elif any(
        str(item.get("@type", "")).endswith("google.rpc.ErrorInfo")
        and str(item.get("reason", "")).startswith("API_KEY")
        for item in details
    ):
        kind = ErrorKind.AUTH  # Gemini answers a bad key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID
    retry_info = next(
        (
            _retry_delay_seconds(item.get("retryDelay"))
            for item in details
            if str(item.get("@type", "")).endswith("google.rpc.RetryInfo")
        ),
        None,
    )
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    message = exc.message if isinstance(exc.message, str) and exc.message else str(exc.details)
    return BackendError(
        kind,
        f"{type(exc).__name__}: {code} {status_name} - {message}",
        retry_after=_combine_waits(_retry_after_from_headers(headers), retry_info),
        status=code or None,
    )


def _enum_name(value: object) -> str:
    return str(getattr(value, "value", value))


def _gemini_completion(response: Any, request: ChatRequest) -> Completion:
    candidates = response.candidates or []
    if not candidates:
        feedback = response.prompt_feedback
        if feedback is not None and feedback.block_reason is not None:
            why = f"prompt blocked: {_enum_name(feedback.block_reason)}"
            if feedback.block_reason_message:
                why += f" ({feedback.block_reason_message})"
            raise BackendError(ErrorKind.BAD_RESPONSE, why)
        raise BackendError(ErrorKind.BAD_RESPONSE, "no candidates in the response")
    candidate = candidates[0]
    parts = (candidate.content.parts if candidate.content is not None else None) or []
    text = "".join(part.text for part in parts if part.text and not part.thought)
    thoughts = "".join(part.text for part in parts if part.text and part.thought)
    usage = response.usage_metadata
    prompt_tokens = (usage.prompt_token_count or 0) if usage is not None else 0
    completion_tokens = (
        (usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0) if usage is not None else 0
    )
    model = response.model_version or request.model
    if not text.strip():
        finish = _enum_name(candidate.finish_reason)
        why = f"finish_reason={finish}"
        if candidate.finish_message:
            why += f": {candidate.finish_message}"
        raise BackendError(
            ErrorKind.CUT_OFF if finish == "MAX_TOKENS" else ErrorKind.BAD_RESPONSE,
            f"no text in the first candidate ({why})",
            usage=(int(prompt_tokens), int(completion_tokens)),
            model=model,
        )
    return Completion(
        text=text,
        model=model,
        prompt_tokens=int(prompt_tokens),
        completion_tokens=int(completion_tokens),
        thoughts=thoughts,
    )
