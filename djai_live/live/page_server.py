"""The live page's server (`serve --ui`), in a process of its own: the standard library's HTTP server.

The daemon binds the port and starts this module as a child process (:mod:`.page_edge`), handing it the
listening socket and one local socket, the *link*: down it come the daemon's events as JSON lines (one
queued subscriber of the event stream in the daemon writes them), up it go the pages' commands. The
browsers' connections, their writes and a slow or frozen tab all live here, where no thread can hold the
daemon's interpreter lock while the notes wait for it (scripts/bench_page.py measured that cost when
this server ran inside the daemon).

- ``GET /`` (and ``/page.js``, ``/page.css``): the page, files of ``djai_live/page``, no build step and
  nothing fetched from elsewhere.
- ``GET /events``: server-sent events, one JSON object per event. Each page has its own bounded queue
  and thread; when it falls behind the oldest events are dropped and the page is told (``gap``).
- ``POST /command``: ``{"address": "/djai/set", "args": ["temperature", 0.8]}``, checked here by the OSC
  contract's parser (:func:`.protocol.parse`) for the HTTP answer, then parsed again by the daemon and
  submitted to the one command path: the same checks, acknowledgement and errors as OSC.

Why server-sent events and not a WebSocket: events go one way at note rate, commands are rare and each
wants an answer (its parse error) that an HTTP response already is; EventSource reconnects by itself, and
the whole thing is plain HTTP that ``http.server`` serves, so the daemon needs no other library.

Security, as Jupyter's server does it: every request's ``Host`` must be one this server is reached by
(DNS rebinding), any ``Origin`` must be the page's own (a page of another site can neither read the
stream nor send a command), and when ``--ui-host`` opens the server beyond loopback every request needs
the token printed in the ready line. The page can only name models it was offered, never a path.
"""
from __future__ import annotations

import argparse
import hmac
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .protocol import INBOUND, ProtocolError, parse

log = logging.getLogger(__name__)

PAGE_FILES = Path(__file__).resolve().parents[1] / "page"
CONTENT_TYPES = {"/": ("index.html", "text/html; charset=utf-8"),
                 "/page.js": ("page.js", "text/javascript; charset=utf-8"),
                 "/page.css": ("page.css", "text/css; charset=utf-8")}
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
TOKEN_VARIABLE = "DJAI_PAGE_TOKEN"  # how the daemon hands the token over (not on a command line others can read)
PAGE_QUEUE = 4096            # events a page may fall behind before the oldest are dropped
POLL_S = 0.5                 # how often the counters and the clock are asked for while a page is open
HEARTBEAT_S = 10.0           # a comment line this often: a closed tab is noticed by the failed write
WRITE_TIMEOUT_S = 60.0       # a tab that has read nothing for this long is let go (EventSource reconnects)
MAX_BODY = 16_384
COMMANDS_PER_S = 100.0       # a page's commands beyond this rate are refused, with one error per flood
# The server's process asks for this much less niceness than the daemon's (still ordinary scheduling, below
# every real-time thread of the daemon): the browsers it serves compete with it for the CPU, and at their
# niceness a note reached three drawing pages in 43-76 ms (p99), at 5 less in 15-32 ms (bench_page.py).
NICE_BOOST = 5


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


class PageQueue:
    """One page's bounded queue and thread: ``write(data)`` gets each item in order; when the page falls more
    than ``capacity`` behind, the oldest are dropped and the next write is told (``gap(dropped)``)."""

    def __init__(self, write: Callable[[bytes], None], capacity: int = PAGE_QUEUE) -> None:
        self.write = write
        self.dropped = 0
        self._told = 0
        self._queue: deque[bytes] = deque(maxlen=capacity)
        self._condition = threading.Condition()
        self._open = True
        threading.Thread(target=self._run, name="djai-page-writer", daemon=True).start()

    def put(self, data: bytes) -> None:
        with self._condition:
            if len(self._queue) == self._queue.maxlen:
                self.dropped += 1
            self._queue.append(data)
            self._condition.notify()

    def close(self) -> None:
        with self._condition:
            self._open = False
            self._condition.notify()

    def _run(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._queue or not self._open)
                if not self._open:
                    return
                data, dropped = self._queue.popleft(), self.dropped
            if dropped != self._told:
                self._told = dropped
                self.write(sse({"type": "gap", "dropped": dropped, "now": time.monotonic()}))
            self.write(data)


def sse(message: dict) -> bytes:
    return b"data: " + json.dumps(message).encode() + b"\n\n"


class PageServer:
    """The pages' side. ``up(message)`` sends to the daemon: ``{"command": {"address", "args"}}``,
    ``{"reject": text}`` or ``{"ask": "status" | "capabilities"}``; :meth:`deliver` takes each event line
    the daemon sends down. ``listening``: a socket the daemon bound, else one is bound to (host, port)."""

    def __init__(self, host: str, port: int, token: str | None, up: Callable[[dict], None],
                 models: Callable[[], list[str]], listening: socket.socket | None = None,
                 commands_per_s: float = COMMANDS_PER_S) -> None:
        self.up, self.models, self.token, self.host = up, models, token, host
        self.rate = CommandRate(commands_per_s)
        self.pages: set[PageQueue] = set()
        self._pages_lock = threading.Lock()
        self._stop = threading.Event()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        server_class = type("PageHTTPServer", (ThreadingHTTPServer,), {"address_family": family,
                                                                       "daemon_threads": True})
        if listening is None:
            listening = bind_page_socket(host, port)
        self.http = server_class(listening.getsockname()[:2], _handler_for(self), bind_and_activate=False)
        self.http.socket.close()
        self.http.socket = listening
        self.port = listening.getsockname()[1]
        self.guard = RequestGuard(host, self.port, token)
        self._threads = [threading.Thread(target=self.http.serve_forever, kwargs={"poll_interval": 0.5},
                                          name="djai-page", daemon=True),
                         threading.Thread(target=self._poll, name="djai-page-poll", daemon=True)]

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
        for page in pages:
            page.close()

    def deliver(self, line: bytes) -> None:
        """One event from the daemon (a JSON line), to every page's queue."""
        data = b"data: " + line.rstrip(b"\n") + b"\n\n"
        with self._pages_lock:
            pages = tuple(self.pages)
        for page in pages:
            page.put(data)

    def _poll(self) -> None:
        """The counters and the clock, asked for while a page is open (answered to the pages alone)."""
        while not self._stop.wait(POLL_S):
            if self.pages:
                self.up({"ask": "status"})

    # --- what the handler asks ----------------------------------------------------------------------------
    def open_page(self, write: Callable[[bytes], None]) -> PageQueue:
        """A page that connected: its own queue, then the whole state asked for."""
        page = PageQueue(write)
        with self._pages_lock:
            self.pages.add(page)
        self.up({"ask": "capabilities"})
        self.up({"ask": "status"})
        return page

    def close_page(self, page: PageQueue) -> None:
        with self._pages_lock:
            self.pages.discard(page)
        page.close()

    def hello(self) -> dict:
        return {"type": "hello", "models": self.models(), "inbound": sorted(INBOUND), "now": time.monotonic()}

    def reject(self, message: str) -> None:
        self.up({"reject": message})

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
            parse(address, args)  # for the answer; the daemon parses it again, as it parses every OSC message
        except ProtocolError as error:
            return self._refuse(str(error))
        self.up({"command": {"address": address, "args": args}})
        return 202, ""

    def _refuse(self, message: str) -> tuple[int, str]:
        self.reject(message)
        return 400, message


def bind_page_socket(host: str, port: int) -> socket.socket:
    """The page's listening socket, or an OSError that says what to do."""
    listening = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
        listening.listen(16)
    except OSError as error:
        listening.close()
        raise OSError(f"cannot serve the page on {host}:{port}: {error.strerror or error} "
                      "(is another program using that port? try --ui PORT)") from None
    return listening


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
            length_header = self.headers.get("Content-Length") or "0"
            length = int(length_header) if length_header.isdigit() else -1
            if not 0 < length <= MAX_BODY:
                status, error = server._refuse(f"page: a command of Content-Length {length_header[:20]!r} "
                                               f"(1-{MAX_BODY} bytes expected)")
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

            def write(data: bytes) -> None:
                with lock:
                    if gone.is_set():
                        return
                    try:
                        self.wfile.write(data)
                        self.wfile.flush()
                    except OSError:
                        gone.set()

            write(sse(server.hello()))
            page = server.open_page(write)
            try:
                while not gone.wait(HEARTBEAT_S) and not server._stop.is_set():
                    write(b": keep-alive\n\n")
            finally:
                server.close_page(page)

    return PageRequest


def main(argv: list[str] | None = None) -> int:
    """The child process: serve the pages until the daemon closes the link."""
    from .loader import available_models

    parser = argparse.ArgumentParser(prog="djai-live page server", description="run by serve --ui")
    parser.add_argument("--listen-fd", type=int, required=True)
    parser.add_argument("--link-fd", type=int, required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--models-dir", required=True)
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    # Ctrl-C in the daemon's terminal reaches this process too: the daemon ends it by closing the link
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        os.nice(-NICE_BOOST)
    except OSError as error:  # only root (or CAP_SYS_NICE) may: the pages are then a little later
        log.info("page server at the daemon's own niceness (%s)", error.strerror or error)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        datefmt="%H:%M:%S")
    link = socket.socket(fileno=args.link_fd)
    listening = socket.socket(fileno=args.listen_fd)
    lock = threading.Lock()

    def up(message: dict) -> None:
        with lock:
            try:
                link.sendall(json.dumps(message).encode() + b"\n")
            except OSError:
                pass  # the daemon is going: the link's end below ends this process

    models_dir = Path(args.models_dir)
    server = PageServer(args.host, 0, os.environ.get(TOKEN_VARIABLE) or None, up,
                        lambda: available_models(models_dir), listening=listening).start()
    with link.makefile("rb") as lines:
        for line in lines:
            server.deliver(line)
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
