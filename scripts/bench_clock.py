#!/usr/bin/env python3
"""Playing in time with MIDI clock: answer onsets against the clock's beat grid, and tempo following.

A separate process sends MIDI clock over JACK (dummy driver, no sound card): Start, then 24 ticks per beat
at 120 BPM for 24 beats, then 90 BPM for 24 beats, every tick jittered uniformly by +-2 ms as USB
interfaces do. The daemon (in this process, so that the time each note-on leaves the scheduler can be
recorded exactly) listens to that port with `--clock midi --quantize-start beat --grid 1/16` and is asked
for an 8-note answer every 1.5 s.

Phase is scored against the host's beats, not against the nearest grid point (which would score a note a
whole sixteenth or beat off as perfect): each answer says on which host beat it starts and at which beat
offset each note falls; the sender's nominal (unjittered) ticks say when that beat really was. The script
prints how far the first note of each answer left from its beat, and every note from its intended slot,
and how long after the tempo change the daemon's tempo estimate settled within 0.5 BPM of 90.

``--calibrate`` first runs with another seed and no clock latency, takes the signed median it measures as
``clock_latency_ms`` (as a DAW's MIDI clock sync delay is calibrated), and then measures with it: the
calibration is never fitted on the run it is judged on.

The baseline in the same run is the raw clock itself: how far the jittered ticks that carry the grid
are from that same nominal grid.

    apt-get install jackd2
    python scripts/bench_clock.py --calibrate
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import threading
import time

import numpy as np

SERVER = "djai_bench_clock"
PLAN = ((120.0, 24), (90.0, 24))   # (BPM, beats)
JITTER_S = 0.002
SENDER_PORT = "bench clock"


def nominal_ticks(start: float) -> np.ndarray:
    times, t = [], start
    for bpm, beats in PLAN:
        for _ in range(beats * 24):
            times.append(t)
            t += 60.0 / bpm / 24
    return np.array(times)


def send_clock(start: float, seed: int) -> None:
    """The clock process: a virtual JACK MIDI output sending Start and jittered ticks on schedule."""
    import rtmidi

    out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="bench")
    out.open_virtual_port(SENDER_PORT)
    rng = random.Random(seed)
    ticks = nominal_ticks(start)
    sent = []
    while time.monotonic() < start - 0.05:
        time.sleep(0.01)
    out.send_message([0xFA])
    for nominal in ticks:
        due = nominal + rng.uniform(-JITTER_S, JITTER_S)
        while (wait := due - time.monotonic()) > 0.002:
            time.sleep(wait - 0.002)
        while time.monotonic() < due:
            pass
        out.send_message([0xF8])
        sent.append(time.monotonic())
    out.send_message([0xFC])
    np.save(sys.argv[sys.argv.index("--sent-to") + 1], np.array(sent))
    time.sleep(0.5)


class Recorder:
    """A note sink that keeps each answer and the time each of its note-ons leaves the scheduler."""

    def __init__(self) -> None:
        self.answers: list[tuple[object, list[float]]] = []   # (phrase, note-on times in its order)

    @property
    def note_ons(self) -> list[float]:
        return [t for _, times in self.answers for t in times]

    def phrase(self, phrase) -> None:
        self.answers.append((phrase, []))

    def note_on(self, pitch, velocity, duration_ms, channel) -> None:
        self.answers[-1][1].append(time.monotonic())

    def note_off(self, pitch, channel) -> None:
        pass

    def all_notes_off(self, ever_sent, channels) -> None:
        pass


def percentiles(errors_ms: np.ndarray) -> str:
    """|error| percentiles, and the signed median: a constant lead or lag that --clock-latency can remove."""
    magnitudes = np.abs(errors_ms)
    return (f"p50 {np.percentile(magnitudes, 50):.3f} ms, p99 {np.percentile(magnitudes, 99):.3f} ms, "
            f"max {magnitudes.max():.3f} ms, signed median {np.median(errors_ms):+.3f} ms ({len(errors_ms)} events)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--send-clock", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--sent-to", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jack-realtime", action="store_true",
                        help="run the JACK server with real-time scheduling, as a studio does (root or rtprio)")
    parser.add_argument("--no-realtime", action="store_true", help="the daemon without real-time scheduling")
    parser.add_argument("--clock-latency-ms", type=float, default=0.0,
                        help="the daemon's clock_latency_ms, set by hand (see --calibrate)")
    parser.add_argument("--calibrate", action="store_true",
                        help="measure clock_latency_ms in a first run (seed + 1000), then measure with it")
    args = parser.parse_args()
    os.environ["JACK_DEFAULT_SERVER"] = SERVER
    if args.send_clock is not None:
        send_clock(args.send_clock, args.seed)
        return 0
    if shutil.which("jackd") is None:
        print("jackd is not installed (apt-get install jackd2)", file=sys.stderr)
        return 1
    realtime_jack = ["--realtime"] if args.jack_realtime else ["--no-realtime"]
    jack = subprocess.Popen(["jackd", "-n", SERVER, *realtime_jack, "-d", "dummy", "-r", "48000", "-p", "64"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        subprocess.run(["jack_wait", "-s", SERVER, "-w", "-t", "5"], check=True, capture_output=True)
        if args.calibrate:
            calibration = run(args.seed + 1000, 0.0, report=False, no_realtime=args.no_realtime)
            print(f"calibration run (seed {args.seed + 1000}, no clock latency): every note vs its slot, signed "
                  f"median {calibration:+.3f} ms -> clock_latency_ms {calibration:.3f} for the measured run")
            args.clock_latency_ms = calibration
        run(args.seed, args.clock_latency_ms, no_realtime=args.no_realtime)
        return 0
    finally:
        jack.terminate()
        jack.wait(10)


def intended_times(phrase, ticks: np.ndarray) -> np.ndarray:
    """When each note of an answer should sound: at the host beat the answer says it falls on, timed by
    the sender's nominal ticks (beat b is tick 24 b; the first tick after Start is beat 0)."""
    onsets_ms = np.array([note.onset_ms for note in phrase.notes])
    beats = phrase.start_beat + (onsets_ms - onsets_ms[0]) * phrase.bpm / 60_000.0
    return np.interp(beats * 24.0, np.arange(len(ticks)), ticks, right=np.nan)


def run(seed: int, clock_latency_ms: float, report: bool = True, no_realtime: bool = False) -> float:
    """One measured run; returns the signed median error of every note against its slot (ms)."""
    import tempfile

    from djai_live.live.daemon import Daemon, ServeOptions
    from djai_live.live.protocol import Command
    from djai_live.live.settings import LiveSettings

    sent_file = os.path.join(tempfile.mkdtemp(), "sent.npy")
    start = time.monotonic() + 3.0
    sender = subprocess.Popen([sys.executable, __file__, "--send-clock", repr(start), "--sent-to", sent_file,
                               "--seed", str(seed)], env=dict(os.environ))
    time.sleep(1.5)  # the sender's port must exist before the daemon looks for it
    settings = LiveSettings(mode="manual", length=8, clock="midi", quantize_start="beat", grid="1/16",
                            clock_latency_ms=clock_latency_ms)
    daemon = Daemon(ServeOptions(osc=False, midi_in=SENDER_PORT, midi_api="jack", seed=seed,
                                 realtime=not no_realtime), settings)
    recorder = Recorder()
    daemon.scheduler.sink = recorder
    play = daemon._play

    def play_and_record(phrase) -> None:  # the answer, with where it sits on the host's beats
        if phrase.notes:
            recorder.phrase(phrase)
        play(phrase)

    daemon._play = play_and_record
    if os.environ.get("DJAI_BENCH_CLOCK_DUMP"):  # keep what the clock was fed, to replay offline
        fed, original_feed = [], daemon.engine.host_clock.feed
        daemon.engine.host_clock.feed = lambda kind, when, value=None: (fed.append((kind, when, value)),
                                                                        original_feed(kind, when, value))
    daemon.start()
    tempo_trace: list[tuple[float, float]] = []
    stop = threading.Event()

    def watch_tempo() -> None:
        while not stop.wait(0.01):
            now = time.monotonic()
            position = daemon.engine.host_clock.position(now)
            if position is not None:
                tempo_trace.append((now, position.bpm))

    watcher = threading.Thread(target=watch_tempo, daemon=True)
    watcher.start()
    for i, pitch in enumerate((62, 64, 66, 67, 69, 67, 66, 64)):
        daemon.queue.put((Command("note_on", (pitch, 90, 1)), time.monotonic()))
        time.sleep(0.05)
        daemon.queue.put((Command("note_off", (pitch, 1)), time.monotonic()))
    ticks = nominal_ticks(start)
    while time.monotonic() < start + 0.6:
        time.sleep(0.05)
    while time.monotonic() < ticks[-1] - 1.5:
        daemon.queue.put((Command("generate", ()), time.monotonic()), control=True)
        time.sleep(1.5)
    time.sleep(1.6)
    stop.set()
    daemon.stop()
    sender.wait(10)

    if os.environ.get("DJAI_BENCH_CLOCK_DUMP"):
        import pickle

        with open(os.environ["DJAI_BENCH_CLOCK_DUMP"], "wb") as handle:
            pickle.dump({"fed": fed, "ticks": ticks, "start": start}, handle)
    change = start + 24 * 60.0 / 120.0      # the first tick at 90 BPM
    bar_after = change + 4 * 60.0 / 90.0
    sent = np.load(sent_file)

    def against(reference: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """(first notes vs their beats, every note vs its slot, notes due in the bar after the change,
        answers not placed) with the host's beats timed by ``reference`` ticks."""
        firsts, every, in_change, unplaced = [], [], [], 0
        for phrase, played in recorder.answers:
            if phrase.start_beat is None:
                unplaced += 1
                continue
            due = intended_times(phrase, reference)[:len(played)]
            for k, (when, intended) in enumerate(zip(played, due)):
                if np.isnan(intended) or when >= ticks[-1]:
                    continue
                error = (when - intended) * 1000.0
                (in_change if change <= intended < bar_after else every).append(error)
                if k == 0:
                    firsts.append(error)
        return np.array(firsts), np.array(every), np.array(in_change), unplaced

    firsts, every, in_change, unplaced = against(ticks)
    signed_median = float(np.median(every)) if len(every) else float("nan")
    if not report:
        return signed_median
    print(f"MIDI clock from a separate process over JACK: {PLAN[0][0]:.0f} BPM for {PLAN[0][1]} beats, then "
          f"{PLAN[1][0]:.0f} BPM for {PLAN[1][1]} beats, each tick jittered by +-{JITTER_S * 1000:.0f} ms; "
          f"seed {seed}, clock_latency_ms {clock_latency_ms:g}")
    print(f"  baseline: sent ticks vs the nominal grid   {percentiles((sent - ticks[:len(sent)]) * 1000.0)}")
    show = lambda errors: percentiles(errors) if len(errors) else "none"  # noqa: E731
    print("  against the host's beats (each note at the beat its answer says, timed by the nominal ticks):")
    print(f"    first note of each answer vs its beat:   {show(firsts)}")
    print(f"    every note vs its slot, steady tempo:    {show(every)}")
    print(f"    notes due in the bar after the change:   {show(in_change)}")
    if len(sent) == len(ticks):  # a loaded sender is late itself: the beats as it really sent them
        firsts_sent, every_sent, _, _ = against(sent)
        print(f"    the same timed by the ticks as sent: first notes {show(firsts_sent)}")
        print(f"                                         every note  {show(every_sent)}")
    if unplaced:
        print(f"    {unplaced} answers were not placed on the host's beats (no clock yet)")
    onsets = np.array([t for t in recorder.note_ons if t < ticks[-1]])
    if len(onsets):  # the old measure, for comparison: alignment to any grid point, blind to phase
        grid = ticks[::6]
        nearest = grid[np.abs(onsets[:, None] - grid[None, :]).argmin(axis=1)]
        print(f"    (alignment only: every note vs the nearest 1/16 point {percentiles((onsets - nearest) * 1000.0)})")
    settled = [t for t, bpm in tempo_trace if t >= change and abs(bpm - 90.0) < 0.5]
    unsettled_after = [t for t, bpm in tempo_trace if t >= change and abs(bpm - 90.0) >= 0.5]
    if settled:
        last_off = max(unsettled_after) if unsettled_after else change
        print(f"  tempo estimate within 0.5 BPM of 90 from {(last_off - change) * 1000:.0f} ms after the change "
              f"(one bar at 90 BPM is {4 * 60000 / 90:.0f} ms) and stayed there")
    before = [bpm for t, bpm in tempo_trace if start + 2 < t < change]
    if before:
        print(f"  tempo estimate at 120 BPM: mean {np.mean(before):.3f}, worst {max(before, key=lambda b: abs(b - 120)):.3f}")
    print(f"  {len(recorder.note_ons)} note-ons in {daemon.engine.counters.phrases_out} answers; the daemon's own "
          f"scheduling lateness p99 {np.percentile(list(daemon.scheduler.lateness_ms), 99):.3f} ms")
    return signed_median


if __name__ == "__main__":
    sys.exit(main())
