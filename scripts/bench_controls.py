#!/usr/bin/env python3
"""Steering over real MIDI ports, timed where a user sees and hears it: `djai-live serve` as its own process,
on JACK (dummy driver, no sound card), and this script as the controller, the keyboard and the host.

This process owns a JACK output port (the controller and keyboard, ``--midi-in`` of the daemon), an input
port connected to that same output (the JACK floor: when a message sent reaches any client) and an input
port on ``djai_live out`` (the synth). An OSC host here times every reply by the kernel's arrival stamp
(SO_TIMESTAMPNS). Four parts, each with its baseline in the same run:

1. CC -> acknowledgement: a knob (CC 21, mapped onto temperature 0.8-1.2) turned at 100 CCs/s, each CC's
   `/djai/set` acknowledgement timed from the moment it was sent; beside it the JACK floor, when the
   same CC reached this process's own input port.
2. Knob turning while notes stream: answers of 64 notes at 240 BPM asked for every second (`--mode manual`),
   10 s without the knob, then 10 s with it at 100 CCs/s; each `/djai/note`'s lateness against its phrase's
   onset (`/djai/phrase` arrival + onset_ms), the two halves side by side, and the acks during streaming.
3. Pedal -> first note: after a phrase played on the keyboard port (phrase mode, phrase_gap_ms 60000, so
   only a request answers), the hand-over pedal (CC 67) goes down; the time to the first `/djai/note` of
   the answer minus its onset_ms. Baseline, alternating with it: `/djai/generate` sent over OSC.
4. CC 123 -> notes ended: while an answer sounds (30 BPM: 2 s notes), the host's All Notes Off (CC 123);
   the time until every note sounding has its note-off, at the OSC host and at the MIDI synth, and whether
   any note started afterwards. Baseline, alternating with it: `/djai/panic` over OSC.

    apt-get install jackd2
    python scripts/bench_controls.py                # 32-frame JACK periods (0.67 ms at 48 kHz)
    python scripts/bench_controls.py --period 64    # a common studio setting: 1.33 ms a period
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.osc import OscPeer, free_udp_port, running_daemon  # noqa: E402

SERVER = "djai_bench_controls"
CLIENT = "BenchControls"
KNOB_CC, PEDAL_CC, CC = 21, 67, 0xB0
KNOB_LOW, KNOB_HIGH = 0.8, 1.2
MAP = f"""[cc]
temperature = {{ cc = {KNOB_CC}, min = {KNOB_LOW}, max = {KNOB_HIGH} }}
[actions]
handover = {PEDAL_CC}
"""
PHRASE = (60, 62, 64, 65, 67, 65)


def describe(values_ms, unit: str = "ms") -> str:
    values = np.asarray(values_ms, dtype=np.float64)
    if not len(values):
        return "none"
    return (f"p50 {np.percentile(values, 50):.3f} {unit}, p99 {np.percentile(values, 99):.3f} {unit}, "
            f"max {values.max():.3f} {unit} ({len(values)})")


class Ports:
    """This process's JACK ports: the controller/keyboard output, its own echo input, the synth input."""

    def __init__(self) -> None:
        import rtmidi

        self.out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, CLIENT)
        self.out.open_virtual_port("out")
        self.echo: list[tuple[float, tuple]] = []    # (arrival, bytes) at our own input on our output
        self.synth: list[tuple[float, tuple]] = []   # what djai_live out sent
        self._echo_in = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, f"{CLIENT} echo", queue_size_limit=8192)
        self._synth_in = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, f"{CLIENT} synth", queue_size_limit=8192)
        self._lock = threading.Lock()

    def connect(self) -> None:
        for port, wanted, record in ((self._echo_in, f"{CLIENT}:out", self.echo),
                                     (self._synth_in, "djai_live out", self.synth)):
            names = port.get_ports()
            port.open_port(next(i for i, name in enumerate(names) if wanted in name), "in")
            port.set_callback(self._recorder(record))

    def _recorder(self, record: list):
        def callback(event, data=None) -> None:
            now = time.monotonic()
            with self._lock:
                record.append((now, tuple(event[0])))
        return callback

    def send(self, *data: int) -> float:
        sent = time.monotonic()
        self.out.send_message(list(data))
        return sent

    def close(self) -> None:
        for port in (self._echo_in, self._synth_in, self.out):
            port.close_port()
            port.delete()


def knob_value(v: int) -> float:
    return KNOB_LOW + (KNOB_HIGH - KNOB_LOW) * v / 127.0


def turn_knob(ports: Ports, seconds: float, rate: float = 100.0) -> list[tuple[float, int]]:
    """CC 21 from 0 up to 127 and down again, paced at ``rate``; returns (sent, value)."""
    sent, period, start = [], 1.0 / rate, time.monotonic()
    for i in range(int(seconds * rate)):
        due = start + i * period
        while time.monotonic() < due:
            time.sleep(0.0005)
        value = i % 254 if i % 254 < 128 else 253 - i % 254
        sent.append((ports.send(CC, KNOB_CC, value), value))
    return sent


def ack_latencies(sent: list[tuple[float, int]], acks: list[tuple[float, str, list]],
                  echo: list[tuple[float, tuple]]) -> tuple[list[float], list[float], int]:
    """(CC -> /djai/set ms, CC -> our own input ms, CCs without an ack): each CC matched to the first ack
    or echo of its value after it was sent."""
    daemon, floor, missing = [], [], 0
    temperature_acks = [(t, round((args[1] - KNOB_LOW) / (KNOB_HIGH - KNOB_LOW) * 127)) for t, _, args in acks
                        if args[0] == "temperature"]
    knob_echo = [(t, data[2]) for t, data in echo if len(data) == 3 and data[:2] == (CC, KNOB_CC)]
    for when, value in sent:
        ack = next((t for t, v in temperature_acks if v == value and t >= when), None)
        heard = next((t for t, v in knob_echo if v == value and t >= when), None)
        if ack is None or ack - when > 0.5:
            missing += 1
        else:
            daemon.append((ack - when) * 1000.0)
        if heard is not None and heard - when <= 0.5:
            floor.append((heard - when) * 1000.0)
    return daemon, floor, missing


def stream_lateness(messages: list[tuple[float, str, list]], begin: float, end: float) -> list[float]:
    """Each /djai/note's arrival minus when its phrase says it is due, for phrases sent in [begin, end)."""
    lateness, due = [], []
    for t, address, args in messages:
        if address == "/djai/phrase":
            due = sorted(t + args[2 + 4 * i] / 1000.0 for i in range(args[1])) if begin <= t < end else []
        elif address == "/djai/note" and due:
            lateness.append((t - due.pop(0)) * 1000.0)
    return lateness


def play_phrase(ports: Ports) -> None:
    for pitch in PHRASE:
        ports.send(0x90, pitch, 90)
        time.sleep(0.06)
        ports.send(0x80, pitch, 0)
        time.sleep(0.01)


def first_note_after(host: OscPeer, since: float, timeout: float = 2.0) -> float | None:
    """ms from ``since`` to the first /djai/note of the answer after it, less that note's onset_ms."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = [m for m in host.messages() if m[0] >= since]
        phrase = next((m for m in messages if m[1] == "/djai/phrase"), None)
        note = next((m for m in messages if m[1] == "/djai/note"), None)
        if phrase is not None and note is not None:
            first_onset = min(phrase[2][2 + 4 * i] for i in range(phrase[2][1]))
            return (note[0] - since) * 1000.0 - first_onset
        time.sleep(0.01)
    return None


def sounding(messages: list[tuple[float, str, list]]) -> set[tuple[int, int]]:
    notes: set[tuple[int, int]] = set()
    for _, address, args in messages:
        if address == "/djai/note":
            notes.add((args[0], args[3]))
        elif address == "/djai/note_off":
            notes.discard((args[0], args[1]))
    return notes


def midi_sounding(messages: list[tuple[float, tuple]]) -> set[tuple[int, int]]:
    """What a synth still sounds after these messages (CC 123/120 end a channel, as a synth does)."""
    notes: set[tuple[int, int]] = set()
    for _, data in messages:
        if len(data) == 3 and data[0] & 0xF0 == 0x90 and data[2] > 0:
            notes.add((data[0] & 0x0F, data[1]))
        elif len(data) == 3 and (data[0] & 0xF0 == 0x80 or data[0] & 0xF0 == 0x90):
            notes.discard((data[0] & 0x0F, data[1]))
        elif len(data) == 3 and data[0] & 0xF0 == 0xB0 and data[1] in (120, 123):
            notes = {note for note in notes if note[0] != data[0] & 0x0F}
    return notes


def part_acks_and_streaming(ports: Ports, host: OscPeer) -> None:
    host.clear()
    del ports.echo[:]
    sent = turn_knob(ports, 5.0)
    time.sleep(0.3)
    daemon, floor, missing = ack_latencies(sent, host.messages("/djai/set"), list(ports.echo))
    print("1. CC -> acknowledgement, the knob alone (100 CCs/s for 5 s)")
    print(f"   JACK floor (CC at this process's own input): {describe(floor)}")
    print(f"   CC -> /djai/set at the OSC host:             {describe(daemon)}; {missing} without an ack")

    host.send("/djai/set", "mode", "manual")
    host.send("/djai/set", "tempo_bpm", 240.0)
    host.send("/djai/set", "length", 64)
    host.send("/djai/set", "interrupt", 0)
    play_phrase(ports)
    host.barrier()
    host.clear()
    del ports.echo[:]
    halves: dict[str, tuple[float, float]] = {}
    knob_sent: list[tuple[float, int]] = []
    for name in ("still", "turning"):
        begin = time.monotonic()
        asker = threading.Thread(target=ask_every_second, args=(host, 10))
        asker.start()
        if name == "turning":
            knob_sent = turn_knob(ports, 10.0)
        asker.join()
        halves[name] = (begin, time.monotonic())
    time.sleep(1.0)
    messages = host.messages()
    print("2. notes streaming (answers of 64 notes at 240 BPM asked for every second), 10 s each, same run")
    for name, (begin, end) in halves.items():
        label = "knob still:" if name == "still" else "knob turning at 100 CCs/s:"
        print(f"   {label:<28} note lateness {describe(stream_lateness(messages, begin, end))}")
    daemon, floor, missing = ack_latencies(knob_sent, host.messages("/djai/set"), list(ports.echo))
    print(f"   while streaming: JACK floor {describe(floor)}")
    print(f"   while streaming: CC -> /djai/set {describe(daemon)}; {missing} without an ack")


def ask_every_second(host: OscPeer, times: int) -> None:
    start = time.monotonic()
    for i in range(times):
        while time.monotonic() < start + i:
            time.sleep(0.001)
        host.send("/djai/generate")


def part_pedal(ports: Ports, host: OscPeer, trials: int) -> None:
    for name, value in (("mode", "phrase"), ("phrase_gap_ms", 60000.0), ("length", 8), ("tempo_bpm", 120.0),
                        ("interrupt", 1)):
        host.send("/djai/set", name, value)
    host.barrier()
    pedal, request = [], []
    for trial in range(trials):
        play_phrase(ports)
        time.sleep(0.6)  # the answer to this buffer is prepared meanwhile, as between a performer's phrases
        if trial % 2 == 0:
            since = ports.send(CC, PEDAL_CC, 127)
            pedal.append(first_note_after(host, since))
            ports.send(CC, PEDAL_CC, 0)
            time.sleep(0.05)
            handovers = [args for t, _, args in host.messages("/djai/handover") if t >= since]
            if handovers != [[1], [0]] or pedal[-1] is None:
                print(f"   (trial {trial}: the pedal said {handovers}, errors "
                      f"{[args for t, _, args in host.messages('/djai/error') if t >= since]}; "
                      f"{[(round((t - since) * 1000, 1), a) for t, a, _ in host.messages() if t >= since][:8]})")
        else:
            since = time.monotonic()
            host.send("/djai/generate")
            request.append(first_note_after(host, since))
        time.sleep(0.3)
    print(f"3. pedal -> first answering note (its onset_ms taken off), {trials} trials alternating")
    print(f"   /djai/generate over OSC (baseline): {describe([v for v in request if v is not None])}")
    print(f"   the pedal (CC 67) over JACK:        {describe([v for v in pedal if v is not None])}; "
          f"{sum(v is None for v in pedal)} without an answer")


def part_all_notes_off(ports: Ports, host: OscPeer, trials: int) -> None:
    for name, value in (("mode", "manual"), ("tempo_bpm", 30.0), ("length", 16), ("interrupt", 0)):
        host.send("/djai/set", name, value)
    host.barrier()
    results: dict[str, list] = {"cc123": [], "panic": []}
    for trial in range(trials):
        kind = "cc123" if trial % 2 == 0 else "panic"
        host.send("/djai/panic")  # each trial from silence, at the synth too
        time.sleep(0.2)
        host.clear()
        del ports.synth[:]
        host.send("/djai/generate")
        deadline = time.monotonic() + 3.0
        while not sounding(host.messages()) and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.05)
        before = sounding(host.messages())
        midi_before = midi_sounding(list(ports.synth))
        since = ports.send(CC, 123, 0) if kind == "cc123" else time.monotonic()
        if kind == "panic":
            host.send("/djai/panic")
        time.sleep(1.0)
        after = [m for m in host.messages() if m[0] >= since]
        ends = {(args[0], args[1]): t for t, address, args in after if address == "/djai/note_off"}
        midi_ends = {(data[0] & 0x0F, data[1]): t for t, data in ports.synth if t >= since
                     and len(data) == 3 and data[0] & 0xF0 == 0x80}
        # "after it": after the daemon said it had followed it (/djai/transport stop; for the panic, the
        # /djai/all_notes_off that ends it), so a message JACK delivered late does not count against it
        said = next((t for t, address, _ in after if address in ("/djai/transport", "/djai/all_notes_off")), None)
        started_after = sum(1 for t, address, _ in after if address == "/djai/note" and said is not None and t > said)
        osc_ms = max((ends[n] - since) * 1000.0 for n in before) if before and before <= set(ends) else None
        midi_ms = max((midi_ends[n] - since) * 1000.0 for n in midi_before) \
            if midi_before and midi_before <= set(midi_ends) else None
        stuck = len(midi_sounding(list(ports.synth)))  # still sounding at the synth, 1 s on
        results[kind].append((osc_ms, midi_ms, started_after, len(before), said is None, stuck))
    print(f"4. ending what sounds, {trials} trials alternating: time until every sounding note has its note-off")
    for kind, label in (("panic", "/djai/panic over OSC (baseline)"), ("cc123", "CC 123 from the host over JACK")):
        rows = results[kind]
        osc = [r[0] for r in rows if r[0] is not None]
        midi = [r[1] for r in rows if r[1] is not None]
        print(f"   {label}: at the OSC host {describe(osc)}; at the MIDI synth {describe(midi)}; "
              f"notes started after it: {sum(r[2] for r in rows)}; sounding before it: "
              f"{sum(r[3] for r in rows)} over {len(rows)} trials; trials not ended: "
              f"{sum(r[0] is None for r in rows)} (OSC), {sum(r[1] is None for r in rows)} (MIDI); "
              f"not acknowledged: {sum(r[4] for r in rows)}; notes still sounding at the synth 1 s later: "
              f"{sum(r[5] for r in rows)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--period", type=int, default=32, help="JACK frames per period at 48 kHz")
    parser.add_argument("--trials", type=int, default=20, help="pedal and CC 123 trials (each half baseline)")
    parser.add_argument("--no-realtime", action="store_true", help="the daemon without real-time scheduling")
    args = parser.parse_args()
    if shutil.which("jackd") is None:
        print("jackd is not installed (apt-get install jackd2)", file=sys.stderr)
        return 1
    os.environ["JACK_DEFAULT_SERVER"] = SERVER
    jack = subprocess.Popen(["jackd", "-n", SERVER, "--no-realtime", "-d", "dummy", "-r", "48000", "-p",
                             str(args.period)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    map_file = Path(tempfile.mkdtemp()) / "bench_map.toml"
    map_file.write_text(MAP)
    ports = None
    try:
        subprocess.run(["jack_wait", "-s", SERVER, "-w", "-t", "5"], check=True, capture_output=True)
        ports = Ports()
        reply_port = free_udp_port()
        serve = ["--midi-api", "jack", "--midi-in", CLIENT, "--midi-out", "virtual", "--midi-map", str(map_file),
                 "--seed", "0"] + (["--no-realtime"] if args.no_realtime else [])
        print(f"JACK dummy driver, --no-realtime, {args.period}-frame periods at 48 kHz "
              f"({args.period / 48:.2f} ms); `djai-live serve` {'--no-realtime' if args.no_realtime else 'real-time'}"
              " as its own process; replies timed at an OSC host by kernel stamps")
        with running_daemon(*serve, reply_port=reply_port) as (_, port):
            host = OscPeer(port, listen_port=reply_port)
            try:
                ports.connect()
                time.sleep(0.5)  # JACK may lose what is sent in the first cycles after a connection
                part_acks_and_streaming(ports, host)
                part_pedal(ports, host, args.trials)
                part_all_notes_off(ports, host, args.trials)
            finally:
                host.close()
        return 0
    finally:
        if ports is not None:
            ports.close()
        jack.terminate()
        jack.wait(10)


if __name__ == "__main__":
    sys.exit(main())
