"""The live page's server and its edge in the daemon, in process over real sockets (no browser): what each
event becomes, which requests are refused (a wrong Host, a foreign Origin, a missing token), commands
through the OSC contract's parser to the command path, bad input as one error each, and a page that stops
reading (a frozen tab) never holding up the events and catching up when it reads again."""
from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from djai_live.live.commands import Command
from djai_live.live.events import (AllNotesOff, AnswerNote, ErrorRaised, EventStream, KeyChanged, NoteEnded,
                                   NoteHeard, NotePlanned, NoteReleased, NoteStarted, Phrase, PhraseDrawn, PortChanged,
                                   Reply, SettingChanged)
from djai_live.live.page_edge import AUDIENCE, PageEdge, page_message
from djai_live.live.page_server import PageServer, RequestGuard
from djai_live.scales import parse_scale


class Link:
    """The daemon's end of the page server's link: what the server sent up, sorted."""

    def __init__(self) -> None:
        self.up: list[dict] = []

    def __call__(self, message: dict) -> None:
        self.up.append(message)

    @property
    def commands(self) -> list[dict]:
        return [m["command"] for m in self.up if "command" in m]

    @property
    def rejected(self) -> list[str]:
        return [m["reject"] for m in self.up if "reject" in m]


def line(event) -> bytes:
    return json.dumps(page_message(event, time.monotonic())).encode() + b"\n"


@pytest.fixture
def served():
    link = Link()
    server = PageServer("127.0.0.1", 0, None, link, lambda: ["default", "chorale"]).start()
    yield server, link
    server.close()


def request(server: PageServer, method: str, path: str, body: bytes | None = None, **headers: str):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.request(method, path, body=body, headers={"Host": f"127.0.0.1:{server.port}", **headers})
    response = connection.getresponse()
    return response.status, response.read().decode(), dict(response.getheaders())


def post(server: PageServer, message, **headers: str):
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return request(server, "POST", "/command", body, Origin=f"http://127.0.0.1:{server.port}",
                   **{"Content-Type": "application/json", **headers})


def test_every_event_the_page_shows_becomes_one_json_message():
    phrase = Phrase(7, (AnswerNote(0.0, 60, 90, 250.0, 1), AnswerNote(500.0, 64, 80, 250.0, 2, voice=1)),
                    created_at=10.0, anchor=10.0)
    messages = {type(event).__name__: page_message(event, 11.0) for event in (
        NoteHeard(60, 90, 1, 10.5), NoteReleased(60, 1, 10.75), NoteStarted(60, 90, 250.0, 1, 0), NoteEnded(60, 1, 0),
        AllNotesOff({1: (60,)}, (1,)), PhraseDrawn(phrase), NotePlanned(12.0, 67, 70, 100.0, 3, 2),
        SettingChanged("scale", parse_scale(["major", "D"])), KeyChanged(("D", "major"), "D major"),
        ErrorRaised("bad"), PortChanged("in", "gone", "keys"), Reply("status", ("model", "default")))}
    assert messages["NoteHeard"] == {"type": "heard", "pitch": 60, "velocity": 90, "channel": 1, "at": 10.5,
                                     "now": 11.0}
    assert messages["NoteReleased"] == {"type": "heard", "pitch": 60, "velocity": 0, "channel": 1, "at": 10.75,
                                        "now": 11.0}
    assert [note["at"] for note in messages["PhraseDrawn"]["notes"]] == [10.0, 10.5]  # anchor + onset
    assert messages["PhraseDrawn"]["notes"][1]["voice"] == 1
    assert messages["NotePlanned"]["notes"][0]["at"] == 12.0
    assert messages["SettingChanged"]["value"] == "D major"
    assert all(json.loads(json.dumps(message)) == message for message in messages.values())
    unanchored = page_message(PhraseDrawn(Phrase(8, phrase.notes, created_at=10.0)), 11.0)
    assert [note["at"] for note in unanchored["notes"]] == [11.0, 11.5]  # it plays from when it is drawn


def test_a_reply_meant_for_the_page_reaches_the_page_and_not_osc():
    assert page_message(Reply("status", (), AUDIENCE), 1.0)["kind"] == "status"
    assert page_message(Reply("status", (), "recorder"), 1.0) is None
    from djai_live.live.osc import OscReplies

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        receiver.bind(("127.0.0.1", 0))
        receiver.settimeout(0.3)
        replies = OscReplies("127.0.0.1", receiver.getsockname()[1])
        replies(Reply("status", ("model", "default"), AUDIENCE))
        with pytest.raises(TimeoutError):
            receiver.recv(1024)
        replies(Reply("status", ("model", "default")))
        assert b"/djai/status" in receiver.recv(1024)


@pytest.mark.parametrize("headers, path, method, refused", [
    ({"Host": "127.0.0.1:9080"}, "/", "GET", None),
    ({"Host": "localhost:9080"}, "/events", "GET", None),
    ({"Host": "[::1]:9080"}, "/", "GET", None),
    ({"Host": "evil.example:9080"}, "/", "GET", "Host"),                     # DNS rebinding
    ({"Host": "127.0.0.1:9081"}, "/", "GET", "Host"),
    ({"Host": "127.0.0.1:9080", "Origin": "http://evil.example"}, "/events", "GET", "Origin"),
    ({"Host": "127.0.0.1:9080", "Origin": "null"}, "/command", "POST", "Origin"),
    ({"Host": "127.0.0.1:9080"}, "/command", "POST", "Origin"),              # a command names its origin
    ({"Host": "127.0.0.1:9080", "Origin": "http://127.0.0.1:9080"}, "/command", "POST", None),
    ({"Host": "127.0.0.1:9080", "Sec-Fetch-Site": "cross-site"}, "/events", "GET", "cross-site"),
])
def test_the_guard_refuses_a_wrong_host_and_a_foreign_origin(headers, path, method, refused):
    refusal = RequestGuard("127.0.0.1", 9080, None).refusal(method, path, headers, {})
    assert (refusal is None) if refused is None else (refused in refusal), refusal


def test_beyond_loopback_every_request_needs_the_token():
    guard = RequestGuard("192.0.2.7", 9080, "secret")
    host = {"Host": "192.0.2.7:9080"}
    assert "token" in guard.refusal("GET", "/", host, {})
    assert "token" in guard.refusal("GET", "/", host, {"token": ["wrong"]})
    assert guard.refusal("GET", "/", host, {"token": ["secret"]}) is None
    assert guard.refusal("GET", "/events", {**host, "Cookie": "a=b; djai_token_9080=secret"}, {}) is None
    assert guard.refusal("GET", "/events", {**host, "X-DJAI-Token": "secret"}, {}) is None
    assert "Host" in guard.refusal("GET", "/", {"Host": "evil.example:9080"}, {"token": ["secret"]})
    anywhere = RequestGuard("0.0.0.0", 9080, "secret")  # reached by names it cannot know: the token guards it
    assert anywhere.refusal("GET", "/", {"Host": "stage-laptop.local:9080"}, {"token": ["secret"]}) is None


def test_the_page_is_served_whole_and_refused_to_a_foreign_host(served):
    server, _ = served
    status, body, headers = request(server, "GET", "/")
    assert status == 200 and 'src="page.js"' in body and "default-src 'self'" in headers["Content-Security-Policy"]
    assert request(server, "GET", "/page.js")[0] == 200 and request(server, "GET", "/page.css")[0] == 200
    assert "http" not in request(server, "GET", "/")[1].replace("http-equiv", "")  # nothing from elsewhere
    status, body, _ = request(server, "GET", "/", Host="evil.example")
    assert status == 403 and "Host" in body
    assert request(server, "GET", "/nothing")[0] == 404


def test_a_command_goes_through_the_osc_parser_to_the_command_path(served):
    server, link = served
    sent = [{"address": "/djai/set", "args": ["temperature", 0.5]},
            {"address": "/djai/note", "args": [60.0, 90.0]},  # Pd's floats, as over OSC
            {"address": "/djai/load", "args": ["chorale"]}]
    assert [post(server, command)[0] for command in sent] == [202, 202, 202]
    assert link.commands == sent and link.rejected == []
    # the daemon's end: parsed again, onto the command path
    submitted, rejected = [], []
    edge = PageEdge("127.0.0.1", 0, EventStream(), submitted.append, rejected.append, server_models_dir())
    try:
        for message in link.up:
            edge._take(message)
        edge._take({"command": {"address": "/djai/note", "args": [300, 90]}})
        edge._take({"reject": "page: a command that is not JSON"})
        edge._take({"ask": "status"})
        edge._take({"ask": "panic"})  # the server asks only for what it may
    finally:
        edge.close()
    assert submitted == [Command("set", ("temperature", 0.5)), Command("note_on", (60, 90, 1)),
                         Command("load", ("chorale",)), Command("status", (AUDIENCE,))]
    assert rejected == ["/djai/note: pitch must be 0-127, got 300", "page: a command that is not JSON"]


def server_models_dir():
    from djai_live.model_files import bundled_folder

    return bundled_folder()


@pytest.mark.parametrize("body, words", [
    (b"{not json", "not JSON"),
    (b"[1, 2]", "expected {"),
    (json.dumps({"address": 5}).encode(), "expected {"),
    (json.dumps({"address": "/djai/dance"}).encode(), "unknown address '/djai/dance'"),
    (json.dumps({"address": "/djai/note", "args": [200, 90]}).encode(), "pitch must be 0-127"),
    (json.dumps({"address": "/djai/load", "args": ["/etc/passwd"]}).encode(), "models offered"),
    (json.dumps({"address": "/djai/load", "args": ["../default"]}).encode(), "models offered"),
])
def test_bad_input_from_a_page_is_one_error_and_nothing_submitted(served, body, words):
    server, link = served
    status, answer, _ = post(server, body)
    assert status == 400 and words in json.loads(answer)["error"]
    assert len(link.rejected) == 1 and words in link.rejected[0] and link.commands == []


def test_a_flood_of_commands_is_refused_with_one_error():
    link = Link()
    server = PageServer("127.0.0.1", 0, None, link, list, commands_per_s=10.0).start()  # any machine floods it
    try:
        statuses = [post(server, {"address": "/djai/ping"})[0] for _ in range(100)]
        assert statuses[0] == 202 and statuses.count(429) > 50, statuses
        assert len(link.rejected) == 1 and "more than 10 commands a second" in link.rejected[0]
        assert len(link.commands) == statuses.count(202)
    finally:
        server.close()


def test_a_command_too_long_to_read_or_of_no_length_is_refused(served):
    server, link = served
    assert post(server, b"x" * 20_000)[0] == 400 and "'20000'" in link.rejected[0]
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.putrequest("POST", "/command")
    for name, value in (("Host", f"127.0.0.1:{server.port}"), ("Origin", f"http://127.0.0.1:{server.port}"),
                        ("Content-Length", "lots")):
        connection.putheader(name, value)
    connection.endheaders()
    assert connection.getresponse().status == 400 and "'lots'" in link.rejected[1]


def open_stream(server: PageServer, receive_buffer: int | None = None) -> socket.socket:
    connection = socket.socket()
    if receive_buffer is not None:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    connection.connect(("127.0.0.1", server.port))
    connection.sendall(f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
    return connection


def read_messages(connection: socket.socket, until, timeout: float = 10.0) -> list[dict]:
    connection.settimeout(timeout)
    data, messages = b"", []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data += connection.recv(1 << 16)
        *complete, data = data.split(b"\n\n")
        messages += [json.loads(chunk.split(b"data: ", 1)[1]) for chunk in complete if b"data: " in chunk]
        if until(messages):
            return messages
    raise AssertionError(f"waited {timeout}s; got {messages[-3:]}")


def test_a_page_gets_hello_then_asks_for_the_state_then_every_event(served):
    server, link = served
    connection = open_stream(server)
    try:
        first = read_messages(connection, lambda messages: messages)
        assert first[0]["type"] == "hello" and first[0]["models"] == ["default", "chorale"]
        assert "/djai/set" in first[0]["inbound"]
        deadline = time.monotonic() + 5
        while len(link.up) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert link.up[:2] == [{"ask": "capabilities"}, {"ask": "status"}]
        server.deliver(line(NoteHeard(62, 80, 1, 5.0)))
        server.deliver(line(ErrorRaised("from OSC")))
        messages = read_messages(connection, lambda messages: any(m["type"] == "error" for m in messages))
        assert [m["type"] for m in messages if m["type"] in ("heard", "error")] == ["heard", "error"]
    finally:
        connection.close()
    deadline = time.monotonic() + 15  # the closed page is let go at its next write (a heartbeat at the latest)
    while server.pages and time.monotonic() < deadline:
        server.deliver(line(ErrorRaised("anyone there?")))
        time.sleep(0.05)
    assert not server.pages


def test_a_page_that_stops_reading_never_holds_up_the_events_and_catches_up(served):
    server, _ = served
    frozen = open_stream(server, receive_buffer=4096)
    try:
        read_messages(frozen, lambda messages: messages)  # the hello: it is connected
        deadline = time.monotonic() + 5
        while not server.pages and time.monotonic() < deadline:
            time.sleep(0.01)
        [page] = server.pages
        longest = 0.0
        count = 40_000
        for i in range(count):  # far more than the socket buffers and the page's queue hold
            started = time.perf_counter()
            server.deliver(line(ErrorRaised(f"event {i} " + "x" * 200)))
            longest = max(longest, time.perf_counter() - started)
        assert page.dropped > 0  # the oldest were dropped: the events did not wait for the page
        server.deliver(line(ErrorRaised("the last")))
        messages = read_messages(frozen, lambda messages: any(m.get("message") == "the last" for m in messages), 30)
        assert any(m["type"] == "gap" and m["dropped"] > 0 for m in messages)  # told it missed some
        assert len(messages) < count
    finally:
        frozen.close()
    assert longest < 1.0, longest  # (a generous bound: a blocked publisher would wait the write timeout, 60 s)


def test_beyond_loopback_the_ready_line_prints_the_token_and_requests_need_it():
    from tests.support.osc import free_udp_port
    from tests.support.page import free_tcp_port

    ui_port = free_tcp_port()
    command = [sys.executable, "-m", "djai_live.cli", "serve", "--osc-port", str(free_udp_port()), "--reply-port",
               str(free_udp_port()), "--ui", str(ui_port), "--ui-host", "127.0.0.2"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        while "djai-live ready" not in line and process.poll() is None:
            line = process.stdout.readline()
        assert f"page http://127.0.0.2:{ui_port}/?token=" in line, line
        token = line.rsplit("?token=", 1)[1].split()[0].rstrip(",")
        for query, expected in (("", 403), ("?token=wrong", 403), (f"?token={token}", 200)):
            connection = http.client.HTTPConnection("127.0.0.2", ui_port, timeout=5)
            connection.request("GET", "/" + query)
            response = connection.getresponse()
            assert response.status == expected, (query, response.status)
            if expected == 200:
                assert f"djai_token_{ui_port}={token}" in response.getheader("Set-Cookie")
    finally:
        process.terminate()
        process.wait(10)


def test_the_config_file_turns_the_page_on_with_a_port_or_true(tmp_path):
    from djai_live.cli import build_parser
    from djai_live.cli.config_file import expand_config_file

    for line, expected in (("ui = 9123", ["--ui", "9123"]), ("ui = true", ["--ui"]), ("ui = false", [])):
        path = tmp_path / "live.toml"
        path.write_text(f"[serve]\n{line}\nui_host = '127.0.0.1'\n")
        argv, _ = expand_config_file(["serve"], build_parser(), path)
        assert argv == ["serve", *expected, "--ui-host", "127.0.0.1"], argv
        args = build_parser().parse_args(argv)
        assert args.ui == {"ui = 9123": 9123, "ui = true": 9080, "ui = false": None}[line]


def test_the_page_server_ends_with_the_daemon_even_when_it_is_killed():
    """A daemon killed (SIGKILL: no shutdown at all) must not leave its page's server holding the port."""
    import os
    import signal

    from tests.support.osc import free_udp_port
    from tests.support.page import free_tcp_port

    ui_port = free_tcp_port()
    command = [sys.executable, "-m", "djai_live.cli", "serve", "--osc-port", str(free_udp_port()), "--reply-port",
               str(free_udp_port()), "--ui", str(ui_port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = ""
        while "djai-live ready" not in line and process.poll() is None:
            line = process.stdout.readline()
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        assert len(children) == 1, children
        child = int(children[0])
        assert request_page(ui_port) == 200
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        deadline = time.monotonic() + 10
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(child), "the page's server outlived its daemon"
    finally:
        if process.poll() is None:
            process.kill()


def alive(pid: int) -> bool:
    """Running (a zombie has ended: whoever adopted it has yet to reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def request_page(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", "/")
    return connection.getresponse().status
