"""liblo's command-line tools (Debian liblo-tools) as a third-party OSC host."""
import subprocess
import threading
import time

import pytest

from tests.support.osc import free_udp_port, running_daemon, sounding_at_host
from tests.peer import need_executables

need_executables("oscsend", "oscdump", install="apt-get install liblo-tools")


class Dump:
    """oscdump's lines as they come (it prints "TIMETAG ADDRESS TYPES ARGS..." line-buffered with -L)."""

    def __init__(self, port: int) -> None:
        self.process = subprocess.Popen(["oscdump", "-L", str(port)], stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True)
        self.lines: list[list[str]] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            words = line.split()
            if len(words) > 1 and words[1].startswith("/djai/"):
                self.lines.append(words[1:])

    def of(self, address: str) -> list[list[str]]:
        return [line for line in list(self.lines) if line[0] == address]

    def wait_for(self, address: str, count: int, timeout: float = 20.0) -> list[list[str]]:
        deadline = time.monotonic() + timeout
        while len(self.of(address)) < count:
            assert time.monotonic() < deadline, f"oscdump saw {len(self.of(address))} x {address}: {self.lines}"
            time.sleep(0.02)  # polling interval
        return self.of(address)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def test_oscsend_plays_and_oscdump_hears_the_answer():
    reply_port = free_udp_port()
    dump = Dump(reply_port)
    try:
        with running_daemon("--mode", "every", "--every-n", "3", "--length", "5", "--tempo-bpm", "300",
                            "--channel-out", "2", reply_port=reply_port) as (_, port):
            for pitch in (60, 64, 67):
                # integers as Max sends them, then floats as Pd sends them
                subprocess.run(["oscsend", "127.0.0.1", str(port), "/djai/note", "ii", str(pitch), "90"], check=True)
                subprocess.run(["oscsend", "127.0.0.1", str(port), "/djai/note", "ff", f"{pitch}.0", "0.0"], check=True)
            subprocess.run(["oscsend", "127.0.0.1", str(port), "/djai/note", "s", "not a pitch"], check=True)
            offs = dump.wait_for("/djai/note_off", 5)
            errors = dump.wait_for("/djai/error", 1)
    finally:
        dump.close()
    phrases, ons = dump.of("/djai/phrase"), dump.of("/djai/note")
    assert len(phrases) == 1 and len(ons) == 5 and len(offs) == 5
    # /djai/phrase ii then (f i i f) per note: phrase_id count, onset_ms pitch velocity duration_ms
    address, types, phrase_id, count, *fields = phrases[0]
    assert types == "ii" + "fiif" * 5 and phrase_id == "1" and count == "5"
    notes = [fields[4 * i: 4 * i + 4] for i in range(5)]
    assert float(notes[0][0]) == 0.0
    # /djai/note i i f i: pitch velocity duration_ms channel, the phrase's notes in order
    for (_, note_types, pitch, velocity, duration, channel), (_, p, v, d) in zip(ons, notes):
        assert note_types == "iifi" and (pitch, velocity, channel) == (p, v, "2")
        assert 0 <= int(pitch) <= 127 and 1 <= int(velocity) <= 127
        assert float(duration) == float(d) and float(duration) >= 10.0
    assert all(line[1] == "ii" and line[3] == "2" for line in offs)
    assert sorted(line[2] for line in ons) == sorted(line[2] for line in offs)
    assert errors and "pitch must be a number, got str" in " ".join(errors[0])  # the wrong type is named


def test_oscsend_plays_a_soprano_and_oscdump_hears_alto_tenor_and_bass_end_on_panic():
    from djai_live.model_files import bundled_models

    if "chorale" not in bundled_models():
        pytest.skip("the chorale model is not bundled")
    reply_port = free_udp_port()
    dump = Dump(reply_port)

    def silent() -> bool:
        """Whether a synth fed these lines sounds nothing after the panic (whose sweep also ends notes
        already ended: a note-off for a silent note does nothing); every note ended by a note-off of its own."""
        lines = list(dump.lines)  # ADDRESS TYPES ARGS...
        messages = [(i, line[0], line[2:]) for i, line in enumerate(lines)]
        return not sounding_at_host(messages, all_notes_off=False) and ["/djai/all_notes_off"] in lines[1:]

    try:
        with running_daemon("--mode", "accompany", "--seed", "2", reply_port=reply_port, model="chorale") as (_, port):
            previous = None
            for pitch in (67, 69, 71, 72):
                if previous is not None:
                    subprocess.run(["oscsend", "127.0.0.1", str(port), "/djai/note_off", "ii", str(previous), "1"],
                                   check=True)
                subprocess.run(["oscsend", "127.0.0.1", str(port), "/djai/note", "ii", str(pitch), "90"], check=True)
                previous = pitch
            dump.wait_for("/djai/note", 3)
            subprocess.run(["oscsend", "127.0.0.1", str(port), "/djai/panic"], check=True)
            deadline = time.monotonic() + 10.0
            while not silent():
                assert time.monotonic() < deadline, f"notes still sounding: {dump.lines}"
                time.sleep(0.02)  # polling interval
    finally:
        dump.close()
    channels = {line[-1] for line in dump.of("/djai/note")}
    assert channels <= {"2", "3", "4"} and len(channels) >= 2  # channel 1 stays the performer's soprano
