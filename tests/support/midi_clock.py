"""A MIDI clock master in a process of its own, as a DAW is: a JACK virtual output port that sends Start,
then 24 ticks a beat on schedule (each jittered, as USB interfaces do), then Stop.

    python -m tests.support.midi_clock --client Clock --plan 120:24,90:24    # then 'T' on its stdin

It prints 'ready' once its port Clock:out exists, then reads ``T`` from its stdin: the ``time.monotonic()``
of song position 0, the first tick (the same clock in every process of one machine). Start goes
``--start-gap-ms`` before it (0.5 ms: DAWs send the first tick right after Start). ``--skip N`` sends the
first N ticks not at all, as if a busy driver had lost them: the host's beats are still where they were.
``--sent-to FILE`` gets the times each tick was really sent (NumPy). :class:`ClockProcess` runs it.
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

START, CLOCK, STOP = 0xFA, 0xF8, 0xFC
SPIN_S = 0.0003
ROOT = Path(__file__).resolve().parents[2]


def parse_plan(text: str) -> list[tuple[float, int]]:
    """'120:24,90:24' -> [(120.0, 24), (90.0, 24)]: BPM and beats."""
    plan = []
    for part in text.split(","):
        bpm, _, beats = part.partition(":")
        plan.append((float(bpm), int(beats)))
    return plan


def nominal_ticks(start: float, plan: list[tuple[float, int]]) -> np.ndarray:
    """The time of every tick of the plan, the first at ``start`` (song position 0)."""
    times, t = [], start
    for bpm, beats in plan:
        for _ in range(beats * 24):
            times.append(t)
            t += 60.0 / bpm / 24
    return np.array(times)


def nearest_ms(times: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """Signed distance (ms) from each time to the nearest of ``slots`` (sorted)."""
    times = np.asarray(times, dtype=np.float64)
    right = np.clip(np.searchsorted(slots, times), 1, len(slots) - 1)
    left = right - 1
    nearer = np.where(times - slots[left] < slots[right] - times, left, right)
    return (times - slots[nearer]) * 1000.0


def answer_onsets(messages: list[tuple[float, str, list]], after: float, before: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(first note-on of each answer, every note-on) from an OSC host's record (time, address, args) of
    what the daemon sent: an answer is its /djai/phrase and the /djai/note messages after it. Only
    note-ons within [after, before) count."""
    firsts, every, first_pending = [], [], False
    for when, address, args in sorted(messages, key=lambda message: message[0]):
        if address == "/djai/phrase":
            first_pending = True
        elif address == "/djai/note" and float(args[1]) > 0 and after <= when < before:
            every.append(when)
            if first_pending:
                firsts.append(when)
        if address == "/djai/note":
            first_pending = False
    return np.array(firsts), np.array(every)


def answer_starts(messages: list[tuple[float, str, list]], after: float, before: float) -> np.ndarray:
    """Where each answer was placed: for each of its notes heard in [after, before), the arrival less the
    note's offset from the first in the /djai/phrase, and the median of those. One note held up on its way
    (a loaded machine preempting the daemon) moves one estimate, not the median; a beat counted a tick late
    moves every note of the answer, so it still shows."""
    starts, pending, estimates = [], [], []
    for when, address, args in sorted(messages, key=lambda message: message[0]):
        if address == "/djai/phrase":
            if estimates:
                starts.append(float(np.median(estimates)))
            notes = sorted((float(args[2 + 4 * i]), int(args[3 + 4 * i])) for i in range(int(args[1])))
            pending = [(onset - notes[0][0], pitch) for onset, pitch in notes] if notes else []
            estimates = []
        elif address == "/djai/note" and float(args[1]) > 0 and after <= when < before:
            match = next((i for i, (_, pitch) in enumerate(pending) if pitch == int(args[0])), None)
            if match is not None:
                estimates.append(when - pending.pop(match)[0] / 1000.0)
    if estimates:
        starts.append(float(np.median(estimates)))
    return np.array(starts)


def play(client: str, plan: list[tuple[float, int]], jitter_s: float, seed: int, start_gap_s: float, skip: int,
         sent_to: str | None) -> None:
    import rtmidi

    out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name=client)
    out.open_virtual_port("out")
    print("ready", flush=True)
    start = float(sys.stdin.readline())
    _ask_for_realtime()
    rng = random.Random(seed)
    ticks = nominal_ticks(start, plan)
    sent = []
    _wait_until(start - start_gap_s)
    out.send_message([START])
    for i, nominal in enumerate(ticks):
        due = nominal + rng.uniform(-jitter_s, jitter_s)
        _wait_until(max(due, start - start_gap_s + 0.0002))   # never before Start
        if i >= skip:
            out.send_message([CLOCK])
        sent.append(time.monotonic())
    out.send_message([STOP])
    if sent_to:
        np.save(sent_to, np.array(sent))
    time.sleep(0.3)  # JACK delivers in the next cycles: let Stop leave before the port goes
    out.close_port()


def _wait_until(when: float) -> None:
    """Sleep until SPIN_S before, then spin: a sleep alone oversleeps by tens of microseconds or more, and a
    long spin would take a core from the processes measured."""
    while (wait := when - time.monotonic()) > SPIN_S:
        time.sleep(wait - SPIN_S)
    while time.monotonic() < when:
        pass


def _ask_for_realtime() -> None:
    """A DAW sends its clock from a real-time thread; do the same where the OS grants it (root, rtprio)."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(20))
    except (AttributeError, PermissionError, OSError):
        pass


class ClockProcess:
    """Runs this module as a process: :meth:`open` returns once its port exists, :meth:`play` gives it the
    time of song position 0."""

    def __init__(self, plan: str, client: str = "Clock", jitter_ms: float = 2.0, seed: int = 0,
                 start_gap_ms: float = 0.5, skip: int = 0, sent_to: str | None = None) -> None:
        self.plan = parse_plan(plan)
        self.start_time: float | None = None
        self.command = [sys.executable, "-m", "tests.support.midi_clock", "--client", client, "--plan", plan,
                        "--jitter-ms", str(jitter_ms), "--seed", str(seed),
                        "--start-gap-ms", str(start_gap_ms), "--skip", str(skip)]
        if sent_to:
            self.command += ["--sent-to", sent_to]
        self.process: subprocess.Popen | None = None

    @property
    def ticks(self) -> np.ndarray:
        """The nominal (unjittered) time of every tick; the first is song position 0."""
        return nominal_ticks(self.start_time, self.plan)

    @property
    def end(self) -> float:
        return float(self.ticks[-1])

    def open(self) -> ClockProcess:
        self.process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, cwd=ROOT)
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            self.process.kill()
            raise RuntimeError(f"the MIDI clock process did not start: {line}{self.process.stderr.read()}")
        return self

    def play(self, start: float) -> ClockProcess:
        """Song position 0 (the first tick) at monotonic ``start``; Start goes just before it."""
        self.start_time = start
        self.process.stdin.write(f"{start!r}\n")
        self.process.stdin.flush()
        return self

    def wait(self, timeout: float = 120.0) -> None:
        if self.process is not None:
            self.process.wait(timeout)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--client", default="Clock")
    parser.add_argument("--plan", type=parse_plan, default=parse_plan("120:24"))
    parser.add_argument("--jitter-ms", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start-gap-ms", type=float, default=0.5)
    parser.add_argument("--skip", type=int, default=0)
    parser.add_argument("--sent-to", default=None)
    args = parser.parse_args()
    play(args.client, args.plan, args.jitter_ms / 1000.0, args.seed, args.start_gap_ms / 1000.0,
         args.skip, args.sent_to)
    return 0


if __name__ == "__main__":
    sys.exit(main())
