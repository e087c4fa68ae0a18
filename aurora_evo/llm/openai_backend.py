"""The backend of any OpenAI-compatible chat-completions server (OpenAI, vLLM, llama.cpp server, Ollama),
through the ``openai`` SDK, imported on first use."""

from __future__ import annotations

import importlib
import re
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

#: Sent as the key to OpenAI-compatible local servers that need none (vLLM's documented placeholder).
NO_KEY_PLACEHOLDER = "EMPTY"


class OpenAIBackend(SdkBackend):
    """Any OpenAI-compatible chat-completions server, through the ``openai`` SDK.

    ``base_url`` is the server's API root (``http://host:8000/v1`` for vLLM, ``http://host:11434/v1`` for
    Ollama); ``None`` means the SDK's default (``OPENAI_BASE_URL``, else api.openai.com). A local server
    needing no key may be given an empty one. Sends ``max_tokens``, which vLLM, llama.cpp and Ollama all
    accept (OpenAI's reasoning models want ``max_completion_tokens`` and answer 400 to it).
    """

    name = "openai"

    def _create_client(self, api_key: str) -> Any:
        openai = import_sdk("openai", "openai")
        # max_retries=0: the caller retries, so that every attempt is seen and recorded.
        return openai.OpenAI(api_key=api_key, base_url=self.base_url, max_retries=0)

    def _complete(self, request: ChatRequest, api_key: str) -> Completion:
        check_request(request)
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
            return BackendError(ErrorKind.TIMEOUT, f"no answer within the timeout ({describe(exc)})")
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__
            detail = f" ({describe(cause)})" if cause is not None else ""
            return BackendError(ErrorKind.CONNECTION, f"{describe(exc)}{detail}")
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            message = exc.message
            if isinstance(exc.body, str) and exc.body:
                message = f"{message} - {exc.body[:1000]}"
            headers = exc.response.headers if exc.response is not None else None
            return BackendError(
                kind_for_status(status),
                f"{type(exc).__name__}: {message}",
                retry_after=retry_after_from_headers(headers),
                status=status,
            )
        if isinstance(exc, openai.APIResponseValidationError):
            return BackendError(ErrorKind.BAD_RESPONSE, describe(exc), status=exc.status_code)
        if isinstance(exc, ValueError):  # json.JSONDecodeError from a cut or garbled body
            return BackendError(ErrorKind.BAD_RESPONSE, f"undecodable response: {describe(exc)}")
        return BackendError(ErrorKind.BAD_RESPONSE, describe(exc))


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
