"""The backend of the Gemini API, through the ``google-genai`` SDK, imported on first use."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from aurora_evo.llm.backend import BackendError, ChatRequest, Completion, ErrorKind
from aurora_evo.llm.sdk_backend import (
    SdkBackend,
    check_request,
    describe,
    import_sdk,
    kind_for_status,
    retry_after_from_headers,
)


class GeminiBackend(SdkBackend):
    """The Gemini API, through the ``google-genai`` SDK (``x-goog-api-key`` auth, never Vertex AI).

    ``base_url`` replaces ``https://generativelanguage.googleapis.com/``; the SDK appends
    ``{api_version}/models/{model}:generateContent`` (its default API version is ``v1``).
    """

    name = "gemini"

    def _create_client(self, api_key: str) -> Any:
        genai = import_sdk("google.genai", "google-genai")
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
        check_request(request)
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
                return BackendError(ErrorKind.TIMEOUT, f"no answer within the timeout ({describe(exc)})")
            if isinstance(exc, transport.UnsupportedProtocol):
                return BackendError(ErrorKind.BAD_REQUEST, f"bad base URL: {describe(exc)}")
            if isinstance(exc, transport.TransportError):
                return BackendError(ErrorKind.CONNECTION, describe(exc))
        if isinstance(exc, errors.UnknownApiResponseError | ValueError):
            # json.JSONDecodeError from a cut body, or a pydantic error from a malformed one.
            return BackendError(ErrorKind.BAD_RESPONSE, f"undecodable response: {describe(exc)}")
        return BackendError(ErrorKind.BAD_RESPONSE, describe(exc))


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
    kind = kind_for_status(code)
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
        retry_after=_combine_waits(retry_after_from_headers(headers), retry_info),
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
