"""libjack through ctypes, for what python-rtmidi does not expose: its messages, and the server's health.

**Messages.** libjack prints its errors straight to stderr (a JACK server going away makes every call print a few
lines: 'Cannot connect to server socket', 'Server is not running', ...). It lets a program replace
that printer (``jack_set_error_function`` / ``jack_set_info_function``), but python-rtmidi does not
expose it, so it is set here through ctypes on the very libjack that python-rtmidi loaded. Messages then
go through :class:`RateLimited`: a few lines per window, then one count of what was left out.

**The server.** :class:`JackServer` is a port-less client ('djai_live watch') that lists the MIDI ports
and hears at once, through ``jack_on_info_shutdown``, when the server goes away: a dead client's port
list is not to be trusted (it can still show the ports of before). After a server is gone every client
of ours must be closed *before* a new one is made: libjack otherwise frees the leftovers itself on the
next ``jack_client_open``, and touching them then crashes the process.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
import time
from pathlib import Path

log = logging.getLogger("djai_live.jack")

_PRINTER = ctypes.CFUNCTYPE(None, ctypes.c_char_p)
_SHUTDOWN = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
JACK_NO_START_SERVER = 0x01
JACK_PORT_IS_INPUT, JACK_PORT_IS_OUTPUT = 0x1, 0x2
MIDI_TYPE = b"8 bit raw midi"


class RateLimited:
    """At most ``burst`` lines per ``window_s`` seconds to ``emit``; the rest are counted, and the count is
    told with the next line let through."""

    def __init__(self, emit, burst: int = 5, window_s: float = 10.0, clock=time.monotonic) -> None:
        self.emit, self.burst, self.window_s, self.clock = emit, burst, window_s, clock
        self._lock = threading.Lock()
        self._window_start = -float("inf")
        self._sent = 0
        self.suppressed = 0       # left out since the last line let through
        self.suppressed_total = 0

    def __call__(self, text: str) -> bool:
        with self._lock:
            now = self.clock()
            if now - self._window_start >= self.window_s:
                self._window_start, self._sent = now, 0
            if self._sent >= self.burst:
                self.suppressed += 1
                self.suppressed_total += 1
                return False
            self._sent += 1
            left_out, self.suppressed = self.suppressed, 0
        self.emit(text + (f" ({left_out} similar message(s) left out)" if left_out else ""))
        return True


def _loaded_libjack() -> str | None:
    """The path of the libjack this process has loaded (python-rtmidi's wheel bundles its own)."""
    maps = Path("/proc/self/maps")
    if maps.exists():
        for line in maps.read_text().splitlines():
            path = line.split(maxsplit=5)[-1] if len(line.split()) >= 6 else ""
            if "libjack" in Path(path).name and ".so" in path and "jackserver" not in path:
                return path
    return ctypes.util.find_library("jack")


class JackMessages:
    """Routes libjack's error and info printers into our log while installed."""

    def __init__(self, burst: int = 5, window_s: float = 10.0) -> None:
        self.errors = RateLimited(lambda text: log.warning("JACK: %s", text), burst, window_s)
        self.infos = RateLimited(lambda text: log.debug("JACK: %s", text), burst, window_s)
        self._library: ctypes.CDLL | None = None
        self._saved: tuple[int | None, ...] = (None, None)
        # the C side keeps only the pointers: these objects must live as long as they are installed
        self._error_printer = _PRINTER(lambda raw: self.errors(_text(raw)))
        self._info_printer = _PRINTER(lambda raw: self.infos(_text(raw)))

    def install(self) -> bool:
        """Install the printers; False (and nothing changed) where no libjack is loaded or it lacks them."""
        import rtmidi  # noqa: F401  (loads the libjack python-rtmidi uses, if it uses one)

        path = _loaded_libjack()
        if path is None:
            return False
        try:
            library = ctypes.CDLL(path)
            saved = tuple(ctypes.c_void_p.in_dll(library, name).value
                          for name in ("jack_error_callback", "jack_info_callback"))
            library.jack_set_error_function(self._error_printer)
            library.jack_set_info_function(self._info_printer)
        except (OSError, AttributeError, ValueError) as error:
            log.debug("libjack's messages stay on stderr: %s", error)
            return False
        self._library, self._saved = library, saved
        return True

    def uninstall(self) -> None:
        """Give libjack its own printers back (before the interpreter, which runs ours, goes away)."""
        if self._library is None:
            return
        for name, saved in zip(("jack_error_callback", "jack_info_callback"), self._saved):
            if saved is not None:
                ctypes.c_void_p.in_dll(self._library, name).value = saved
        self._library = None


def _text(raw: bytes | None) -> str:
    return (raw or b"").decode("utf-8", "replace").strip()


def _library():
    """The libjack python-rtmidi loaded, with the signatures used here; None where there is none."""
    import rtmidi  # noqa: F401  (loads it)

    path = _loaded_libjack()
    if path is None:
        return None
    library = ctypes.CDLL(path)
    library.jack_client_open.restype = ctypes.c_void_p
    library.jack_client_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    library.jack_client_close.argtypes = [ctypes.c_void_p]
    library.jack_get_ports.restype = ctypes.POINTER(ctypes.c_char_p)
    library.jack_get_ports.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong]
    library.jack_free.argtypes = [ctypes.c_void_p]
    library.jack_on_info_shutdown.argtypes = [ctypes.c_void_p, _SHUTDOWN, ctypes.c_void_p]
    library.jack_get_buffer_size.restype = ctypes.c_uint32
    library.jack_get_buffer_size.argtypes = [ctypes.c_void_p]
    library.jack_get_sample_rate.restype = ctypes.c_uint32
    library.jack_get_sample_rate.argtypes = [ctypes.c_void_p]
    return library


class JackServer:
    """A port-less client that lists MIDI ports and notices the server's end (see the module's notes)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._library = _library()
        self._client = None
        self.gone = threading.Event()  # set from libjack's thread when the server shuts down
        self._on_shutdown = _SHUTDOWN(lambda code, reason, arg: self.gone.set())

    def open(self) -> bool:
        """Connect (never starting a server); False while no server answers."""
        if self._library is None:
            return False
        status = ctypes.c_int()
        client = self._library.jack_client_open(self.name.encode(), JACK_NO_START_SERVER, ctypes.byref(status))
        if not client:
            return False
        self.gone.clear()
        self._library.jack_on_info_shutdown(client, self._on_shutdown, None)
        self._client = client
        return True

    @property
    def is_open(self) -> bool:
        return self._client is not None

    @property
    def connected(self) -> bool:
        return self._client is not None and not self.gone.is_set()

    def midi_ports(self, flags: int) -> list[str]:
        """Names of the MIDI ports with these flags (JACK_PORT_IS_OUTPUT: ports that send, ...)."""
        names: list[str] = []
        found = self._library.jack_get_ports(self._client, None, MIDI_TYPE, flags)
        if found:
            index = 0
            while found[index]:
                names.append(found[index].decode("utf-8", "replace"))
                index += 1
            self._library.jack_free(found)
        return names

    def cycle_s(self) -> float | None:
        """The length of the server's process cycle (frames per period / sample rate); None when closed."""
        if not self.connected:
            return None
        frames = self._library.jack_get_buffer_size(self._client)
        rate = self._library.jack_get_sample_rate(self._client)
        return frames / rate if frames and rate else None

    def close(self) -> None:
        if self._client is not None:
            self._library.jack_client_close(self._client)
            self._client = None
