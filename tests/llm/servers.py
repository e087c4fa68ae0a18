"""Loopback HTTP servers speaking the OpenAI chat-completions and Gemini ``generateContent`` wire formats.

The real SDKs are pointed at a :class:`LoopbackServer` by base URL, so tests exercise the SDKs' own
request building, response parsing and error classes without touching the internet. Each reply is
scripted with :class:`Reply` (or one of the builders below) in the body format the real provider uses.

Not a test module: imported by the tests of the LLM client here, and by those of the LLM mutator, the
LLM attacker, co-evolution and the documents, which put this directory on ``sys.path``.
"""

from __future__ import annotations

import dataclasses
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OPENAI = "openai"
GEMINI = "gemini"
FLAVOURS = (OPENAI, GEMINI)

#: Gemini's REST path: ``/{api_version}/models/{model}:generateContent`` (tuned models under ``tunedModels/``).
GEMINI_PATH = re.compile(r"^/(?P<version>[^/]+)/(?:models|tunedModels)/(?P<model>[^/:]+):generateContent$")
OPENAI_CHAT_PATH = "/v1/chat/completions"
OPENAI_MODELS_PATH = "/v1/models"

#: google.rpc status names for the HTTP codes the tests use.
GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


@dataclass
class Reply:
    """One scripted HTTP answer; a ``dict`` body is sent as JSON."""

    status: int = 200
    body: bytes | str | dict | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # sleep before answering (to exceed the client's timeout)

    def encode(self) -> tuple[bytes, str]:
        """The body's bytes and its default content type."""
        if self.body is None:
            return b"", "application/json; charset=UTF-8"
        if isinstance(self.body, dict):
            return json.dumps(self.body).encode(), "application/json; charset=UTF-8"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return bytes(self.body), "application/json; charset=UTF-8"


def _check(flavour: str) -> str:
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown flavour {flavour!r}; use one of {FLAVOURS}")
    return flavour


# ---------------------------------------------------------------------------------------------- builders


def openai_reply(
    text: str | None,
    *,
    model: str = "test-model",
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
    reasoning: str | None = None,
    finish_reason: str = "stop",
) -> Reply:
    """A ``chat.completion`` object as OpenAI (and vLLM, llama.cpp, Ollama) return it.

    ``reasoning`` is sent as ``reasoning_content``, the field vLLM and DeepSeek use for thinking models.
    """
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    return Reply(
        body={
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            "system_fingerprint": None,
        }
    )


def gemini_reply(
    text: str | None,
    *,
    model: str = "gemini-test",
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
    thoughts: str | None = None,
    thoughts_tokens: int | None = None,
    finish_reason: str = "STOP",
) -> Reply:
    """A ``GenerateContentResponse`` as the Gemini API returns it.

    ``thoughts`` adds a thought-summary part (``"thought": true``) before the answer, and a
    ``thoughtsTokenCount`` (``thoughts_tokens``, by default a quarter of ``completion_tokens``).
    """
    parts: list[dict[str, Any]] = []
    if thoughts is not None:
        parts.append({"text": thoughts, "thought": True})
    if text is not None:
        parts.append({"text": text})
    usage: dict[str, Any] = {
        "promptTokenCount": prompt_tokens,
        "candidatesTokenCount": completion_tokens,
        "totalTokenCount": prompt_tokens + completion_tokens,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt_tokens}],
    }
    if thoughts is not None:
        thoughts_tokens = max(1, completion_tokens // 4) if thoughts_tokens is None else thoughts_tokens
    if thoughts_tokens is not None:
        usage["thoughtsTokenCount"] = thoughts_tokens
        usage["totalTokenCount"] += thoughts_tokens
    candidate: dict[str, Any] = {
        "content": {"parts": parts, "role": "model"},
        "finishReason": finish_reason,
        "index": 0,
    }
    if not parts:
        del candidate["content"]
    return Reply(
        body={
            "candidates": [candidate],
            "usageMetadata": usage,
            "modelVersion": model,
            "responseId": uuid.uuid4().hex[:22],
        }
    )


def error_reply(flavour: str, status: int, message: str, *, code: str | None = None) -> Reply:
    """An error in the provider's format: OpenAI ``{"error": {message, type, param, code}}``; Gemini
    ``{"error": {code, message, status}}`` (google.rpc.Status)."""
    if _check(flavour) == OPENAI:
        kind = "server_error" if status >= 500 else "invalid_request_error"
        return Reply(status, {"error": {"message": message, "type": kind, "param": None, "code": code}})
    return Reply(
        status,
        {"error": {"code": status, "message": message, "status": GOOGLE_STATUS.get(status, "UNKNOWN")}},
    )


def rate_limited(flavour: str, retry_after: float | None = 1, *, header: bool = True) -> Reply:
    """A 429. OpenAI: its ``rate_limit_exceeded`` error and a ``Retry-After`` header. Gemini:
    ``RESOURCE_EXHAUSTED`` whose details carry a ``google.rpc.RetryInfo`` ``retryDelay`` (as the real API
    does), plus the header. ``header=False`` leaves the header out."""
    headers = {"Retry-After": f"{retry_after:g}"} if header and retry_after is not None else {}
    if _check(flavour) == OPENAI:
        reply = error_reply(
            OPENAI,
            429,
            "Rate limit reached for test-model on requests per min (RPM): Limit 3, Used 3, Requested 1.",
            code="rate_limit_exceeded",
        )
        reply.body["error"]["type"] = "requests"
        reply.headers.update(headers)
        return reply
    details: list[dict[str, Any]] = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [
                {
                    "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                    "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                    "quotaDimensions": {"location": "global", "model": "gemini-test"},
                    "quotaValue": "10",
                }
            ],
        },
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [
                {
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                }
            ],
        },
    ]
    if retry_after is not None:
        details.append(
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{retry_after:g}s"}
        )
    reply = error_reply(
        GEMINI, 429, "You exceeded your current quota, please check your plan and billing details."
    )
    reply.body["error"]["details"] = details
    reply.headers.update(headers)
    return reply


def server_error(flavour: str, status: int = 500) -> Reply:
    """A 5xx in the provider's format."""
    if _check(flavour) == OPENAI:
        return error_reply(
            OPENAI, status, "The server had an error while processing your request. Sorry about that!"
        )
    message = (
        "The model is overloaded. Please try again later."
        if status == 503
        else "An internal error has occurred."
    )
    return error_reply(GEMINI, status, message)


def unauthorized(flavour: str, status: int = 401) -> Callable[[dict], Reply]:
    """A reply factory for a rejected key that, like OpenAI's own 401, quotes the key it was given (in
    full here, the worst case) so tests can check that it never reaches an error message."""

    def reply(record: dict) -> Reply:
        headers = record["headers"]
        if _check(flavour) == OPENAI:
            key = headers.get("authorization", "").removeprefix("Bearer ")
            return error_reply(OPENAI, status, f"Incorrect API key provided: {key}.", code="invalid_api_key")
        key = headers.get("x-goog-api-key", "")
        return error_reply(GEMINI, status, f"API key not valid: {key}. Please pass a valid API key.")

    return reply


def gemini_invalid_key() -> Reply:
    """What the Gemini API really answers to a bad key: a 400 ``INVALID_ARGUMENT`` whose details carry
    ``ErrorInfo`` reason ``API_KEY_INVALID``."""
    reply = error_reply(GEMINI, 400, "API key not valid. Please pass a valid API key.")
    reply.body["error"]["details"] = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "generativelanguage.googleapis.com"},
        }
    ]
    return reply


def model_not_found(flavour: str, model: str) -> Reply:
    """A 404 for an unknown model, worded as the provider words it."""
    if _check(flavour) == OPENAI:
        return error_reply(
            OPENAI,
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    return error_reply(
        GEMINI,
        404,
        f"models/{model} is not found for API version v1, or is not supported for generateContent.",
    )


def slow(reply: Reply, seconds: float) -> Reply:
    """``reply``, answered after ``seconds``."""
    return dataclasses.replace(reply, delay_s=seconds)


def truncated(flavour: str) -> Reply:
    """A 200 whose JSON body stops halfway (with a Content-Length that matches what is sent)."""
    full = (openai_reply if _check(flavour) == OPENAI else gemini_reply)("def priority(): pass").encode()[0]
    return Reply(body=full[: len(full) // 2])


def empty_choices(flavour: str) -> Reply:
    """A 200 with nothing to read: OpenAI ``"choices": []``; Gemini ``"candidates": []``."""
    reply = openai_reply("x") if _check(flavour) == OPENAI else gemini_reply("x")
    reply.body["choices" if flavour == OPENAI else "candidates"] = []
    return reply


def blocked(reason: str = "SAFETY") -> Reply:
    """Gemini's answer to a blocked prompt: no candidates, a ``promptFeedback.blockReason``."""
    reply = gemini_reply("x")
    del reply.body["candidates"]
    reply.body["promptFeedback"] = {"blockReason": reason}
    return reply


def unused_port() -> int:
    """A loopback port nothing listens on (bound, then closed), for connection-refused tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------------------------------ server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, owner: LoopbackServer, port: int = 0):
        self.owner = owner
        super().__init__(("127.0.0.1", port), _Handler)

    def handle_error(self, request, client_address) -> None:
        """A client that went away is not an error worth a traceback; nothing else is expected."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: nothing lingers after close()

    def log_message(self, format: str, *args: Any) -> None:  # silent: tests read `requests`, not logs
        pass

    def handle(self) -> None:
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
            pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            decoded = json.loads(raw) if raw else None
        except ValueError:
            decoded = None
        path = self.path.split("?", 1)[0]
        owner = self.server.owner
        record: dict[str, Any] = {
            "method": method,
            "path": path,
            "headers": {name.lower(): value for name, value in self.headers.items()},
            "json": decoded,
            "model": None,
        }
        reply = owner.route(method, path, record)
        owner.record(record)
        if reply.delay_s and owner.stopping.wait(reply.delay_s):
            return  # closed while waiting: drop the connection without answering
        body, content_type = reply.encode()
        self.send_response(reply.status)
        headers = {"Content-Type": content_type, **reply.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()


class LoopbackServer:
    """ThreadingHTTPServer on 127.0.0.1 in a daemon thread; context manager.

    ``replies``: a sequence served in order (the last one repeated once exhausted), or a callable given
    the request record and returning a :class:`Reply`. ``port``: the port to listen on (a documented
    command names one), any free one by default. Requests to paths the provider does not serve
    get a 404 in its error format and do not consume a reply.

    Attributes:
        base_url: the URL to give the backend: ``http://127.0.0.1:PORT/v1`` (openai) or
            ``http://127.0.0.1:PORT`` (gemini; the SDK appends ``/{api_version}/models/...``).
        requests: one record per request received, ``{"method", "path", "headers" (lower-case names),
            "json" (decoded body or None), "model"}``.
    """

    def __init__(self, flavour: str, replies: Sequence[Reply] | Callable[[dict], Reply], *, port: int = 0):
        self.flavour = _check(flavour)
        self.port = port  # 0: any free port
        if not callable(replies) and not replies:
            raise ValueError("give at least one reply")
        self._replies = replies if callable(replies) else list(replies)
        self._next = 0
        self._lock = threading.Lock()
        self.requests: list[dict] = []
        self.stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # -- lifecycle

    def start(self) -> LoopbackServer:
        if self._server is not None:
            return self
        self._server = _Server(self, self.port)
        port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{port}" + ("/v1" if self.flavour == OPENAI else "")
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="loopback-llm",
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving; returns at once even with a slow reply pending (its connection is dropped)."""
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=1.0)
            self._thread = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- used by the handler

    def record(self, record: dict) -> None:
        with self._lock:
            self.requests.append(record)

    def _scripted(self, record: dict) -> Reply:
        if callable(self._replies):
            return self._replies(record)
        with self._lock:
            reply = self._replies[min(self._next, len(self._replies) - 1)]
            self._next += 1
        return reply

    def route(self, method: str, path: str, record: dict) -> Reply:
        """The reply for one request (the record gains its ``model``)."""
        if self.flavour == OPENAI:
            if method == "POST" and path == OPENAI_CHAT_PATH:
                record["model"] = (record["json"] or {}).get("model")
                return self._scripted(record)
            if method == "GET" and path == OPENAI_MODELS_PATH:
                return Reply(
                    body={
                        "object": "list",
                        "data": [
                            {"id": "test-model", "object": "model", "created": 0, "owned_by": "loopback"}
                        ],
                    }
                )
            return error_reply(OPENAI, 404, f"Unknown request URL: {method} {path}.", code="unknown_url")
        match = GEMINI_PATH.match(path)
        if method == "POST" and match:
            record["model"] = match["model"]
            record["api_version"] = match["version"]
            return self._scripted(record)
        return error_reply(GEMINI, 404, f"The requested URL {path} was not found on this server.")
