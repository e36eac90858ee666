#!/usr/bin/env python3
"""Accompaniment, measured from outside: a performer plays the soprano of the chorale model's held-out
chorales into a real `serve --model chorale --mode accompany` process over UDP, at a fixed tempo, and
listens to what comes back.

Printed:
- latency: from sending a performer's note to receiving the first daemon note that sounds with it
  (within --with-ms, before the next performer note), p50/p99, at the receiver;
- consonance: the share of daemon notes whose interval to the soprano note sounding when they arrive is
  (mod 12) in {0, 3, 4, 5, 7, 8, 9}; beside it Bach's own alto, tenor and bass on the same chorales, and
  random in-key notes (the chorale's estimated key) in each voice's register, at Bach's onsets;
- daemon notes per performer note (Bach: alto + tenor + bass notes per soprano note);
- the share of daemon onsets on the 1/8-beat grid of the performer's beats (within --grid-ms);
- how many performer notes found their chord rehearsed (drawn ahead while the daemon was idle);
- stuck notes: note-ons without a note-off after each chorale and after SIGTERM;
- the baseline, measured in the same run: /djai/ping -> /djai/pong, sent halfway between performer events
  (the daemon's and this machine's responsiveness without the model: on a loaded machine both grow).

One thread sends and receives (the socket's timeout is the time to the next performer event), so no
second thread competes for the interpreter and the times are the socket's.

``--offline`` drives the same accompaniment policy in this process with a simulated clock and no sockets:
the music it makes with exact timing, apart from this machine's load (quick: seconds per chorale).

    python scripts/bench_accompany.py                  # 8 held-out chorales at 100 BPM
    python scripts/bench_accompany.py --files 27 --bpm 120
    python scripts/bench_accompany.py --offline --files 27 -- --temperature 0.5
"""
from __future__ import annotations

import argparse
import gc
import signal
import socket
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from pythonosc.osc_packet import OscPacket  # noqa: E402
from pythonosc.udp_client import SimpleUDPClient  # noqa: E402

from djai_live.live.policy import SilentOutput  # noqa: E402
from djai_live.voice_leading import VoiceLeadingCount, count_voice_leading  # noqa: E402
from tests.support.osc import free_udp_port, running_daemon  # noqa: E402

CONSONANT = {0, 3, 4, 5, 7, 8, 9}
TOGETHER_S = 0.03  # onsets this close count as one chord in the voice-leading figures
SILENCE_TIMEOUT_S = 8.0


def consonance(pairs: list[tuple[int, int]]) -> float:
    """Share of (note, soprano) pairs whose interval mod 12 is consonant."""
    if not pairs:
        return float("nan")
    return float(np.mean([abs(a - b) % 12 in CONSONANT for a, b in pairs]))


def sounding_at(notes: np.ndarray, beat: float) -> int | None:
    """The pitch of the note in ``notes`` (one voice) sounding at ``beat``, or None."""
    inside = (notes["onset"] <= beat + 1e-9) & (beat < notes["onset"] + notes["duration"] - 1e-9)
    found = notes["pitch"][inside]
    return int(found[-1]) if len(found) else None


def bach_baselines(pieces, ranges, rng) -> tuple[list, list, int, int, float]:
    """(Bach's (note, soprano) pairs, random in-key pairs, lower-voice notes, soprano notes, grid share)."""
    from djai_live.scales import estimate_key

    bach, random_pairs, lower, upper, on_grid = [], [], 0, 0, []
    for piece in pieces:
        soprano = piece.tracks[0].notes
        upper += len(soprano)
        every = np.concatenate([t.notes for t in piece.tracks])
        key, _ = estimate_key(every["pitch"], every["duration"], every["onset"])
        mask = key.mask()
        for voice in (1, 2, 3):
            low, high = ranges[voice]
            choices = [p for p in range(low, high + 1) if mask[p]]
            for note in piece.tracks[voice].notes:
                lower += 1
                on_grid.append(abs(note["onset"] * 2 - round(note["onset"] * 2)) < 1e-6)
                top = sounding_at(soprano, float(note["onset"]))
                if top is None:
                    continue
                bach.append((int(note["pitch"]), top))
                random_pairs.append((int(rng.choice(choices)), top))
    return bach, random_pairs, lower, upper, float(np.mean(on_grid))


class Performer:
    """Plays note events at their times and records every reply, on one thread."""

    def __init__(self, daemon_port: int, reply_port: int) -> None:
        self.client = SimpleUDPClient("127.0.0.1", daemon_port)
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", reply_port))
        self.received: list[tuple[float, str, list]] = []
        self.pings: list[float] = []

    def listen_until(self, deadline: float) -> None:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.socket.settimeout(left)
            try:
                data, _ = self.socket.recvfrom(65536)
            except TimeoutError:
                return
            arrived = time.monotonic()
            self.received += [(arrived, t.message.address, list(t.message.params)) for t in OscPacket(data).messages]

    def send(self, address: str, *args) -> float:
        self.client.send_message(address, list(args))
        return time.monotonic()

    def sounding(self) -> dict[tuple[int, int], int]:
        count: dict[tuple[int, int], int] = {}
        for _, address, args in self.received:
            if address in ("/djai/note", "/djai/note_off"):
                key = (int(args[0]), int(args[-1]))
                count[key] = count.get(key, 0) + (1 if address == "/djai/note" else -1)
        return {key: n for key, n in count.items() if n}

    def wait_silent(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.sounding():
                return True
            self.listen_until(min(deadline, time.monotonic() + 0.05))
        return not self.sounding()


def perform_piece(performer: Performer, soprano: np.ndarray, bpm: float
                  ) -> tuple[float, list[tuple[float, float | None, int]], int, list[float]]:
    """One piece played to the daemon (see :func:`play`) on a fresh record, then the daemon reset: (start,
    the notes sent, daemon notes still sounding when it should have fallen silent, ping round trips in ms).
    ``performer.received`` keeps what the daemon sent while it played."""
    performer.received.clear()
    performer.pings.clear()
    gc.collect()
    gc.disable()  # the receiver's own collections are not the daemon's latency (a host has none)
    try:
        start, sent = play(performer, soprano, bpm)
    finally:
        gc.enable()
    stuck = 0 if performer.wait_silent(SILENCE_TIMEOUT_S) else len(performer.sounding())
    answers = [t for t, address, _ in performer.received if address == "/djai/pong"]
    ping_ms = [(answer - ping) * 1000.0 for ping, answer in zip(performer.pings, answers)]
    performer.send("/djai/reset")
    return start, sent, stuck, ping_ms


def play(performer: Performer, soprano: np.ndarray, bpm: float) -> tuple[float, list[tuple[float, float | None, int]]]:
    """The soprano's notes at their times; (time of beat 0, [(sent on, sent off, pitch)])."""
    seconds = 60.0 / bpm
    events = sorted([(float(n["onset"] + n["duration"]), 0, i) for i, n in enumerate(soprano)]
                    + [(float(n["onset"]), 1, i) for i, n in enumerate(soprano)])  # offs before ons at a time
    start = time.monotonic() + 0.3 - float(soprano["onset"][0]) * seconds
    sent: list[list] = [[None, None, int(n["pitch"])] for n in soprano]
    previous = None
    for beat, is_on, index in events:
        if previous is not None and (beat - previous) * seconds > 0.1:  # a baseline probe halfway
            performer.listen_until(start + (previous + beat) / 2 * seconds)
            performer.pings.append(performer.send("/djai/ping"))
        previous = beat
        performer.listen_until(start + beat * seconds)
        pitch = int(soprano["pitch"][index])
        if is_on:
            sent[index][0] = performer.send("/djai/note", pitch, 90, 1)
        else:
            sent[index][1] = performer.send("/djai/note_off", pitch, 1)
    return start, [tuple(s) for s in sent]


def voice_notes(onsets: list[float], ends: list[float], pitches: list[int]) -> np.ndarray:
    """One voice's notes as the voice-leading count takes them (any time unit)."""
    notes = np.zeros(len(onsets), dtype=[("onset", "f8"), ("duration", "f8"), ("pitch", "i4")])
    notes["onset"], notes["duration"], notes["pitch"] = onsets, np.subtract(ends, onsets), pitches
    return notes


def bach_voice_leading(pieces, together: float) -> VoiceLeadingCount:
    total = VoiceLeadingCount()
    for piece in pieces:
        total.add(count_voice_leading([track.notes for track in piece.tracks[:4]], together))
    return total


def voice_leading_line(label: str, count: VoiceLeadingCount) -> str:
    return (f"{label}: parallel 5ths/8ves {count.parallels_per_100_changes:.1f} per 100 chord changes "
            f"(n={count.changes}), crossed {count.share('crossed'):.1%}, spaced wider than an octave "
            f"{count.share('spaced'):.1%}, neighbouring unisons {count.share('unisons'):.1%} of {count.chords} chords")


class Recorded(SilentOutput):
    """The accompaniment's output in --offline: sends nothing, keeps (time, pitch, channel, duration_ms) of
    every note started."""

    def __init__(self, clock) -> None:
        self.clock, self.started = clock, []

    def start_note(self, pitch: int, velocity: int, duration_ms: float, channel: int, voice: int) -> None:
        self.started.append((self.clock(), pitch, channel, duration_ms))


def offline(pieces, bpm: float, serve_args: list[str], seed: int, rules: tuple[str, ...] | None = None
            ) -> tuple[list, list, int, int, list, VoiceLeadingCount, list]:
    """The policy on a simulated clock: (pairs, onsets in beats with 'at a soprano onset', notes,
    soprano notes, pairs at soprano onsets, voice leading with the soprano, each chorale's four voices)."""
    from djai_live.generation import Generator
    from djai_live.live.accompany import Accompaniment
    from djai_live.live.listening import ListeningState
    from djai_live.live.settings import LiveSettings

    settings = LiveSettings(mode="accompany", tempo_bpm=bpm)
    for name, value in zip(serve_args[::2], serve_args[1::2]):  # --temperature 0.5 --top-p 0.9 ...
        field = name.lstrip("-").replace("-", "_")
        kind = LiveSettings.RANGES[field][0]
        settings.set(field, value if isinstance(kind, tuple) else kind(value))
    generator = Generator.from_file("chorale")
    seconds = 60.0 / bpm
    pairs, onsets, notes, upper, at_pairs = [], [], 0, 0, []
    leading, every_voice = VoiceLeadingCount(), []
    for number, piece in enumerate(pieces):
        soprano = piece.tracks[0].notes
        now = [1000.0]
        # B023: the listening state lives and dies inside this iteration, so its clock reads this iteration's `now`
        listening = ListeningState(generator, settings, clock=lambda: now[0], seed=seed + number)  # noqa: B023
        output = Recorded(listening.clock)
        accompanist = Accompaniment(listening, output)
        if rules is not None:
            accompanist.voicing.rules_kept = rules
        events = sorted([(float(n["onset"] + n["duration"]), 0, i) for i, n in enumerate(soprano)]
                        + [(float(n["onset"]), 1, i) for i, n in enumerate(soprano)])
        for beat, is_on, index in events + [(events[-1][0] + 8.0, -1, -1)]:
            when = 1000.0 + beat * seconds
            while accompanist.next_deadline() is not None and accompanist.next_deadline() <= when:
                now[0] = accompanist.next_deadline()
                accompanist.due(now[0])
            now[0] = when
            if is_on < 0:
                break
            pitch = int(soprano["pitch"][index])
            if is_on:
                accompanist.heard_note_on(pitch, 90, 1, when)
            else:
                listening.note_off(pitch, 1, now=when)
        voices = [piece.tracks[0].notes]
        for channel in (2, 3, 4):
            mine = [(t, p, d) for t, p, c, d in output.started if c == channel]
            voices.append(voice_notes([(t - 1000.0) / seconds for t, _, _ in mine],
                                      [(t + d / 1000.0 - 1000.0) / seconds for t, _, d in mine],
                                      [p for _, p, _ in mine]))
        leading.add(count_voice_leading(voices, TOGETHER_S / seconds))  # (a repeat comes 20 ms after its chord)
        every_voice.append(voices)
        for time_, pitch, _, _ in output.started:
            beat = (time_ - 1000.0) / seconds
            at = bool(np.isclose(soprano["onset"], beat).any())
            onsets.append((beat, at))
            top = sounding_at(soprano, beat)
            if top is not None:
                pairs.append((pitch, top))
                if at:
                    at_pairs.append((pitch, top))
        notes += len(output.started)
        upper += len(soprano)
    return pairs, onsets, notes, upper, at_pairs, leading, every_voice


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--files", type=int, default=8, help="how many held-out chorales to play")
    parser.add_argument("--bpm", type=float, default=100.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--with-ms", type=float, default=25.0,
                        help="a daemon note this soon after a performer's note sounds with it")
    parser.add_argument("--grid-ms", type=float, default=10.0, help="tolerance of 'on the 1/8 grid'")
    parser.add_argument("--offline", action="store_true", help="the policy alone, on a simulated clock")
    parser.add_argument("--rules", default=None,
                        help="--offline: the voice-leading rules kept instead of the setting's, comma-separated, of "
                             "crossing,parallels,unison,spacing ('' none), to measure what each costs")
    parser.add_argument("--latencies", type=Path, default=None,
                        help="also write every latency (ms, one per line) to this file, to pool several runs")
    parser.add_argument("serve_args", nargs="*", help="more flags for serve (after --)")
    args = parser.parse_args()

    from djai_live.corpus import read_midi_notes
    from djai_live.model_files import read_config, resolve_model_path

    model = resolve_model_path("chorale")
    ranges = read_config(model).instrument_ranges
    listed = model.with_name(model.stem + ".test_files.txt").read_text().split()
    pieces = [read_midi_notes(args.corpus / name) for name in listed[:args.files]]
    if ranges is None:  # a model trained before ranges were stored: the voices' ranges in these chorales
        ranges = [[int(min(p.tracks[v].notes["pitch"].min() for p in pieces)),
                   int(max(p.tracks[v].notes["pitch"].max() for p in pieces))] for v in range(4)]
    rng = np.random.default_rng(args.seed)
    bach, random_pairs, bach_lower, bach_upper, bach_grid = bach_baselines(pieces, ranges, rng)

    if args.offline:
        rules = tuple(filter(None, args.rules.split(","))) if args.rules is not None else None
        started = time.perf_counter()
        pairs, onsets, notes, upper, at_pairs, leading, _ = offline(pieces, args.bpm, args.serve_args, args.seed,
                                                              rules)
        wall = time.perf_counter() - started
        planned = [abs(b * 2 - round(b * 2)) * 30_000.0 / args.bpm <= args.grid_ms for b, at in onsets if not at]
        print(f"offline (simulated clock, no sockets): {len(pieces)} held-out chorales, {upper} soprano notes at "
              f"{args.bpm:g} BPM, settings {' '.join(args.serve_args) or 'default'}"
              + (f", rules kept {args.rules or 'none'}" if args.rules is not None else ""))
        print(f"consonance with the soprano: daemon {consonance(pairs):.3f} (n={len(pairs)}; with a soprano onset "
              f"{consonance(at_pairs):.3f}, n={len(at_pairs)})  |  Bach {consonance(bach):.3f}  |  random in-key "
              f"{consonance(random_pairs):.3f}")
        print(f"notes per performer note: daemon {notes / upper:.2f}  |  Bach {bach_lower / bach_upper:.2f}")
        print(f"notes not on a soprano onset on the 1/8 grid (+-{args.grid_ms:g} ms): "
              f"{np.mean(planned):.1%} (n={len(planned)})" if planned else "")
        print(voice_leading_line("voice leading, daemon", leading))
        print(voice_leading_line("voice leading, Bach  ", bach_voice_leading(pieces, TOGETHER_S * args.bpm / 60.0)))
        print(f"wall time of the policy (model steps and draws included, all chorales): {wall:.2f} s, "
              f"{wall / max(notes, 1) * 1000.0:.3f} ms per daemon note")
        return 0
    reply_port = free_udp_port()
    latencies, heard, pairs, onsets_beats, stuck, no_soprano, pongs = [], 0, [], [], 0, 0, []
    daemon_notes, ahead = 0, 0
    serve_args = ["--mode", "accompany", "--tempo-bpm", f"{args.bpm:g}", "--seed", str(args.seed), *args.serve_args]
    with running_daemon(*serve_args, reply_port=reply_port, model="chorale") as (process, port):
        performer = Performer(port, reply_port)
        for piece in pieces:
            start, sent, left_sounding, ping_ms = perform_piece(performer, piece.tracks[0].notes, args.bpm)
            stuck += left_sounding
            pongs += ping_ms
            ons = [(t, int(a[0])) for t, address, a in performer.received if address == "/djai/note"]
            daemon_notes += len(ons)
            heard += len(sent)
            for i, (on, _, _) in enumerate(sent):
                following = sent[i + 1][0] if i + 1 < len(sent) else float("inf")
                first = [t for t, _ in ons if on <= t < min(following, on + args.with_ms / 1000.0)]
                if first:
                    latencies.append((first[0] - on) * 1000.0)
                elif any(on - args.with_ms / 1000.0 <= t < on for t, _ in ons):
                    ahead += 1  # a planned note on the same beat sounded just before it
            for t, pitch in ons:
                top = [p for on, off, p in sent if on <= t and (off is None or t < off)]
                if top:
                    pairs.append((pitch, top[-1]))
                else:
                    no_soprano += 1
                joined = any(0 <= t - on < args.with_ms / 1000.0 for on, _, _ in sent)
                onsets_beats.append(((t - start) * args.bpm / 60.0, joined))
        performer.send("/djai/status")
        performer.listen_until(time.monotonic() + 1.0)
        statuses = [args for _, address, args in performer.received if address == "/djai/status"]
        status = dict(zip(statuses[-1][::2], statuses[-1][1::2])) if statuses else {}
        process.send_signal(signal.SIGTERM)
        exit_code = process.wait(10)
        performer.wait_silent(2.0)
        stuck_after_sigterm = len(performer.sounding())

    eighth_ms = 60_000.0 / args.bpm / 2
    on_grid = [(abs(b * 2 - round(b * 2)) * eighth_ms <= args.grid_ms, joined) for b, joined in onsets_beats]
    grid_share = float(np.mean([g for g, _ in on_grid])) if on_grid else float("nan")
    planned = [g for g, joined in on_grid if not joined]
    lat = np.asarray(latencies)
    if args.latencies is not None:
        np.savetxt(args.latencies, lat, fmt="%.4f")
    print(f"{len(pieces)} held-out chorales, {heard} soprano notes at {args.bpm:g} BPM, serve {' '.join(serve_args)}")
    if len(lat):
        print(f"latency, performer's note -> first daemon note with it (receiver): p50 {np.percentile(lat, 50):.3f} ms"
              f"  p99 {np.percentile(lat, 99):.3f} ms  max {lat.max():.3f} ms  (goal p99 <= 5 ms)")
    if pongs:
        print(f"  baseline /djai/ping -> /djai/pong in the same run: p50 {np.percentile(pongs, 50):.3f} ms  "
              f"p99 {np.percentile(pongs, 99):.3f} ms  (n={len(pongs)})")
    print(f"  performer notes harmonized within {args.with_ms:g} ms: {len(lat)}/{heard} ({len(lat) / heard:.1%}); "
          f"{ahead} more had a planned daemon note start up to {args.with_ms:g} ms before them")
    print(f"consonance with the soprano: daemon {consonance(pairs):.3f} (n={len(pairs)}, goal >= 0.85)  |  "
          f"Bach's alto/tenor/bass {consonance(bach):.3f} (n={len(bach)})  |  random in-key in each register "
          f"{consonance(random_pairs):.3f}")
    print(f"  daemon notes with no soprano sounding: {no_soprano}")
    print(f"notes per performer note: daemon {daemon_notes / heard:.2f} (goal 2.5-4.5)  |  "
          f"Bach {bach_lower / bach_upper:.2f}")
    print(f"onsets on the 1/8-beat grid (+-{args.grid_ms:g} ms): daemon {grid_share:.1%}  |  Bach {bach_grid:.1%}")
    if planned:
        print(f"  of which the {len(planned)} notes not played with a performer's note (planned ones): "
              f"{np.mean(planned):.1%}")
    if status:
        print(f"chords played from a rehearsal (drawn ahead while idle): {status['prepared_used']}/{heard} "
              f"performer notes (the rest drawn on arrival)")
    print(f"stuck notes: {stuck} after the chorales, {stuck_after_sigterm} after SIGTERM (exit code {exit_code})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
