"""Stand-ins for MIDI devices on JACK, each its own process, so a test can unplug one (kill it) and plug it
back (start it again under the same name).

    python -m tests.live.jack_devices synth NAME     # an input port NAME:in; prints each message received
    python -m tests.live.jack_devices keyboard NAME  # an output port NAME:out; sends 'status data1 data2' lines

Both print 'ready' once their port exists. The synth prints 'HH HH HH' (hex bytes) per message.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _synth(name: str) -> None:
    import rtmidi

    port = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, name, queue_size_limit=8192)
    port.ignore_types(sysex=True, timing=True, active_sense=True)
    port.set_callback(lambda event, data=None: print(" ".join(f"{b:02x}" for b in event[0]), flush=True))
    port.open_virtual_port("in")
    print("ready", flush=True)
    sys.stdin.read()  # until the test closes our stdin or kills us


def _keyboard(name: str) -> None:
    import rtmidi

    port = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name)
    port.open_virtual_port("out")
    print("ready", flush=True)
    for line in sys.stdin:
        port.send_message([int(word) for word in line.split()])
        print("sent", flush=True)


class Device:
    """One device process; ``plug()`` starts it, ``unplug()`` kills it (SIGKILL: no goodbye)."""

    def __init__(self, kind: str, name: str) -> None:
        self.kind, self.name = kind, name
        self.process: subprocess.Popen | None = None
        self.lines: list[str] = []

    def plug(self, timeout: float = 10.0) -> Device:
        self.lines = []
        self.process = subprocess.Popen([sys.executable, "-m", "tests.live.jack_devices", self.kind, self.name],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        text=True, cwd=ROOT)
        self._expect("ready", timeout)
        return self

    def _expect(self, word: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            if line.strip() == word:
                return
            self.lines.append(line.strip())
        raise AssertionError(f"{self.kind} {self.name}: no {word!r} (exit code {self.process.poll()})")

    def send(self, *data: int) -> None:
        self.process.stdin.write(" ".join(str(b) for b in data) + "\n")
        self.process.stdin.flush()
        self._expect("sent", 5.0)

    def unplug(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)

    def close(self) -> None:
        self.unplug()


class Synth(Device):
    """Reads what it received on a thread; knows which notes still sound (per MIDI rules)."""

    def __init__(self, name: str) -> None:
        super().__init__("synth", name)
        self.messages: list[tuple[int, ...]] = []

    def plug(self, timeout: float = 10.0) -> Synth:
        import threading

        super().plug(timeout)
        process = self.process

        def read() -> None:
            for line in process.stdout:
                self.messages.append(tuple(int(word, 16) for word in line.split()))

        threading.Thread(target=read, daemon=True).start()
        return self

    def sounding(self) -> set[tuple[int, int]]:
        """(channel 1-16, pitch) of the notes still sounding after every message received so far."""
        return sounding_after(list(self.messages))

    def wait_for(self, predicate, timeout: float = 10.0) -> list[tuple[int, ...]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(list(self.messages)):
                return list(self.messages)
            time.sleep(0.01)
        raise AssertionError(f"synth {self.name}: condition not met; received {self.messages[-20:]}")


def sounding_after(messages: list[tuple[int, ...]]) -> set[tuple[int, int]]:
    """What a synth still sounds after these messages: note-ons minus note-offs, CC 123/120 end a channel."""
    sounding: set[tuple[int, int]] = set()
    for message in messages:
        if len(message) < 3:
            continue
        status, data1, data2 = message[:3]
        kind, channel = status & 0xF0, (status & 0x0F) + 1
        if kind == 0x90 and data2 > 0:
            sounding.add((channel, data1))
        elif kind == 0x80 or (kind == 0x90 and data2 == 0):
            sounding.discard((channel, data1))
        elif kind == 0xB0 and data1 in (120, 123):
            sounding = {key for key in sounding if key[0] != channel}
    return sounding


class JackServerProcess:
    """A JACK server (dummy driver) of our own, under its own name: this process and its children find it
    through JACK_DEFAULT_SERVER, so runs on one machine (several checkouts testing at once) never share
    a server, nor each other's ports."""

    def __init__(self, name: str | None = None, period: int = 128) -> None:
        import os

        self.name = name or f"djai_test_{os.getpid()}"
        self.period = period
        self.process: subprocess.Popen | None = None
        os.environ["JACK_DEFAULT_SERVER"] = self.name

    def start(self) -> JackServerProcess:
        self.process = subprocess.Popen(["jackd", "-n", self.name, "--no-realtime", "-d", "dummy", "-r", "48000",
                                         "-p", str(self.period)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if subprocess.run(["jack_wait", "-w", "-t", "5"], capture_output=True).returncode != 0 \
                or self.process.poll() is not None:
            self.stop()
            raise RuntimeError(f"the JACK server {self.name} did not start")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # by its PID, never by name
            self.process.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()


def jack_port_names() -> str:
    return subprocess.run(["jack_lsp"], capture_output=True, text=True).stdout


if __name__ == "__main__":
    {"synth": _synth, "keyboard": _keyboard}[sys.argv[1]](sys.argv[2])
