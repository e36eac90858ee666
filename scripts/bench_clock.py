#!/usr/bin/env python3
"""Playing in time with MIDI clock, timed where a user hears it: answer onsets against the host's beats.

A MIDI clock master runs as a process of its own over JACK (dummy driver, 64-frame periods, no sound card),
as a DAW does: Start, the first tick 0.5 ms later, then 24 ticks per beat at 120 BPM for 64 beats and
90 BPM for 64 beats, every tick jittered uniformly by +-2 ms as USB interfaces do. `djai-live serve`
runs as a process of its own too (`--midi-in` the clock, `--clock midi --quantize-start beat --grid 1/16
--mode manual --length 8`) and is asked for an answer every 1.5 s over OSC; an OSC host times every
`/djai/note` by the kernel's arrival stamp (SO_TIMESTAMPNS). Each answer's first note should fall on a
host beat, and every note on a host sixteenth, by the sender's nominal (unjittered) ticks: the script
prints how far they are, signed (a constant lag is a phase error: two ticks are 41.7 ms at 120 BPM) and
as percentiles, for each tempo apart (the bar after the change is reported on its own).

Beside it (`--in-process`, on by default), the daemon inside this process, whose answers say on which
host beat they start and whose note-ons are timed as they leave the scheduler: the shortcut the earlier
version of this bench took, which did not see the two-tick lag users heard.

The baseline in the same run is the raw clock itself: how far the jittered ticks that carry the grid are
from that same nominal grid.

    apt-get install jackd2
    python scripts/bench_clock.py --runs 3                  # JACK not real-time, the daemon real-time
    python scripts/bench_clock.py --runs 3 --jack-realtime  # both real-time
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.midi_clock import ClockProcess, answer_onsets, nearest_ms  # noqa: E402
from tests.support.osc import OscPeer, free_udp_port, running_daemon  # noqa: E402

SERVER = "djai_bench_clock"
PLAN = "120:64,90:64"  # long enough for about 70 note-ons at each tempo: a median and p99 that mean something
BEATS_120 = 64
JITTER_MS = 2.0
CLIENT = "BenchClock"
ANSWER_EVERY_S = 1.5
PROMPT = (62, 64, 66, 67, 69, 67, 66, 64)


def percentiles(errors_ms: np.ndarray) -> str:
    """|error| percentiles, and the signed median: a constant lead or lag is a phase error."""
    if not len(errors_ms):
        return "none"
    magnitudes = np.abs(errors_ms)
    return (f"signed median {np.median(errors_ms):+.3f} ms, p50 {np.percentile(magnitudes, 50):.3f} ms, "
            f"p99 {np.percentile(magnitudes, 99):.3f} ms, max {magnitudes.max():.3f} ms ({len(errors_ms)})")


def segments(ticks: np.ndarray) -> dict[str, tuple[float, float]]:
    """The time spans scored apart: steady 120 BPM, the bar after the change to 90, steady 90 BPM."""
    change = float(ticks[BEATS_120 * 24])
    bar_after = change + 4 * 60.0 / 90.0
    return {"120 BPM": (float(ticks[0]), change), "bar after the change": (change, bar_after),
            "90 BPM": (bar_after, float(ticks[-1]))}


def perform_and_ask(clock: ClockProcess, play_note, ask) -> np.ndarray:
    """The performer's prompt (``play_note(pitch, velocity)``, 0 for its end), then the clock's Start a second
    from now and an answer asked (``ask()``) every ANSWER_EVERY_S while the clock runs; returns the nominal
    ticks once the clock has stopped."""
    for pitch in PROMPT:
        play_note(pitch, 90)
        time.sleep(0.05)
        play_note(pitch, 0)
    start = time.monotonic() + 1.0
    clock.play(start)
    ticks = clock.ticks
    due = start + 0.6
    while due < ticks[-1] - 1.5:
        time.sleep(max(0.0, due - time.monotonic()))
        ask()
        due += ANSWER_EVERY_S
    clock.wait(60)
    return ticks


def run_process(seed: int, no_realtime: bool) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """`djai-live serve` as its own process; returns per segment (first notes vs beats, notes vs sixteenths)."""
    sent_file = os.path.join(tempfile.mkdtemp(), "sent.npy")
    clock = ClockProcess(PLAN, client=CLIENT, jitter_ms=JITTER_MS, seed=seed, sent_to=sent_file).open()
    reply_port = free_udp_port()
    serve = ["--midi-api", "jack", "--midi-in", CLIENT, "--clock", "midi", "--quantize-start", "beat",
             "--grid", "1/16", "--mode", "manual", "--interrupt", "off", "--length", "8", "--seed", str(seed)]
    if no_realtime:
        serve.append("--no-realtime")
    try:
        with running_daemon(*serve, reply_port=reply_port) as (_, port):
            host = OscPeer(port, listen_port=reply_port)
            try:
                ticks = perform_and_ask(clock, lambda pitch, velocity: host.send("/djai/note", pitch, velocity),
                                        lambda: host.send("/djai/generate"))
                time.sleep(0.3)
                messages = host.messages()
            finally:
                host.close()
    finally:
        clock.close()
    scored = {}
    for name, (begin, end) in segments(ticks).items():
        firsts, every = answer_onsets(messages, begin, end)
        scored[name] = (nearest_ms(firsts, ticks[::24]), nearest_ms(every, ticks[::6]))
    sent = np.load(sent_file)
    scored["baseline"] = ((sent - ticks[:len(sent)]) * 1000.0, np.array([]))
    return scored


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0, help="the first run's seed (jitter and sampling)")
    parser.add_argument("--runs", type=int, default=3, help="runs in a row, seeds SEED, SEED+1, ...")
    parser.add_argument("--jack-realtime", action="store_true",
                        help="run the JACK server with real-time scheduling, as a studio does (root or rtprio)")
    parser.add_argument("--no-realtime", action="store_true", help="the daemon without real-time scheduling")
    parser.add_argument("--worst", type=int, default=0, metavar="N",
                        help="also print the N largest signed errors of every note (+: late), first notes marked")
    parser.add_argument("--in-process", type=lambda text: text != "off", default=True, metavar="{on,off}",
                        help="also run the daemon inside this process, timed at its scheduler (default on)")
    args = parser.parse_args()
    if shutil.which("jackd") is None:
        print("jackd is not installed (apt-get install jackd2)", file=sys.stderr)
        return 1
    os.environ["JACK_DEFAULT_SERVER"] = SERVER
    realtime_jack = ["--realtime"] if args.jack_realtime else ["--no-realtime"]
    jack = subprocess.Popen(["jackd", "-n", SERVER, *realtime_jack, "-d", "dummy", "-r", "48000", "-p", "64"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        subprocess.run(["jack_wait", "-s", SERVER, "-w", "-t", "5"], check=True, capture_output=True)
        print(f"MIDI clock from a separate process over JACK ({'real-time' if args.jack_realtime else '--no-realtime'}"
              f", 64-frame periods): {PLAN.replace(',', ' then ')} (BPM:beats), every tick jittered by "
              f"+-{JITTER_MS:g} ms; daemon {'--no-realtime' if args.no_realtime else 'real-time'}")
        for run in range(args.runs):
            seed = args.seed + run
            scored = run_process(seed, args.no_realtime)
            print(f"run {run + 1}, seed {seed}: `djai-live serve` as its own process, notes timed at an OSC host by "
                  "kernel stamps")
            print(f"  baseline: sent ticks vs the nominal grid          {percentiles(scored.pop('baseline')[0])}")
            for name, (firsts, every) in scored.items():
                print(f"  {name + ':':<22} first notes vs their beats  {percentiles(firsts)}")
                print(f"  {'':<22} every note vs its sixteenth {percentiles(every)}")
                if args.worst and len(every):
                    worst = every[np.argsort(-np.abs(every))[:args.worst]]
                    print(f"  {'':<22} worst: " + ", ".join(
                        f"{error:+.3f}{' (first)' if np.isclose(firsts, error).any() else ''}" for error in worst))
            if args.in_process:
                run_in_process(seed, args.no_realtime)
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


class Recorder:
    """An inline subscriber of the daemon's event stream that keeps each answer (with a note) and the time
    each of its note-ons leaves the scheduler."""

    def __init__(self) -> None:
        self.answers: list[tuple[object, list[float]]] = []   # (phrase, note-on times in its order)

    def __call__(self, event) -> None:
        from djai_live.live.events import NoteStarted, PhraseDrawn

        if isinstance(event, NoteStarted) and self.answers:
            self.answers[-1][1].append(time.monotonic())
        elif isinstance(event, PhraseDrawn) and event.phrase.notes:
            self.answers.append((event.phrase, []))


def run_in_process(seed: int, no_realtime: bool) -> None:
    """The daemon in this process, its notes timed as they leave the scheduler, each against the host beat
    its answer says it falls on."""
    from djai_live.live.commands import Command
    from djai_live.live.daemon import Daemon, ServeOptions
    from djai_live.live.settings import LiveSettings

    clock = ClockProcess(PLAN, client=CLIENT, jitter_ms=JITTER_MS, seed=seed).open()
    settings = LiveSettings(mode="manual", length=8, clock="midi", quantize_start="beat", grid="1/16")
    daemon = Daemon(ServeOptions(osc=False, midi_in=CLIENT, midi_api="jack", seed=seed, realtime=not no_realtime),
                    settings)
    recorder = Recorder()
    daemon.stream.subscribe_inline(recorder)

    def play_note(pitch: int, velocity: int) -> None:
        daemon.submit(Command("note_on", (pitch, velocity, 1)) if velocity else Command("note_off", (pitch, 1)))

    try:
        daemon.start()
        ticks = perform_and_ask(clock, play_note, lambda: daemon.submit(Command("generate")))
    finally:
        daemon.stop()
        clock.close()
    lateness = list(daemon.scheduler.lateness_ms)
    for name, (begin, end) in segments(ticks).items():
        firsts, every = [], []
        for phrase, played in recorder.answers:
            if phrase.start_beat is None:
                continue
            due = intended_times(phrase, ticks)[:len(played)]
            for k, (when, intended) in enumerate(zip(played, due)):
                if np.isnan(intended) or not begin <= intended < end:
                    continue
                every.append((when - intended) * 1000.0)
                if k == 0:
                    firsts.append(every[-1])
        label = "in process, at the scheduler" if name == "120 BPM" else ""
        print(f"  {label:<30} {name + ':':<22} first notes {percentiles(np.array(firsts))}")
        print(f"  {'':<30} {'':<22} every note  {percentiles(np.array(every))}")
    unplaced = sum(1 for phrase, _ in recorder.answers if phrase.start_beat is None)
    print(f"  {'':<30} {len(recorder.answers)} answers ({unplaced} not placed on the host's beats); scheduling "
          f"lateness p99 {np.percentile(lateness, 99) if lateness else float('nan'):.3f} ms")


if __name__ == "__main__":
    sys.exit(main())
