"""An OpenAI-compatible test server on 127.0.0.1 that plays the scripted reference agents.

It lets Inspect's own ``openai`` provider run an eval end to end over the real wire (HTTP, JSON,
tool calls, streaming) with no network and no real key::

    python -m scheming_evals.reference.server --port 0 --policy-from-model   # prints the URL
    OPENAI_BASE_URL=<url> OPENAI_API_KEY=any \\
        inspect eval scheming_evals/oversight_subversion --model openai/schemer

Endpoints: ``POST /v1/chat/completions`` and ``POST /v1/responses`` (plain JSON, or server-sent
events with ``"stream": true``), ``GET /v1/models`` and ``GET /v1/models/<id>``. Inspect 0.3.285
takes a model name it does not know (``schemer``) for OpenAI's newest model and so speaks the
Responses API; ``-M responses_api=false`` makes it use chat completions. Both are served.

Each request is converted into Inspect messages and tools and answered by
``provider.next_output``, the same code as the in-process ``reference/<policy>`` provider. The
model name picks the policy (``--policy-from-model``, the default), or ``--policy`` answers every
name. Stdlib only (``http.server``, a thread per connection).

``faults`` is the hook for fault injection: called with each generate request (its index and
body), it may return a :class:`Fault` (a delay, an HTTP error status, a dropped connection, a
connection dropped half-way through the answer, or a damaged answer: malformed tool-call JSON, an
empty answer, a call to an unknown tool). A damaged call gets the id ``fault-<index>``, so the
scripted agent does not count it as a step taken and tries that step again.

``latency`` (seconds before every generate answer) and ``token_rate`` (output tokens per second,
added on top) make it behave like a remote model, for benchmarks.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageTool,
    ChatMessageUser,
    ModelOutput,
)
from inspect_ai.tool import ToolCall, ToolInfo, ToolParams

from .policies import POLICIES, Policy
from .provider import next_output

HOST = "127.0.0.1"
CHAT = "/v1/chat/completions"
RESPONSES = "/v1/responses"


@dataclass(frozen=True)
class Fault:
    """What to do to one request instead of (or before) answering it."""

    delay: float = 0.0  # seconds to wait first
    status: int | None = None  # answer with this HTTP error (429, 500, 503, ...)
    drop: bool = False  # close the connection without any answer
    message: str = "injected fault"
    drop_midway: bool = False  # send the headers and half the answer, then close
    malformed_json: bool = False  # the tool call's arguments are truncated, invalid JSON
    empty: bool = False  # no text and no tool call
    unknown_tool: str | None = None  # the tool call names this tool instead

    @property
    def damages(self) -> bool:
        return self.malformed_json or self.empty or self.unknown_tool is not None


FaultHook = Callable[[int, dict[str, Any]], Fault | None]  # (request index, body) -> fault


class WireError(Exception):
    """An OpenAI-style error answer."""

    def __init__(self, status: int, message: str, type_: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"message": message, "type": type_, "param": param, "code": code}}


# --- the wire -> Inspect ---------------------------------------------------------------------


def _text(content: Any) -> str:
    """A message's text: a string, or the text parts of a content list (other parts dropped)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict)
                       and p.get("type") in ("text", "input_text", "output_text"))
    raise WireError(400, f"unsupported message content: {type(content).__name__}")


def _call(call_id: Any, name: Any, arguments: Any) -> ToolCall:
    try:
        args = json.loads(arguments or "{}") if isinstance(arguments, str) else arguments
        error = None if isinstance(args, dict) else "the arguments are not a JSON object"
    except ValueError as ex:
        args, error = {}, str(ex)
    return ToolCall(id=str(call_id), function=str(name),
                    arguments=args if isinstance(args, dict) else {}, parse_error=error)


def _message(role: Any, text: str) -> ChatMessage:
    if role in ("system", "developer"):
        return ChatMessageSystem(content=text)
    if role == "user":
        return ChatMessageUser(content=text)
    if role == "assistant":
        return ChatMessageAssistant(content=text)
    raise WireError(400, f"unsupported message role: {role!r}")


def _tool_result(call_id: Any, text: str, calls: dict[str, str]) -> ChatMessageTool:
    return ChatMessageTool(content=text, tool_call_id=str(call_id), function=calls.get(call_id))


def chat_messages(raw: list[dict[str, Any]]) -> list[ChatMessage]:
    """Chat completions ``messages``."""
    out: list[ChatMessage] = []
    calls: dict[str, str] = {}  # tool call id -> function
    for m in raw:
        if m.get("role") == "tool":
            out.append(_tool_result(m.get("tool_call_id"), _text(m.get("content")), calls))
            continue
        msg = _message(m.get("role"), _text(m.get("content")))
        if isinstance(msg, ChatMessageAssistant) and m.get("tool_calls"):
            msg.tool_calls = [_call(c.get("id"), (c.get("function") or {}).get("name"),
                                    (c.get("function") or {}).get("arguments"))
                              for c in m["tool_calls"]]
            calls.update({c.id: c.function for c in msg.tool_calls})
        out.append(msg)
    return out


def responses_messages(body: dict[str, Any]) -> list[ChatMessage]:
    """Responses API ``instructions`` + ``input`` (items inline: Inspect sends ``store=false``).
    Function calls join the assistant message they follow, as Inspect split them."""
    out: list[ChatMessage] = []
    if body.get("instructions"):
        out.append(ChatMessageSystem(content=str(body["instructions"])))
    items = body.get("input") or []
    if isinstance(items, str):
        return [*out, ChatMessageUser(content=items)]
    calls: dict[str, str] = {}
    for item in items:
        kind = item.get("type", "message")
        if kind == "message":
            out.append(_message(item.get("role"), _text(item.get("content"))))
        elif kind == "function_call":
            call = _call(item.get("call_id"), item.get("name"), item.get("arguments"))
            calls[call.id] = call.function
            last = out[-1] if out else None
            if isinstance(last, ChatMessageAssistant):
                last.tool_calls = [*(last.tool_calls or []), call]
            else:
                out.append(ChatMessageAssistant(content="", tool_calls=[call]))
        elif kind == "function_call_output":
            out.append(_tool_result(item.get("call_id"), _text(item.get("output")), calls))
        elif kind != "reasoning":  # the agents do not reason; anything else is unsupported
            raise WireError(400, f"unsupported input item type: {kind!r}", param="input")
    return out


def wire_tools(raw: list[dict[str, Any]]) -> list[ToolInfo]:
    """Function tools, in either shape (chat: under ``function``; responses: flat)."""
    tools = []
    for t in raw:
        fn = t.get("function") or t
        if t.get("type", "function") != "function" or "name" not in fn:
            raise WireError(400, f"unsupported tool: {json.dumps(t)[:200]}", param="tools")
        try:
            params = ToolParams.model_validate(fn.get("parameters") or {})
        except ValueError as ex:
            raise WireError(400, f"bad parameters for tool {fn['name']!r}: {ex}",
                            param="tools") from ex
        tools.append(ToolInfo(name=fn["name"], description=fn.get("description") or "",
                              parameters=params))
    return tools


# --- Inspect -> the wire ---------------------------------------------------------------------

_FINISH = {"tool_calls": "tool_calls", "max_tokens": "length", "model_length": "length",
           "content_filter": "content_filter"}


def _parts(output: ModelOutput) -> tuple[str, list[ToolCall], str, tuple[int, int]]:
    """text, tool calls, chat finish reason, (input, output) tokens."""
    choice = output.choices[0]
    u = output.usage
    tokens = (u.input_tokens, u.output_tokens) if u else (0, 0)
    return (choice.message.text, list(choice.message.tool_calls or []),
            _FINISH.get(choice.stop_reason, "stop"), tokens)


def chat_completion(output: ModelOutput, model: str, rid: str) -> dict[str, Any]:
    text, calls, finish, (inp, out) = _parts(output)
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function",
             "function": {"name": c.function, "arguments": json.dumps(c.arguments)}}
            for c in calls
        ]
    return {"id": f"chatcmpl-{rid}", "object": "chat.completion", "created": int(time.time()),
            "model": model, "choices": [{"index": 0, "message": message,
                                         "finish_reason": finish, "logprobs": None}],
            "usage": {"prompt_tokens": inp, "completion_tokens": out,
                      "total_tokens": inp + out}}


def chat_chunks(completion: dict[str, Any], include_usage: bool) -> Iterator[dict[str, Any]]:
    """A chat completion as ``chat.completion.chunk`` events: role, text, each call, finish."""
    base = {k: completion[k] for k in ("id", "created", "model")}
    base["object"] = "chat.completion.chunk"
    choice = completion["choices"][0]
    message = choice["message"]

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return base | {"choices": [{"index": 0, "delta": delta, "finish_reason": finish,
                                    "logprobs": None}]}

    yield chunk({"role": "assistant", "content": ""})
    if message["content"]:
        yield chunk({"content": message["content"]})
    for i, call in enumerate(message.get("tool_calls", [])):
        yield chunk({"tool_calls": [call | {"index": i}]})
    yield chunk({}, choice["finish_reason"])
    if include_usage:
        yield base | {"choices": [], "usage": completion["usage"]}


def response(output: ModelOutput, model: str, rid: str) -> dict[str, Any]:
    """A Responses API ``response``: a message item for the text, a function_call per call."""
    text, calls, _, (inp, out) = _parts(output)
    items: list[dict[str, Any]] = []
    if text:
        items.append({"type": "message", "id": f"msg_{rid}", "status": "completed",
                      "role": "assistant",
                      "content": [{"type": "output_text", "text": text, "annotations": []}]})
    items += [{"type": "function_call", "id": f"fc_{rid}_{i}", "call_id": c.id,
               "name": c.function, "arguments": json.dumps(c.arguments), "status": "completed"}
              for i, c in enumerate(calls)]
    return {"id": f"resp_{rid}", "object": "response", "created_at": int(time.time()),
            "status": "completed", "model": model, "output": items, "error": None,
            "incomplete_details": None, "instructions": None, "metadata": {},
            "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
            "usage": {"input_tokens": inp, "output_tokens": out, "total_tokens": inp + out,
                      "input_tokens_details": {"cached_tokens": 0},
                      "output_tokens_details": {"reasoning_tokens": 0}}}


def response_events(resp: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A response as stream events: created, each output item added and done, completed."""
    yield {"type": "response.created",
           "response": resp | {"status": "in_progress", "output": [], "usage": None}}
    for i, item in enumerate(resp["output"]):
        yield {"type": "response.output_item.added", "output_index": i, "item": item}
        yield {"type": "response.output_item.done", "output_index": i, "item": item}
    yield {"type": "response.completed", "response": resp}


# --- the server ------------------------------------------------------------------------------


@dataclass
class ReferenceServer:
    """The server; ``requests`` records every generate request body, in arrival order."""

    policy: str | None = None  # None: the model name picks the policy
    port: int = 0
    api_key: str | None = None  # None: any key (or none) is accepted
    faults: FaultHook | None = None
    latency: float = 0.0  # seconds before each generate answer
    token_rate: float | None = None  # output tokens per second (None: instant)
    requests: list[dict[str, Any]] = field(default_factory=list)
    _httpd: ThreadingHTTPServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.policy is not None and self.policy not in POLICIES:
            raise ValueError(f"unknown policy {self.policy!r}; choose one of: "
                             f"{', '.join(POLICIES)}")

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``, the value for ``OPENAI_BASE_URL``."""
        if self._httpd is None:
            raise RuntimeError("the server has not been started")
        return f"http://{HOST}:{self._httpd.server_address[1]}/v1"

    def models(self) -> list[str]:
        return [self.policy] if self.policy else list(POLICIES)

    def resolve(self, model: str) -> Policy:
        if self.policy is not None:
            return POLICIES[self.policy]
        if model not in POLICIES:
            raise WireError(404, f"The model `{model}` does not exist; this reference server "
                            f"plays: {', '.join(POLICIES)}", code="model_not_found",
                            param="model")
        return POLICIES[model]

    def record(self, body: dict[str, Any]) -> int:
        with self._lock:
            self.requests.append(body)
            return len(self.requests) - 1

    def start(self) -> ReferenceServer:
        handler = type("Handler", (_Handler,), {"state": self})
        self._httpd = ThreadingHTTPServer((HOST, self.port), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True,
                                        name="reference-openai-server")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


@contextmanager
def running(policy: str | None = None, *, api_key: str | None = None,
            faults: FaultHook | None = None, latency: float = 0.0,
            token_rate: float | None = None) -> Iterator[ReferenceServer]:
    """A server on a free port of 127.0.0.1, in a background thread, for the ``with`` block
    (its ``base_url`` is the value for ``OPENAI_BASE_URL``)."""
    server = ReferenceServer(policy=policy, api_key=api_key, faults=faults, latency=latency,
                             token_rate=token_rate).start()
    try:
        yield server
    finally:
        server.stop()


class _Handler(BaseHTTPRequestHandler):
    state: ReferenceServer
    _headers_buffer: list[bytes]  # BaseHTTPRequestHandler's own (private, so not in typeshed)
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API
    # TCP_NODELAY: an answer is written as several small sends (the headers, then the body, or
    # one send per stream event); with Nagle on, a send waits for the ACK of the one before,
    # which the client's delayed ACK holds back for up to 40 ms on loopback.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # quiet: an eval makes hundreds of requests

    def _json(self, status: int, body: dict[str, Any], cut: bool = False) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if cut:
            self.end_headers()
            self._cut(data[: len(data) // 2])
            return
        # the headers and the body in one send (end_headers would send the headers alone)
        self._headers_buffer.append(b"\r\n" + data)
        self.flush_headers()

    def _cut(self, data: bytes) -> None:
        """Send ``data`` (part of an answer), then drop the connection."""
        self.wfile.write(data)
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _error(self, err: WireError) -> None:
        self._json(err.status, err.body)

    def _events(self, events: Iterator[dict[str, Any]], named: bool, cut: bool = False) -> None:
        """Server-sent events; the stream ends when the connection does (``cut``: after the
        first event, with no end)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        for n, event in enumerate(events):
            head = f"event: {event['type']}\n" if named else ""
            data = event | {"sequence_number": n} if named else event
            self.wfile.write(f"{head}data: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()
            if cut:
                self._cut(b"")
                return
        if not named:
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    def _route(self) -> str:
        return self.path.split("?", 1)[0].rstrip("/")

    def _authorised(self) -> bool:
        key = self.state.api_key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return True
        self._error(WireError(401, "Incorrect API key provided.", code="invalid_api_key"))
        return False

    def do_GET(self) -> None:  # noqa: N802
        if not self._authorised():
            return
        route = self._route()
        cards = {m: {"id": m, "object": "model", "created": 0, "owned_by": "scheming-evals"}
                 for m in self.state.models()}
        if route == "/v1/models":
            self._json(200, {"object": "list", "data": list(cards.values())})
        elif route.startswith("/v1/models/") and route.removeprefix("/v1/models/") in cards:
            self._json(200, cards[route.removeprefix("/v1/models/")])
        elif route.startswith("/v1/models/"):
            model = route.removeprefix("/v1/models/")
            self._error(WireError(404, f"The model `{model}` does not exist",
                                  code="model_not_found", param="model"))
        else:
            self._error(WireError(404, f"Unknown request URL: GET {route}", code="unknown_url"))

    def do_POST(self) -> None:  # noqa: N802
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        route = self._route()
        if not self._authorised():
            return
        if route not in (CHAT, RESPONSES):
            self._error(WireError(404, f"Unknown request URL: POST {route}", code="unknown_url"))
            return
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self._error(WireError(400, "the request body is not a JSON object"))
            return
        index = self.state.record(body)
        fault = self.state.faults(index, body) if self.state.faults else None
        if fault is not None:
            time.sleep(fault.delay)
            if fault.drop:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault.status is not None:
                kind = "rate_limit_error" if fault.status == 429 else "server_error"
                self._error(WireError(fault.status, fault.message, kind))
                return
        try:
            self._generate(route, body, f"ref{index}", fault or Fault(), index)
        except WireError as err:
            self._error(err)
        except OSError:  # the client went away mid-answer
            self.close_connection = True
        except Exception as ex:  # noqa: BLE001 - a policy bug is answered as a 500, like an API
            self._error(WireError(500, f"{type(ex).__name__}: {ex}", "server_error"))

    def _generate(self, route: str, body: dict[str, Any], rid: str, fault: Fault,
                  index: int) -> None:
        model = str(body.get("model", ""))
        policy = self.state.resolve(model)
        messages = (chat_messages(body.get("messages") or []) if route == CHAT
                    else responses_messages(body))
        output = next_output(policy, messages, wire_tools(body.get("tools") or []), model)
        if fault.damages:
            _damage(output, fault, index)
        state = self.state
        if state.latency or state.token_rate:
            tokens = output.usage.output_tokens if output.usage else 0
            time.sleep(state.latency + (tokens / state.token_rate if state.token_rate else 0))
        cut = fault.drop_midway
        if route == CHAT:
            completion = chat_completion(output, model, rid)
            if fault.malformed_json:
                for call in completion["choices"][0]["message"].get("tool_calls", []):
                    call["function"]["arguments"] = _truncated(call["function"]["arguments"])
            if not body.get("stream"):
                self._json(200, completion, cut)
            else:
                usage = bool((body.get("stream_options") or {}).get("include_usage"))
                self._events(chat_chunks(completion, usage), named=False, cut=cut)
            return
        resp = response(output, model, rid)
        if fault.malformed_json:
            for item in resp["output"]:
                if item["type"] == "function_call":
                    item["arguments"] = _truncated(item["arguments"])
        if not body.get("stream"):
            self._json(200, resp, cut)
        else:
            self._events(response_events(resp), named=True, cut=cut)


def _truncated(arguments: str) -> str:
    """Invalid JSON: the arguments with their closing brace (and more) cut off."""
    return arguments[: max(1, len(arguments) - 3)]


def _damage(output: ModelOutput, fault: Fault, index: int) -> None:
    """Apply an answer-damaging fault to the policy's output (in place)."""
    message = output.choices[0].message
    if fault.empty:
        message.content, message.tool_calls = "", None
        output.choices[0].stop_reason = "stop"
        return
    for call in message.tool_calls or []:
        call.id = f"fault-{index}"  # not a step tag: the scripted agent will try again
        if fault.unknown_tool is not None:
            call.function = fault.unknown_tool


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m scheming_evals.reference.server",
        description="OpenAI-compatible server on 127.0.0.1 playing the scripted reference agents",
    )
    parser.add_argument("--port", type=int, default=0, help="port (0: any free one)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--policy-from-model", action="store_true",
                       help="the model name picks the policy (the default)")
    which.add_argument("--policy", choices=list(POLICIES),
                       help="play this policy whatever model name is asked for")
    parser.add_argument("--api-key", help="require this key (default: accept any)")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds to wait before every answer (default 0)")
    parser.add_argument("--token-rate", type=float, default=None,
                        help="output tokens per second, added to the latency (default: instant)")
    args = parser.parse_args(argv)
    server = ReferenceServer(policy=args.policy, port=args.port, api_key=args.api_key,
                             latency=args.latency, token_rate=args.token_rate).start()
    print(server.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
