#!/usr/bin/env python3
"""Keeping takes and learning from them, unattended, as a performer would use it.

1. `djai-live serve --record TAKES` (the default model, phrase mode) runs as its own process; a script plays
   MINUTES (10) of takes into it over OSC, in a style the model never saw: whole Palestrina movements from
   the training masses (split by mass as scripts/bench_finetune.py does), each voice on a channel of its own
   (the bundled default model learns and is scored voice by voice), SPEED (3) times faster than written
   (120 BPM) with the daemon's `tempo_bpm` raised to match, so the takes hold the music's own beats: 10
   minutes of takes hold 30 minutes of written music (`--speed 1`: in real time, 10 minutes of it). The
   daemon answers between phrases as it always does.
2. `/djai/adapt SECONDS`, and while it runs (the fine-tune on the same 2 cores) the same two timings as
   before it, side by side, at an OSC receiver with kernel arrival stamps: each streamed `/djai/note`
   against its announced onset (phrase arrival + onset_ms), and the harmonizing latency of a second
   daemon (`--model chorale --mode accompany`): from a soprano note sent (the held-out chorales of
   tests/data/keys, at 100 BPM) to the first daemon note that sounds with it. Answers asked for during the
   adaptation and the swap are counted, and so are those that never came.
3. Pitch NLL (nats) and accuracy on movements of held-out masses: the model it started from against the one
   the adaptation swapped in.

    python scripts/bench_takes.py --corpus ../shared/corpus      # about 14 minutes
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from bench_finetune import score, split_by_mass  # noqa: E402

from djai_live.midi_files import read_midi_notes  # noqa: E402
from tests.support.osc import OscPeer, free_udp_port, running_daemon  # noqa: E402

WRITTEN_BPM = 120.0
BEFORE_SOPRANO = 60
SOPRANO_LINE: list[tuple[int, float]] = []


def percentiles(values: list[float]) -> str:
    if not values:
        return "no values"
    return (f"p50 {np.percentile(values, 50):.2f} ms, p99 {np.percentile(values, 99):.2f} ms, "
            f"max {max(values):.2f} ms ({len(values)})")


def play_piece(host: OscPeer, path: Path, speed: float, beats_left: float) -> float:
    """Every note of the piece that starts in its first ``beats_left`` beats, each voice on its own channel
    (as a choir's singers, or a MIDI file's tracks, reach a host), ``speed`` times faster than written;
    returns the beats played."""
    notes = np.concatenate([track.notes for track in read_midi_notes(path).tracks])
    notes = notes[notes["onset"] < beats_left]
    seconds_per_beat = 60.0 / WRITTEN_BPM / speed
    events = sorted([(float(n["onset"]), 1, int(n["pitch"]), int(n["velocity"]), int(n["instrument"]) % 16 + 1)
                     for n in notes]
                    + [(float(n["onset"] + max(n["duration"], 0.05)) - 1e-3, 0, int(n["pitch"]), 0,
                        int(n["instrument"]) % 16 + 1) for n in notes])
    start = time.monotonic() + 0.05
    for beat, _, pitch, velocity, channel in events:
        time.sleep(max(0.0, start + beat * seconds_per_beat - time.monotonic()))
        host.send("/djai/note", pitch, velocity, channel)
    return min(beats_left, float((notes["onset"] + notes["duration"]).max())) if len(notes) else beats_left


def streamed_lateness(host: OscPeer, answers: int) -> tuple[list[float], int, int]:
    """(|note-on - announced onset| ms, answers asked, answers that never came) for ``answers`` answers."""
    errors, missing = [], 0
    for _ in range(answers):
        before = len(host.messages("/djai/phrase"))
        host.send("/djai/generate")
        deadline = time.monotonic() + 3.0
        while len(host.messages("/djai/phrase")) == before and time.monotonic() < deadline:
            time.sleep(0.005)
        phrases = host.messages("/djai/phrase")
        if len(phrases) == before:
            missing += 1
            continue
        arrived, _, phrase = phrases[-1]
        announced = [arrived + phrase[2 + 4 * i] / 1000.0 for i in range(phrase[1])]
        time.sleep(max(0.0, announced[-1] - time.monotonic()) + 0.2)
        ons = sorted(when for when, _, args in host.messages("/djai/note") if args[1] > 0 and when >= arrived - 1e-4)
        errors += [abs(on - due) * 1000.0 for on, due in zip(ons, announced)]
        host.send("/djai/panic")
        time.sleep(0.05)
    return errors, answers, missing


def sopranos() -> list[tuple[int, float]]:
    """(pitch, beats) of the soprano of the chorales the chorale model holds out (tests/data/keys), in turn."""
    line = []
    for path in sorted((ROOT / "tests" / "data" / "keys").glob("*.mid")):
        notes = read_midi_notes(path).tracks[0].notes
        line += [(int(n["pitch"]), float(n["duration"])) for n in notes]
    return line


def harmonizing_latency(host: OscPeer, notes: int, bpm: float = 100.0) -> list[float]:
    """Soprano notes (held-out chorales, at ``bpm``) to the accompanying daemon: ms from each note-on to the
    first daemon note-on after it, where one comes within 50 ms (the policy lets some melody notes sound
    alone, as Bach's lower voices do)."""
    latencies, line = [], SOPRANO_LINE[:notes]
    for pitch, beats in line:
        seen = len(host.messages("/djai/note"))
        sent = time.monotonic()
        host.send("/djai/note", pitch, 90)
        time.sleep(max(0.05, beats * 60.0 / bpm - 0.01))
        host.send("/djai/note", pitch, 0)
        after = [when for when, _, args in host.messages("/djai/note")[seen:] if args[1] > 0 and when >= sent]
        if after and after[0] - sent < 0.05:
            latencies.append((after[0] - sent) * 1000.0)
        time.sleep(0.01)
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--minutes", type=float, default=10.0, help="takes to play (wall-clock minutes)")
    parser.add_argument("--speed", type=float, default=3.0, help="how much faster than written it is played")
    parser.add_argument("--adapt-seconds", type=float, default=60.0)
    parser.add_argument("--evaluation", type=int, default=10, help="held-out movements scored")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    global SOPRANO_LINE
    SOPRANO_LINE = sopranos()
    if WRITTEN_BPM * args.speed > 400:
        parser.error("--speed: the daemon's tempo_bpm goes up to 400, so at most 3.33 times 120 BPM")
    pool, held_out = split_by_mass(args.corpus / "palestrina")
    rng = np.random.default_rng(args.seed)
    pool = [pool[i] for i in rng.permutation(len(pool))]
    evaluation = [held_out[i] for i in sorted(rng.choice(len(held_out), args.evaluation, replace=False))]
    work = Path(tempfile.mkdtemp(prefix="bench_takes_"))
    takes = work / "takes"
    recorder_port, chorale_port = free_udp_port(), free_udp_port()
    try:
        with running_daemon("--record", str(takes), "--take-silence", "1.5", "--tempo-bpm",
                            str(WRITTEN_BPM * args.speed), "--seed", str(args.seed), reply_port=recorder_port) \
                as (_, port), \
                running_daemon("--mode", "accompany", "--seed", str(args.seed),
                               model="chorale", reply_port=chorale_port) as (_, chorale):
            host, soprano = OscPeer(port, listen_port=recorder_port), OscPeer(chorale, listen_port=chorale_port)
            try:
                host.send("/djai/set", "mode", "manual")   # timing first: no answers of its own meanwhile
                for pitch in (60, 62, 64, 65, 67, 65, 64, 62, 60, 64):
                    host.send("/djai/note", pitch, 90)
                    host.send("/djai/note", pitch, 0)
                time.sleep(0.2)   # (a request is served before notes still queued: let them in first)
                print("timing before adapting ...", flush=True)
                before = streamed_lateness(host, 15), harmonizing_latency(soprano, BEFORE_SOPRANO)
                print("playing the takes ...", flush=True)
                host.send("/djai/set", "mode", "phrase")
                beats_wanted = args.minutes * WRITTEN_BPM * args.speed
                beats_left, played, started = beats_wanted, [], time.monotonic()
                for path in pool:
                    if beats_left <= 0:
                        break
                    beats = play_piece(host, path, args.speed, beats_left)
                    beats_left -= beats
                    played.append(path)
                    time.sleep(2.0)   # the silence that ends the take
                beats_played = beats_wanted - beats_left
                print(f"played {len(played)} movements, {beats_played:.0f} beats ({beats_played / WRITTEN_BPM:.1f} "
                      f"min at the written 120 BPM, {beats_played / WRITTEN_BPM / args.speed:.1f} min of takes at "
                      f"{args.speed:g}x) in {time.monotonic() - started:.0f} s; "
                      f"{len(list(takes.glob('take-*.mid')))} takes kept")
                host.send("/djai/set", "mode", "manual")
                print("adapting, and timing meanwhile ...", flush=True)
                host.send("/djai/adapt", args.adapt_seconds)
                [(_, _, said)] = host.wait_for("/djai/adapt", 1)
                if said[0] != "started":
                    print(f"the adaptation did not start: {said}")
                    return 1
                adapted_file = Path(said[2])
                during_stream, during_harmony = [], []
                asked = missing = 0
                deadline = time.monotonic() + args.adapt_seconds * 3 + 60
                during_soprano = min(len(SOPRANO_LINE), int(args.adapt_seconds / 0.6))
                harmony = threading.Thread(target=lambda: during_harmony.extend(
                    harmonizing_latency(soprano, during_soprano)), daemon=True)
                harmony.start()
                while not host.messages("/djai/loaded") and time.monotonic() < deadline:
                    errors, n, lost = streamed_lateness(host, 1)
                    during_stream += errors
                    asked, missing = asked + n, missing + lost
                    if any(args[0] == "failed" for _, _, args in host.messages("/djai/adapt")):
                        print(f"the adaptation failed: {host.messages('/djai/adapt')[-1][2]}")
                        return 1
                errors, n, lost = streamed_lateness(host, 5)   # through the swap and after it
                asked, missing = asked + n, missing + lost
                harmony.join()
                loaded = host.messages("/djai/loaded")
            finally:
                host.close()
                soprano.close()
        took = [args for _, _, args in host.messages("/djai/adapt") if args[0] == "done"]
        print(f"adapted in {loaded[0][0] - host.messages('/djai/adapt')[0][0]:.0f} s (asked {args.adapt_seconds:g}); "
              f"swapped in: {loaded[0][2][0] if loaded else 'never'}" + ("" if took else " (no done)"))
        print("timing at the receiver              before adapting                      while adapting")
        print(f"  streamed note-on vs its onset      {percentiles(before[0][0]):<36} {percentiles(during_stream)}")
        print(f"  harmonizing latency (chorale)      {percentiles(before[1]):<36} {percentiles(during_harmony)}")
        print(f"  (soprano notes with a daemon note within 50 ms: {len(before[1])} of {BEFORE_SOPRANO} before, "
              f"{len(during_harmony)} of {during_soprano} while adapting; the others it left to sound alone)")
        print(f"  answers asked during the adaptation and the swap: {asked}, never answered: {missing}")
        start_model = score("default", evaluation)
        adapted = score(str(adapted_file), evaluation)
        print(f"held-out Palestrina ({len(evaluation)} movements of held-out masses): pitch NLL "
              f"{start_model['pitch_nll']:.3f} -> {adapted['pitch_nll']:.3f} nats "
              f"({adapted['pitch_nll'] - start_model['pitch_nll']:+.3f}); pitch accuracy "
              f"{start_model['pitch_accuracy']:.3f} -> {adapted['pitch_accuracy']:.3f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
