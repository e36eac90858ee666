"""The live page's edge (`serve --ui`): one HTTP server from the standard library, on 127.0.0.1 by default.

- ``GET /`` (and ``/page.js``, ``/page.css``): the page, files of :mod:`djai_live.page`, no build step and
  nothing fetched from elsewhere.
- ``GET /events``: server-sent events, one JSON object per event of the daemon's event stream. Each open
  page is a *queued* subscriber of the stream (its own thread, a bounded queue that drops the oldest), so
  a slow or frozen tab can never delay a note; after it lost events the page is told (``gap``) and asks
  again for the state.
- ``POST /command``: ``{"address": "/djai/set", "args": ["temperature", 0.8]}``, parsed by the OSC
  contract's own parser (:func:`.protocol.parse`) and submitted to the one command path: the same checks,
  the same acknowledgement (on the event stream, to every edge) and the same errors as OSC.

Why server-sent events and not a WebSocket: events go one way at note rate, commands are rare and each
wants an answer (its parse error) that an HTTP response already is; EventSource reconnects by itself, and
the whole thing is plain HTTP that ``http.server`` serves, so the daemon needs no other library.

Security, as Jupyter's server does it: every request's ``Host`` must be one this server is reached by
(DNS rebinding), any ``Origin`` must be the page's own (a page of another site can neither read the
stream nor send a command), and when ``--ui-host`` opens the server beyond loopback every request needs
the token printed in the ready line. The page can only name models it was offered, never a path.
"""
from __future__ import annotations

import hmac
import json
import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .commands import Command
from .events import (AllNotesOff, ErrorRaised, Event, EventStream, KeyChanged, NoteEnded, NoteHeard, NotePlanned,
                     NoteStarted, PhraseDrawn, PortChanged, Reply, SettingChanged, Subscription)
from .protocol import INBOUND, ProtocolError, parse

log = logging.getLogger(__name__)

PAGE_FILES = Path(__file__).resolve().parents[1] / "page"
CONTENT_TYPES = {"/": ("index.html", "text/html; charset=utf-8"),
                 "/page.js": ("page.js", "text/javascript; charset=utf-8"),
                 "/page.css": ("page.css", "text/css; charset=utf-8")}
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
AUDIENCE = "page"            # the Reply audience of the page's own status polls: OSC does not hear them
PAGE_QUEUE = 4096            # events a page may fall behind before the oldest are dropped
POLL_S = 0.5                 # how often the counters and the clock are asked for while a page is open
HEARTBEAT_S = 10.0           # a comment line this often: a closed tab is noticed by the failed write
WRITE_TIMEOUT_S = 60.0       # a tab that has read nothing for this long is let go (EventSource reconnects)
MAX_BODY = 16_384
COMMANDS_PER_S = 100.0       # a page's commands beyond this rate are refused, with one error per flood


def _json_value(value: object) -> object:
    """A stored setting as the page shows it: a scale in words, everything else as JSON has it."""
    describe = getattr(value, "describe", None)
    return describe() if describe is not None else value


def page_message(event: Event, now: float) -> dict | None:
    """What the page receives for an event; times are on the daemon's monotonic clock (seconds), ``now``
    is when it is sent (the page maps the daemon's clock onto its own with it). None: nothing to show."""
    if isinstance(event, NoteHeard):
        return {"type": "heard", "pitch": event.pitch, "velocity": event.velocity, "channel": event.channel,
                "at": event.at, "now": now}
    if isinstance(event, NoteStarted):
        return {"type": "note_on", "pitch": event.pitch, "velocity": event.velocity, "channel": event.channel,
                "voice": event.voice, "duration_ms": event.duration_ms, "now": now}
    if isinstance(event, NoteEnded):
        return {"type": "note_off", "pitch": event.pitch, "channel": event.channel, "voice": event.voice, "now": now}
    if isinstance(event, AllNotesOff):
        return {"type": "all_notes_off", "now": now}
    if isinstance(event, PhraseDrawn):
        phrase = event.phrase
        anchor = phrase.anchor if phrase.anchor is not None else now  # None: it plays from when it is drawn
        return {"type": "drawn", "id": phrase.phrase_id, "now": now,
                "notes": [{"at": anchor + note.onset_ms / 1000.0, "pitch": note.pitch, "velocity": note.velocity,
                           "duration_ms": note.duration_ms, "channel": note.channel, "voice": note.voice}
                          for note in phrase.notes]}
    if isinstance(event, NotePlanned):
        return {"type": "planned", "now": now, "notes": [
            {"at": event.at, "pitch": event.pitch, "velocity": event.velocity, "duration_ms": event.duration_ms,
             "channel": event.channel, "voice": event.voice}]}
    if isinstance(event, SettingChanged):
        return {"type": "set", "name": event.name, "value": _json_value(event.value), "now": now}
    if isinstance(event, KeyChanged):
        return {"type": "key", "words": event.words, "now": now}
    if isinstance(event, ErrorRaised):
        return {"type": "error", "message": event.message, "now": now}
    if isinstance(event, PortChanged):
        return {"type": "port", "direction": event.direction, "state": event.state, "name": event.name, "now": now}
    if isinstance(event, Reply):
        if event.audience not in ("", AUDIENCE):
            return None
        return {"type": "reply", "kind": event.kind, "values": list(event.values), "now": now}
    return None


class RequestGuard:
    """Which requests this server answers: the Host it is reached by, the page's own Origin, the token."""

    def __init__(self, host: str, port: int, token: str | None) -> None:
        self.port = port
        self.token = token
        names = {"127.0.0.1", "localhost", "[::1]"}
        self.any_host = host in WILDCARD_HOSTS  # reached by names we cannot know: the token guards it
        if not self.any_host:
            names.add(f"[{host}]" if ":" in host else host)
        self.hosts = {f"{name}:{port}" for name in names}

    def refusal(self, method: str, path: str, headers, query: dict) -> str | None:
        """Why a request is refused, or None to answer it."""
        host = headers.get("Host", "")
        if not self.any_host and host.lower() not in self.hosts:
            return f"Host {host!r} is not this server's (allowed: {', '.join(sorted(self.hosts))})"
        origin = headers.get("Origin")
        if origin is not None and origin.lower() != f"http://{host}".lower():
            return f"Origin {origin!r} is not this page's"
        if method == "POST" and origin is None:
            return "a command needs the page's Origin"
        if path in ("/events", "/command") and headers.get("Sec-Fetch-Site", "same-origin") not in (
                "same-origin", "none"):
            return f"a {headers.get('Sec-Fetch-Site')} request for {path}"
        if self.token is not None and not self.token_given(headers, query):
            return "the token is missing or wrong (open the address the ready line printed)"
        return None

    def token_given(self, headers, query: dict) -> bool:
        assert self.token is not None
        given = [*query.get("token", []), headers.get("X-DJAI-Token", "")]
        for part in headers.get("Cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == self.cookie_name:
                given.append(value)
        return any(hmac.compare_digest(candidate.encode(), self.token.encode()) for candidate in given if candidate)

    @property
    def cookie_name(self) -> str:
        return f"djai_token_{self.port}"


class CommandRate:
    """A token bucket over the pages' commands: a flood is refused with one error, the rest of it quietly."""

    def __init__(self, per_second: float = COMMANDS_PER_S) -> None:
        self.per_second = per_second
        self.budget = per_second
        self.at = time.monotonic()
        self.flooding = False
        self._lock = threading.Lock()

    def take(self) -> bool | None:
        """True: go on; False: refused, say so (the flood's first); None: refused quietly."""
        with self._lock:
            now = time.monotonic()
            self.budget = min(self.per_second, self.budget + (now - self.at) * self.per_second)
            self.at = now
            if self.budget >= self.per_second - 1.0:  # a second without a flood: the next one is said again
                self.flooding = False
            if self.budget >= 1.0:
                self.budget -= 1.0
                return True
            first, self.flooding = not self.flooding, True
            return False if first else None


class PageServer:
    """``submit(command)`` and ``reject(message)`` are the daemon's; ``models()`` the names the page may load."""

    def __init__(self, host: str, port: int, stream: EventStream, submit: Callable[[Command], None],
                 reject: Callable[[str], None], models: Callable[[], list[str]],
                 commands_per_s: float = COMMANDS_PER_S) -> None:
        self.stream, self.submit, self.reject, self.models = stream, submit, reject, models
        self.token = None if host in LOOPBACK_HOSTS else secrets.token_urlsafe(24)
        self.rate = CommandRate(commands_per_s)
        self.pages: set[Subscription] = set()
        self._pages_lock = threading.Lock()
        self._stop = threading.Event()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        server_class = type("PageHTTPServer", (ThreadingHTTPServer,), {"address_family": family,
                                                                       "daemon_threads": True})
        try:
            self.http = server_class((host, port), _handler_for(self))
        except OSError as error:
            raise OSError(f"cannot serve the page on {host}:{port}: {error.strerror or error} "
                          "(is another program using that port? try --ui PORT)") from None
        self.port = self.http.server_address[1]
        self.guard = RequestGuard(host, self.port, self.token)
        self.host = host
        self._threads = [threading.Thread(target=self.http.serve_forever, kwargs={"poll_interval": 0.25},
                                          name="djai-page", daemon=True),
                         threading.Thread(target=self._poll, name="djai-page-poll", daemon=True)]

    @property
    def url(self) -> str:
        shown = "127.0.0.1" if self.host in WILDCARD_HOSTS else (f"[{self.host}]" if ":" in self.host else self.host)
        return f"http://{shown}:{self.port}/" + (f"?token={self.token}" if self.token else "")

    def start(self) -> PageServer:
        for thread in self._threads:
            thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self.http.shutdown()
        self.http.server_close()
        with self._pages_lock:
            pages, self.pages = self.pages, set()
        for subscription in pages:
            self.stream.unsubscribe(subscription)

    def _poll(self) -> None:
        """The counters and the clock, asked for while a page is open (answered to the pages alone)."""
        while not self._stop.wait(POLL_S):
            if self.pages:
                self.submit(Command("status", (AUDIENCE,)))

    # --- what the handler asks ----------------------------------------------------------------------------
    def open_page(self, write: Callable[[dict], None]) -> Subscription:
        """A page that connected: its own queued subscription, then the whole state asked for."""
        writer = _PageWriter(write)
        subscription = self.stream.subscribe(writer, PAGE_QUEUE, name="page")
        writer.subscription = subscription
        with self._pages_lock:
            self.pages.add(subscription)
        self.submit(Command("capabilities", (AUDIENCE,)))
        self.submit(Command("status", (AUDIENCE,)))
        return subscription

    def close_page(self, subscription: Subscription) -> None:
        with self._pages_lock:
            known = subscription in self.pages
            self.pages.discard(subscription)
        if known:
            self.stream.unsubscribe(subscription)

    def hello(self) -> dict:
        return {"type": "hello", "models": self.models(), "inbound": sorted(INBOUND), "now": time.monotonic()}

    def command(self, body: bytes) -> tuple[int, str]:
        """One command from a page: (HTTP status, error or "")."""
        allowed = self.rate.take()
        if not allowed:
            message = f"page: more than {self.rate.per_second:g} commands a second; refused until they slow down"
            if allowed is False:
                self.reject(message)
            return 429, message
        try:
            message = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            return self._refuse(f"page: a command that is not JSON ({error})")
        if not isinstance(message, dict) or not isinstance(message.get("address"), str) \
                or not isinstance(message.get("args", []), list):
            return self._refuse('page: expected {"address": "/djai/...", "args": [...]}, got ' + body[:200].decode(
                "utf-8", "replace"))
        address, args = message["address"], message.get("args", [])
        if address == "/djai/load" and args and args[0] not in self.models():
            return self._refuse(f"page: /djai/load takes one of the models offered ({', '.join(self.models())}), "
                                f"got {str(args[0])[:100]!r}")
        try:
            command = parse(address, args)
        except ProtocolError as error:
            return self._refuse(str(error))
        self.submit(command)
        return 202, ""

    def _refuse(self, message: str) -> tuple[int, str]:
        self.reject(message)
        return 400, message


class _PageWriter:
    """One page's subscriber: writes each event as a server-sent event, on the subscription's thread."""

    def __init__(self, write: Callable[[dict], None]) -> None:
        self.write = write
        self.subscription: Subscription | None = None
        self._dropped_told = 0

    def __call__(self, event: Event) -> None:
        subscription = self.subscription
        if subscription is not None and subscription.dropped != self._dropped_told:
            self._dropped_told = subscription.dropped
            self.write({"type": "gap", "dropped": subscription.dropped, "now": time.monotonic()})
        message = page_message(event, time.monotonic())
        if message is not None:
            self.write(message)


def _handler_for(server: PageServer) -> type[BaseHTTPRequestHandler]:
    class PageRequest(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "djai-live"

        def log_message(self, format: str, *args) -> None:
            log.debug("page %s: " + format, self.address_string(), *args)

        def _guarded(self, method: str) -> tuple[str, dict] | None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            refusal = server.guard.refusal(method, parts.path, self.headers, query)
            if refusal is not None:
                log.warning("page: refused %s %s from %s: %s", method, parts.path, self.address_string(), refusal)
                self._answer(403, "text/plain; charset=utf-8", f"refused: {refusal}\n".encode())
                return None
            return parts.path, query

        def _answer(self, status: int, content_type: str, body: bytes, extra: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Security-Policy", "default-src 'self'; connect-src 'self'")
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            guarded = self._guarded("GET")
            if guarded is None:
                return
            path, query = guarded
            if path == "/events":
                self._stream()
            elif path in CONTENT_TYPES:
                name, content_type = CONTENT_TYPES[path]
                extra = {}
                if server.token is not None and query.get("token"):
                    extra["Set-Cookie"] = (f"{server.guard.cookie_name}={server.token}; HttpOnly; SameSite=Strict; "
                                           "Path=/")
                self._answer(200, content_type, (PAGE_FILES / name).read_bytes(), extra)
            else:
                self._answer(404, "text/plain; charset=utf-8", b"not found\n")

        def do_POST(self) -> None:
            guarded = self._guarded("POST")
            if guarded is None:
                return
            if guarded[0] != "/command":
                self._answer(404, "text/plain; charset=utf-8", b"not found\n")
                return
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY:
                status, error = server._refuse(f"page: a command of {length} bytes (1-{MAX_BODY} expected)")
                self.close_connection = True
            else:
                status, error = server.command(self.rfile.read(length))
            self._answer(status, "application/json", json.dumps({"error": error}).encode())

        def _stream(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.close_connection = True
            self.connection.settimeout(WRITE_TIMEOUT_S)
            lock, gone = threading.Lock(), threading.Event()

            def write(message: dict | None) -> None:
                data = b": keep-alive\n\n" if message is None else b"data: " + json.dumps(message).encode() + b"\n\n"
                with lock:
                    if gone.is_set():
                        return
                    try:
                        self.wfile.write(data)
                        self.wfile.flush()
                    except OSError:
                        gone.set()

            write(server.hello())
            subscription = server.open_page(write)
            try:
                while not gone.wait(HEARTBEAT_S) and not server._stop.is_set():
                    write(None)
            finally:
                server.close_page(subscription)

    return PageRequest
