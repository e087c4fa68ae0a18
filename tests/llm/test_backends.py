"""The LLM backends against loopback servers speaking each provider's wire format, through the real SDKs."""

from __future__ import annotations

import email.utils
import json
import pickle
import re
import threading
import time
import urllib.error
import urllib.request

import pytest
from servers import (
    GEMINI,
    OPENAI,
    LoopbackServer,
    Reply,
    blocked,
    empty_choices,
    error_reply,
    gemini_invalid_key,
    gemini_reply,
    model_not_found,
    openai_reply,
    rate_limited,
    server_error,
    slow,
    truncated,
    unauthorized,
    unused_port,
)

from aurora_evo.llm.backend import MAX_MESSAGE_CHARS, BackendError, ChatRequest, Completion, ErrorKind
from aurora_evo.llm.gemini_backend import GeminiBackend
from aurora_evo.llm.openai_backend import OpenAIBackend

KEY = "sk-test-SECRET-key-0123456789abcdef"
FLAVOURS = (OPENAI, GEMINI)
SYSTEM = "You write scheduling heuristics."
USER = "Improve this priority function:\ndef priority(task, nodes): ..."


def make_backend(flavour: str, base_url: str | None):
    return OpenAIBackend(base_url) if flavour == OPENAI else GeminiBackend(base_url)


def make_request(flavour: str, *, timeout_s: float = 5.0, model: str | None = None) -> ChatRequest:
    model = model or ("test-model" if flavour == OPENAI else "gemini-test")
    return ChatRequest(model, SYSTEM, USER, temperature=0.3, max_output_tokens=321, timeout_s=timeout_s)


def good(flavour: str, text: str, **kwargs) -> Reply:
    return (openai_reply if flavour == OPENAI else gemini_reply)(text, **kwargs)


def call(flavour: str, replies, *, timeout_s: float = 5.0, model: str | None = None, key: str = KEY):
    """One ``complete`` against a fresh server: (Completion or BackendError, requests seen, seconds taken)."""
    with LoopbackServer(flavour, replies) as server:
        backend = make_backend(flavour, server.base_url)
        began = time.monotonic()
        try:
            outcome = backend.complete(make_request(flavour, timeout_s=timeout_s, model=model), key)
        except BackendError as error:
            outcome = error
        elapsed = time.monotonic() - began
        return outcome, list(server.requests), elapsed


def fail(flavour: str, replies, **kwargs) -> tuple[BackendError, list[dict]]:
    outcome, requests, _ = call(flavour, replies, **kwargs)
    assert isinstance(outcome, BackendError), outcome
    assert KEY not in outcome.message and KEY not in repr(outcome)
    assert "\n" not in outcome.message and "Traceback" not in outcome.message
    assert outcome.__cause__ is None and outcome.__suppress_context__ is False and outcome.__context__ is None
    return outcome, requests


# ------------------------------------------------------------------------------------------ good answers


def test_openai_good_text_and_wire_format():
    completion, requests, _ = call(
        OPENAI,
        [openai_reply("def priority(): pass", model="served-model", prompt_tokens=11, completion_tokens=7)],
    )
    assert completion == Completion("def priority(): pass", "served-model", 11, 7, "")
    [req] = requests
    assert req["method"] == "POST" and req["path"] == "/v1/chat/completions"
    assert req["headers"]["authorization"] == f"Bearer {KEY}"
    body = req["json"]
    assert body["model"] == "test-model" == req["model"]
    assert body["messages"] == [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}]
    assert body["temperature"] == 0.3 and body["max_tokens"] == 321
    assert "stream" not in body or body["stream"] is False


def test_gemini_good_text_and_wire_format():
    completion, requests, _ = call(
        GEMINI,
        [
            gemini_reply(
                "def priority(): pass", model="gemini-9-pro-001", prompt_tokens=11, completion_tokens=7
            )
        ],
    )
    assert completion == Completion("def priority(): pass", "gemini-9-pro-001", 11, 7, "")
    [req] = requests
    assert re.fullmatch(r"/v1(beta)?/models/gemini-test:generateContent", req["path"]), req["path"]
    assert req["model"] == "gemini-test"
    assert req["headers"]["x-goog-api-key"] == KEY
    assert KEY not in req["headers"].get("authorization", "") and "key=" not in req["path"]
    body = req["json"]
    assert body["systemInstruction"]["parts"] == [{"text": SYSTEM}]
    assert body["contents"] == [{"role": "user", "parts": [{"text": USER}]}]
    assert body["generationConfig"] == {"temperature": 0.3, "maxOutputTokens": 321}


def test_openai_reasoning_content_becomes_thoughts():
    completion, _, _ = call(OPENAI, [openai_reply("answer", reasoning="first I think", completion_tokens=90)])
    assert (completion.text, completion.thoughts, completion.completion_tokens) == (
        "answer",
        "first I think",
        90,
    )


def test_openai_reasoning_field_of_newer_servers_becomes_thoughts():
    reply = openai_reply("answer")
    reply.body["choices"][0]["message"]["reasoning"] = "vLLM/Ollama style"
    completion, _, _ = call(OPENAI, [reply])
    assert completion.thoughts == "vLLM/Ollama style"


def test_gemini_thought_parts_are_kept_apart_and_counted():
    reply = gemini_reply(
        "the answer", thoughts="a thought summary", completion_tokens=50, thoughts_tokens=200
    )
    completion, _, _ = call(GEMINI, [reply])
    assert completion.text == "the answer"
    assert completion.thoughts == "a thought summary"
    assert completion.completion_tokens == 250  # candidatesTokenCount + thoughtsTokenCount


def test_gemini_text_split_over_parts_is_joined():
    reply = gemini_reply("def priority(task, nodes):\n")
    reply.body["candidates"][0]["content"]["parts"].append({"text": "    return nodes[:, 0]\n"})
    completion, _, _ = call(GEMINI, [reply])
    assert completion.text == "def priority(task, nodes):\n    return nodes[:, 0]\n"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_truncated_by_the_token_limit_still_returns_the_text(flavour):
    finish = "length" if flavour == OPENAI else "MAX_TOKENS"
    completion, _, _ = call(flavour, [good(flavour, "def priority(task, no", finish_reason=finish)])
    assert completion.text == "def priority(task, no"


def test_missing_usage_counts_zero_and_model_falls_back_to_the_request():
    reply = openai_reply("x")
    del reply.body["usage"]
    reply.body["model"] = ""
    completion, _, _ = call(OPENAI, [reply])
    assert (completion.model, completion.prompt_tokens, completion.completion_tokens) == ("test-model", 0, 0)


# ------------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_rate_limited_reads_retry_after_and_is_one_request(flavour):
    error, requests = fail(flavour, [rate_limited(flavour, retry_after=7), good(flavour, "never reached")])
    assert error.kind is ErrorKind.RATE_LIMITED and error.kind.retryable
    assert error.retry_after == pytest.approx(7.0)
    assert error.status == 429
    assert len(requests) == 1  # no hidden SDK retry


def test_gemini_retry_info_alone_gives_retry_after():
    error, requests = fail(GEMINI, [rate_limited(GEMINI, retry_after=12, header=False)])
    assert error.kind is ErrorKind.RATE_LIMITED and error.retry_after == pytest.approx(12.0)
    assert len(requests) == 1


def test_gemini_fractional_retry_delay():
    error, _ = fail(GEMINI, [rate_limited(GEMINI, retry_after=0.25, header=False)])
    assert error.retry_after == pytest.approx(0.25)


def test_retry_after_as_http_date():
    reply = rate_limited(OPENAI, retry_after=None)
    reply.headers["Retry-After"] = email.utils.formatdate(time.time() + 30, usegmt=True)
    error, _ = fail(OPENAI, [reply])
    assert error.kind is ErrorKind.RATE_LIMITED and 25 <= error.retry_after <= 31


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_rate_limited_without_any_hint_has_no_retry_after(flavour):
    error, _ = fail(flavour, [rate_limited(flavour, retry_after=None)])
    assert error.kind is ErrorKind.RATE_LIMITED and error.retry_after is None


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("status", [500, 503])
def test_server_error_is_one_request(flavour, status):
    error, requests = fail(flavour, [server_error(flavour, status), good(flavour, "never reached")])
    assert error.kind is ErrorKind.SERVER and error.kind.retryable and error.status == status
    assert len(requests) == 1


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_slower_than_the_timeout_is_timeout(flavour):
    outcome, requests, elapsed = call(flavour, [slow(good(flavour, "late"), 2.0)], timeout_s=0.5)
    assert isinstance(outcome, BackendError) and outcome.kind is ErrorKind.TIMEOUT, outcome
    assert outcome.kind.retryable
    assert elapsed < 1.8
    assert len(requests) == 1


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_truncated_json_is_bad_response(flavour):
    error, _ = fail(flavour, [truncated(flavour)])
    assert error.kind is ErrorKind.BAD_RESPONSE and error.kind.retryable
    assert "undecodable" in error.message


@pytest.mark.parametrize(("flavour", "says"), [(OPENAI, "no choices"), (GEMINI, "no candidates")])
def test_empty_choices_is_bad_response(flavour, says):
    error, _ = fail(flavour, [empty_choices(flavour)])
    assert error.kind is ErrorKind.BAD_RESPONSE and says in error.message


def test_gemini_blocked_prompt_is_bad_response():
    error, _ = fail(GEMINI, [blocked("PROHIBITED_CONTENT")])
    assert error.kind is ErrorKind.BAD_RESPONSE and "prompt blocked: PROHIBITED_CONTENT" in error.message


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_empty_text_is_bad_response(flavour):
    finish = "stop" if flavour == OPENAI else "SAFETY"
    error, _ = fail(flavour, [good(flavour, None, finish_reason=finish)])
    assert error.kind is ErrorKind.BAD_RESPONSE and "no text" in error.message and finish in error.message


def test_an_answer_cut_off_before_any_text_is_billed_and_not_retried():
    """Thinking can use up the whole output allowance: the server bills the tokens and sends no text."""
    error, _ = fail(
        GEMINI,
        [
            gemini_reply(
                None,
                thoughts="thinking...",
                finish_reason="MAX_TOKENS",
                completion_tokens=10,
                thoughts_tokens=4086,
            )
        ],
    )
    assert error.kind is ErrorKind.CUT_OFF and not error.kind.retryable and "MAX_TOKENS" in error.message
    assert error.usage == (100, 4096) and error.model == "gemini-test"
    error, _ = fail(OPENAI, [openai_reply("", finish_reason="length", completion_tokens=4096)])
    assert error.kind is ErrorKind.CUT_OFF and error.usage == (100, 4096)


def test_an_empty_answer_that_was_not_cut_off_is_a_bad_response():
    error, _ = fail(GEMINI, [gemini_reply(None, thoughts="thinking...", finish_reason="STOP")])
    assert error.kind is ErrorKind.BAD_RESPONSE and error.kind.retryable


def test_openai_non_json_200_is_bad_response():
    error, _ = fail(OPENAI, [Reply(200, "<html>proxy says hi</html>")])
    assert error.kind is ErrorKind.BAD_RESPONSE


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("status", [401, 403])
def test_rejected_key_is_auth_and_the_echoed_key_is_scrubbed(flavour, status):
    error, requests = fail(flavour, unauthorized(flavour, status))
    assert error.kind is ErrorKind.AUTH and not error.kind.retryable and error.status == status
    assert "<api-key>" in error.message  # the server quoted it; the message does not
    assert len(requests) == 1


def test_a_toy_key_is_scrubbed_only_where_it_stands_alone():
    error, _, _ = call(OPENAI, unauthorized(OPENAI), key="k")
    assert error.kind is ErrorKind.AUTH
    assert error.message.endswith("Incorrect API key provided: <api-key>.")


def test_gemini_api_key_invalid_400_is_auth():
    error, _ = fail(GEMINI, [gemini_invalid_key()])
    assert error.kind is ErrorKind.AUTH and error.status == 400


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_unknown_model_is_bad_request(flavour):
    error, requests = fail(flavour, [model_not_found(flavour, "no-such-model")], model="no-such-model")
    assert error.kind is ErrorKind.BAD_REQUEST and not error.kind.retryable and error.status == 404
    assert "no-such-model" in error.message
    assert requests[0]["model"] == "no-such-model"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_connection_refused_is_connection(flavour):
    base_url = f"http://127.0.0.1:{unused_port()}" + ("/v1" if flavour == OPENAI else "")
    with pytest.raises(BackendError) as caught:
        make_backend(flavour, base_url).complete(make_request(flavour), KEY)
    assert caught.value.kind is ErrorKind.CONNECTION and caught.value.kind.retryable
    assert KEY not in caught.value.message


def test_gemini_without_key_is_auth_and_sends_nothing():
    with LoopbackServer(GEMINI, [gemini_reply("x")]) as server:
        with pytest.raises(BackendError) as caught:
            GeminiBackend(server.base_url).complete(make_request(GEMINI), "")
        assert caught.value.kind is ErrorKind.AUTH and server.requests == []


def test_openai_local_server_without_key_gets_a_placeholder():
    completion, requests, _ = call(OPENAI, [openai_reply("x")], key="")
    assert completion.text == "x" and requests[0]["headers"]["authorization"] == "Bearer EMPTY"


def test_bad_request_fields_fail_before_sending():
    with pytest.raises(BackendError) as caught:
        OpenAIBackend("http://127.0.0.1:9/v1").complete(ChatRequest("", "s", "u"), KEY)
    assert caught.value.kind is ErrorKind.BAD_REQUEST


# ------------------------------------------------------------------------------------- sharing and types


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_one_backend_shared_by_threads_and_keys(flavour):
    keys = [f"{KEY}-a", f"{KEY}-b"]
    with LoopbackServer(flavour, lambda record: good(flavour, record["path"])) as server:
        backend = make_backend(flavour, server.base_url)
        results: list[Completion | BaseException] = []

        def work(key: str) -> None:
            try:
                results.append(backend.complete(make_request(flavour), key))
            except BaseException as exc:  # reported below
                results.append(exc)

        threads = [threading.Thread(target=work, args=(keys[i % 2],)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert len(results) == 8 and all(isinstance(result, Completion) for result in results), results
        header = "authorization" if flavour == OPENAI else "x-goog-api-key"
        seen = {req["headers"][header].removeprefix("Bearer ") for req in server.requests}
        assert seen == set(keys)
        backend.close()


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_backend_pickles_without_its_clients(flavour):
    with LoopbackServer(flavour, [good(flavour, "x")]) as server:
        backend = make_backend(flavour, server.base_url)
        backend.complete(make_request(flavour), KEY)
        clone = pickle.loads(pickle.dumps(backend))
        assert clone.complete(make_request(flavour), KEY).text == "x"
        assert KEY.encode() not in pickle.dumps(backend)
    assert clone.name == backend.name == flavour


def test_error_kinds_and_error_pickling():
    retryable = {kind for kind in ErrorKind if kind.retryable}
    assert retryable == {
        ErrorKind.RATE_LIMITED,
        ErrorKind.SERVER,
        ErrorKind.TIMEOUT,
        ErrorKind.CONNECTION,
        ErrorKind.BAD_RESPONSE,
    }
    error = BackendError(ErrorKind.RATE_LIMITED, "slow\ndown", retry_after=3.0, status=429)
    assert error.message == "slow down" == str(error)
    clone = pickle.loads(pickle.dumps(error))
    assert (clone.kind, clone.message, clone.retry_after, clone.status) == (
        ErrorKind.RATE_LIMITED,
        "slow down",
        3.0,
        429,
    )


def test_server_close_is_quick_with_a_slow_reply_pending():
    server = LoopbackServer(OPENAI, [slow(openai_reply("x"), 5.0)]).start()
    backend = OpenAIBackend(server.base_url)
    outcome: list[BaseException] = []

    def work() -> None:
        try:
            backend.complete(make_request(OPENAI, timeout_s=3), KEY)
        except BaseException as exc:  # checked below
            outcome.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    deadline = time.monotonic() + 2
    while not server.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    began = time.monotonic()
    server.close()
    assert time.monotonic() - began < 1.0
    worker.join(5)
    assert not worker.is_alive()
    # The dropped connection reaches the caller as a retryable failure, not a hang.
    assert len(outcome) == 1 and isinstance(outcome[0], BackendError) and outcome[0].kind.retryable


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_unknown_path_is_a_provider_style_404(flavour):
    with LoopbackServer(flavour, [good(flavour, "x")]) as server:
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(server.base_url + "/nope", data=b"{}", timeout=5)
        body = json.loads(caught.value.read())
        assert caught.value.code == 404 and "message" in body["error"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_key_cut_by_the_message_limit_leaves_no_prefix(flavour):
    """Messages are cut to a few hundred characters; the key is scrubbed before, never after, the cut."""
    # The SDKs put their own text before the server's; some padding makes the cut fall inside the key.
    for length in range(MAX_MESSAGE_CHARS - 160, MAX_MESSAGE_CHARS, 8):
        error, _ = fail(flavour, [error_reply(flavour, 401, f"{'x' * length} bad key {KEY} given")])
        assert KEY[:8] not in error.message and len(error.message) <= MAX_MESSAGE_CHARS


# ------------------------------------------------------------------------------------ structured output

SCHEMA = {
    "title": "scenario spec!",
    "type": "object",
    "properties": {
        "n_tasks": {"type": "integer", "minimum": 3, "maximum": 12},
        "rationale": {"type": "string"},
    },
    "required": ["n_tasks", "rationale"],
    "additionalProperties": False,
}


def schema_call(flavour: str, schema: dict | None) -> dict:
    """The body of one request carrying ``schema``, after a good JSON answer."""
    with LoopbackServer(flavour, [good(flavour, '{"n_tasks": 4, "rationale": "r"}')]) as server:
        request = make_request(flavour)
        request = ChatRequest(request.model, SYSTEM, USER, 0.3, 321, 5.0, json_schema=schema)
        completion = make_backend(flavour, server.base_url).complete(request, KEY)
        assert completion.text == '{"n_tasks": 4, "rationale": "r"}'
        [req] = server.requests
        return req["json"]


def test_openai_json_schema_is_sent_as_response_format():
    body = schema_call(OPENAI, SCHEMA)
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "scenario_spec_", "schema": SCHEMA, "strict": False},
    }
    assert body["messages"][1] == {"role": "user", "content": USER} and body["max_tokens"] == 321


def test_openai_json_schema_without_title_is_named_answer():
    schema = {key: value for key, value in SCHEMA.items() if key != "title"}
    assert schema_call(OPENAI, schema)["response_format"]["json_schema"]["name"] == "answer"


def test_gemini_json_schema_is_sent_as_response_json_schema():
    config = schema_call(GEMINI, SCHEMA)["generationConfig"]
    assert config == {
        "temperature": 0.3,
        "maxOutputTokens": 321,
        "responseMimeType": "application/json",
        "responseJsonSchema": SCHEMA,
    }


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_no_json_schema_sends_no_structured_output_option(flavour):
    body = schema_call(flavour, None)
    assert "response_format" not in body
    assert "responseMimeType" not in body.get("generationConfig", {})
    assert "responseJsonSchema" not in body.get("generationConfig", {})
