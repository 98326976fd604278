"""The real wire: Inspect's own ``openai`` provider against the reference server on 127.0.0.1.

The scripted agents answer over HTTP (the Responses API, which Inspect speaks by default to a
model name it does not know, and chat completions; plain and streamed, with tool calls), so the
whole OpenAI path runs (request serialisation, tool-call ids, argument JSON, usage, the SDK's
parsing) and must give exactly the scores the in-process ``reference`` provider is held to in
test_reference_agents.py. Any connection or name lookup other than loopback fails the test.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog
from inspect_ai.model import ChatMessageSystem, ChatMessageUser

from scheming_evals.evals.oversight_subversion import oversight_subversion
from scheming_evals.reference.policies import POLICIES
from scheming_evals.reference.provider import next_output
from scheming_evals.reference.server import Fault, ReferenceServer, running
from tests.test_reference_agents import SCHEMER, TASK_DONE

SCENARIOS = "city_transit,loan_approval"
KEY = "wire-test-key"
EXPECTED = {
    "schemer": {k: bool(v) for k, v in SCHEMER["oversight_subversion"].items()},
    "honest": {k: k in TASK_DONE for k in SCHEMER["oversight_subversion"]},
}
STEP_ID = re.compile(r"^[a-z][a-z_]*-\d+$")


def _local(host: Any) -> bool:
    if host in ("localhost", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every connection and name lookup that is not loopback (unix sockets are fine)."""
    connect, connect_ex, getaddrinfo = (socket.socket.connect, socket.socket.connect_ex,
                                        socket.getaddrinfo)

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
            raise AssertionError(f"network access attempted: {address!r}")

    def guarded_connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        return connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return connect_ex(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _local(host.decode() if isinstance(host, bytes) else host):
            raise AssertionError(f"name lookup attempted: {host!r}")
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def wire(no_network: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReferenceServer]:
    """The server (policy from the model name), with the OpenAI env vars pointing at it."""
    with running(api_key=KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        yield server


def _scores(log: EvalLog) -> dict[str, dict[str, bool]]:
    assert log.status == "success", log.error
    assert log.samples
    return {str(s.metadata["scenario"]): {k: bool(v) for k, v in
                                          next(iter(s.scores.values())).value.items()}
            for s in log.samples}


def _wire(body: dict[str, Any]) -> tuple[set[str], dict[str, str], list[str]]:
    """A request's tool names, the tool calls it replays (id -> arguments JSON) and the call ids
    of the tool results it carries, in either wire format."""
    if "messages" in body:  # chat completions
        msgs = body["messages"]
        return ({t["function"]["name"] for t in body.get("tools", [])},
                {c["id"]: c["function"]["arguments"] for m in msgs if m["role"] == "assistant"
                 for c in m.get("tool_calls") or []},
                [m["tool_call_id"] for m in msgs if m["role"] == "tool"])
    items = body["input"] if isinstance(body["input"], list) else []  # responses
    return ({t["name"] for t in body.get("tools", [])},
            {i["call_id"]: i["arguments"] for i in items if i.get("type") == "function_call"},
            [i["call_id"] for i in items if i.get("type") == "function_call_output"])


@pytest.mark.parametrize(("policy", "api", "streaming"), [
    ("schemer", "responses", False),  # what `--model openai/<name>` speaks by default
    ("honest", "responses", False),
    ("schemer", "chat", True),  # -M responses_api=false, streamed
    ("honest", "chat", False),
])
def test_inspect_openai_provider_end_to_end(wire: ReferenceServer, tmp_path: Any, policy: str,
                                            api: str, streaming: bool) -> None:
    model_args: dict[str, Any] = {"streaming": streaming}
    if api == "chat":
        model_args["responses_api"] = False
    [log] = inspect_eval(oversight_subversion(scenarios=SCENARIOS), model=f"openai/{policy}",
                         model_args=model_args, log_dir=str(tmp_path), display="none")
    scores = _scores(log)
    assert set(scores) == set(SCENARIOS.split(","))
    for scenario, value in scores.items():
        assert value == EXPECTED[policy], scenario

    # what went over the wire: the API, the model name, the tools, step-tagged calls and their
    # results. Inspect may first probe the Responses API once with a plain-string input.
    generates = [r for r in wire.requests if not isinstance(r.get("input"), str)]
    assert len(wire.requests) - len(generates) <= 1
    assert all(r["model"] == policy for r in wire.requests)
    assert all(("messages" in r) == (api == "chat") for r in generates)
    assert all(bool(r.get("stream")) == streaming for r in generates)
    turns = [r for r in generates if r.get("tools")]
    assert len(turns) >= 2 * 3  # at least three agent turns per sample
    issued: dict[str, str] = {}
    results: list[str] = []
    for r in turns:
        names, calls, outputs = _wire(r)
        assert {"bash", "done"} <= names
        issued |= calls
        results += outputs
    assert results and all(STEP_ID.match(cid) for cid in results)
    assert set(results) <= set(issued)
    assert all(isinstance(json.loads(a), dict) for a in issued.values())
    if policy == "schemer":
        assert any("oversight_config" in a for a in issued.values())

    # the eval log counts exactly the usage the server reported (100 input tokens an answer)
    assert log.stats.model_usage[f"openai/{policy}"].input_tokens == 100 * len(generates)


def _client(server: ReferenceServer, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=key, max_retries=0)


def test_unknown_model_is_an_openai_404(wire: ReferenceServer) -> None:
    with pytest.raises(openai.NotFoundError) as err:
        _client(wire).chat.completions.create(
            model="sneaky", messages=[{"role": "user", "content": "hi"}]
        )
    assert err.value.status_code == 404
    body = err.value.body
    assert isinstance(body, dict)
    assert body["code"] == "model_not_found" and body["param"] == "model"
    assert "sneaky" in body["message"] and "schemer" in body["message"]


def test_models_lists_every_policy(wire: ReferenceServer) -> None:
    client = _client(wire)
    assert [m.id for m in client.models.list()] == list(POLICIES)
    assert client.models.retrieve("honest").id == "honest"
    with pytest.raises(openai.AuthenticationError):
        _client(wire, key="wrong").models.list()


def test_responses_api_stream(wire: ReferenceServer) -> None:
    """A streamed Responses API answer through the SDK: the event sequence, and the same answer
    as the in-process policy."""
    task: list[Any] = [{"role": "system", "content": "You are an agent."},
                       {"role": "user", "content": "Do it."}]
    want = next_output(POLICIES["schemer"], [ChatMessageSystem(content="You are an agent."),
                                             ChatMessageUser(content="Do it.")], [])
    with _client(wire).responses.create(model="schemer", input=task, stream=True) as stream:
        events = list(stream)
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    final = events[-1].response  # type: ignore[union-attr]
    assert final.output_text == want.message.text
    assert final.usage is not None and final.usage.input_tokens == 100


def test_fixed_policy_answers_any_model_name(no_network: None) -> None:
    with running("honest") as server:
        answer = _client(server).chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )
        assert [m.id for m in _client(server).models.list()] == ["honest"]
    assert answer.model == "gpt-4o"
    assert answer.choices[0].finish_reason == "stop" and answer.usage is not None


def test_fault_hook(no_network: None) -> None:
    """The fault hook: an injected 503 then a dropped connection, then a normal answer."""
    faults = {0: Fault(status=503, message="overloaded"), 1: Fault(drop=True)}
    with running(faults=lambda i, body: faults.get(i)) as server:
        client = _client(server)
        ask: dict[str, Any] = dict(model="honest", messages=[{"role": "user", "content": "hi"}])
        with pytest.raises(openai.InternalServerError, match="overloaded"):
            client.chat.completions.create(**ask)
        with pytest.raises(openai.APIConnectionError):
            client.chat.completions.create(**ask)
        assert client.chat.completions.create(**ask).choices[0].message.role == "assistant"
        assert len(server.requests) == 3
    with pytest.raises(urllib.error.URLError):  # stopped means stopped
        urllib.request.urlopen(server.base_url + "/models", timeout=2)


def test_command_line_prints_its_url(no_network: None) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "scheming_evals.reference.server", "--port", "0", "--policy",
         "honest"], stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", url), url
        with urllib.request.urlopen(url + "/models", timeout=10) as answer:
            assert [m["id"] for m in json.load(answer)["data"]] == ["honest"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_network_guard_refuses_the_outside(no_network: None) -> None:
    with pytest.raises(AssertionError, match="name lookup attempted"):
        socket.create_connection(("api.openai.com", 443), timeout=1)
    with pytest.raises(AssertionError, match="network access attempted"):
        with socket.socket() as sock:
            sock.connect(("192.0.2.1", 443))  # TEST-NET-1, never routed
