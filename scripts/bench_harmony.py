#!/usr/bin/env python3
"""Harmony as a musician hears it, side by side on the chorale model's held-out chorales: Bach's own alto,
tenor and bass; the live accompaniment policy on a simulated clock (no sockets, exact timing) and a real
`serve --model chorale --mode accompany` process over UDP (a performer plays the soprano, a receiver
times every reply); and `djai-live harmonize` (in this process, and once as its own process on a 16-bar
melody, start-up included).

Counted as djai_live/voice_leading.py does, at every onset of any voice while all four sound (onsets less
than 30 ms apart are one chord, read at the last: a live chord's voices arrive a few ms apart): parallel
perfect fifths and octaves per 100 chord changes, chords with voices crossed, spaced wider than an octave
(S-A, A-T), neighbouring unisons; beside them consonance against the soprano (each note of A/T/B against the
soprano note sounding at its onset, intervals 0, 3, 4, 5, 7, 8, 9 mod 12), notes per soprano note, latency
at the receiver (live; beside it /djai/ping -> /djai/pong in the same run, the machine without the model)
or wall time (offline), stuck notes (UDP).

    python scripts/bench_harmony.py                       # 27 chorales offline, 6 over UDP, 150 BPM
    python scripts/bench_harmony.py --udp-files 0         # offline only (about a minute)
    python scripts/bench_harmony.py --live-voice-leading off --no-harmonize   # the live policy before its rules
"""
from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from bench_accompany import (Performer, bach_baselines, consonance, offline, perform_piece,  # noqa: E402
                             sounding_at, voice_notes)

from djai_live.voice_leading import VoiceLeadingCount, count_voice_leading  # noqa: E402
from tests.support.osc import free_udp_port, running_daemon  # noqa: E402

SIXTEEN_BARS = 64.0  # beats
TOGETHER_S = 0.03    # onsets this close are one chord (a live chord's voices arrive a few ms apart)


class Column:
    """One way of harmonizing, measured."""

    def __init__(self, name: str, bpm: float) -> None:
        self.name, self.together = name, TOGETHER_S * bpm / 60.0
        self.leading = VoiceLeadingCount()
        self.pairs: list[tuple[int, int]] = []
        self.notes = 0
        self.soprano_notes = 0
        self.timing = ""
        self.stuck = ""
        self.honesty = ""

    def add_voices(self, voices: list[np.ndarray]) -> None:
        """Soprano first, then alto, tenor, bass (beats)."""
        self.leading.add(count_voice_leading(voices, self.together))
        self.soprano_notes += len(voices[0])
        for voice in voices[1:]:
            self.notes += len(voice)
            for note in voice:
                top = sounding_at(voices[0], float(note["onset"]))
                if top is not None:
                    self.pairs.append((int(note["pitch"]), top))

    def rows(self) -> list[str]:
        count = self.leading
        return [f"{consonance(self.pairs):.3f}", f"{count.parallels_per_100_changes:.1f}",
                f"{count.share('crossed'):.1%}", f"{count.share('spaced'):.1%}", f"{count.share('unisons'):.1%}",
                f"{self.notes / max(self.soprano_notes, 1):.2f}", self.timing, self.stuck, self.honesty]


ROWS = ["consonance with the soprano", "parallel 5ths/8ves per 100 chord changes", "chords crossed",
        "chords spaced wider than an octave (S-A, A-T)", "chords with neighbouring unisons",
        "notes per soprano note", "latency (live) / wall time (offline)", "stuck notes",
        "flams / cut short / off and on at one instant (UDP, see honest_voices)"]


def bach(pieces, bpm: float) -> Column:
    column = Column("Bach", bpm)
    for piece in pieces:
        column.add_voices([track.notes for track in piece.tracks[:4]])
    return column


def simulated(pieces, bpm: float, voice_leading: str, seed: int) -> Column:
    column = Column(f"live, simulated clock ({voice_leading})", bpm)
    started = time.perf_counter()
    *_, every_voice = offline(pieces, bpm, ["--temperature", "0.5", "--voice-leading", voice_leading], seed)
    wall = time.perf_counter() - started
    for voices in every_voice:
        column.add_voices(voices)
    column.timing = f"{wall / max(column.notes, 1) * 1000:.2f} ms/note (policy)"
    return column


def over_udp(pieces, bpm: float, voice_leading: str, seed: int, with_ms: float = 25.0) -> Column:
    column = Column(f"live, serve over UDP ({voice_leading})", bpm)
    reply_port = free_udp_port()
    latencies, pongs, stuck = [], [], 0
    honesty = [0, 0, 0, 0]  # flams, notes cut short, off-and-on at one instant, daemon notes
    serve_args = ["--mode", "accompany", "--tempo-bpm", f"{bpm:g}", "--seed", str(seed), "--voice-leading",
                  voice_leading]
    with running_daemon(*serve_args, reply_port=reply_port, model="chorale") as (process, port):
        performer = Performer(port, reply_port)
        for piece in pieces:
            start, sent, left_sounding, ping_ms = perform_piece(performer, piece.tracks[0].notes, bpm)
            stuck += left_sounding
            pongs += ping_ms
            ons = [(t, int(a[0]), float(a[2]), int(a[3])) for t, address, a in performer.received
                   if address == "/djai/note"]
            offs = [(t, int(a[0]), int(a[1])) for t, address, a in performer.received if address == "/djai/note_off"]
            for i, (on, _, _) in enumerate(sent):
                following = sent[i + 1][0] if i + 1 < len(sent) else float("inf")
                first = [t for t, *_ in ons if on <= t < min(following, on + with_ms / 1000.0)]
                if first:
                    latencies.append((first[0] - on) * 1000.0)
            beats = bpm / 60.0
            soprano = voice_notes([(on - start) * beats for on, _, _ in sent],
                                  [((off if off is not None else on + 0.1) - start) * beats for on, off, _ in sent],
                                  [p for _, _, p in sent])
            voices = [soprano]
            for channel in (2, 3, 4):
                mine = [(t, p, ms) for t, p, ms, c in ons if c == channel]
                ends = []
                for t, p, ms in mine:
                    ended = [t_off for t_off, p_off, c_off in offs if c_off == channel and p_off == p and t_off > t]
                    ends.append(min([t + ms / 1000.0, *ended[:1]]))
                voices.append(voice_notes([(t - start) * beats for t, _, _ in mine],
                                          [(e - start) * beats for e in ends], [p for _, p, _ in mine]))
            column.add_voices(voices)
            honesty[:] = [a + b for a, b in zip(honesty, honest_voices(ons, offs, sent))]
        process.send_signal(signal.SIGTERM)
        process.wait(10)
        performer.wait_silent(2.0)
        stuck_after = len(performer.sounding())
    lat = np.asarray(latencies)
    column.timing = (f"p50 {np.percentile(lat, 50):.2f} / p99 {np.percentile(lat, 99):.2f} ms (n={len(lat)}; "
                     f"ping p99 {np.percentile(pongs, 99) if pongs else float('nan'):.2f} ms)"
                     if len(lat) else "no harmony")
    column.stuck = f"{stuck} / {stuck_after} after SIGTERM"
    column.honesty = f"{honesty[0]} / {honesty[1]} / {honesty[2]} of {honesty[3]} notes"
    return column


def honest_voices(ons, offs, sent, flam_s: float = 0.03, slack_s: float = 0.005, with_s: float = 0.025
                  ) -> tuple[int, int, int, int]:
    """(flams: a voice struck again within flam_s of its note-on; notes cut short: a note-off more than
    slack_s before the end its duration_ms announced, not within with_s of a performer's note-on nor after
    the performer's last note-off (the rest at a phrase's end ends every note);
    a note-off and a note-on of one pitch on one channel within 1 ms; daemon notes), at the receiver."""
    flams = cut = instant = 0
    performer = [on for on, _, _ in sent]
    last_off = max((off for _, off, _ in sent if off is not None), default=float("inf"))
    for channel in {c for *_, c in ons}:
        mine = sorted((t, p, ms) for t, p, ms, c in ons if c == channel)
        flams += sum(1 for a, b in zip(mine, mine[1:]) if b[0] - a[0] < flam_s)
        for t, p, ms in mine:
            ended = [t_off for t_off, p_off, c_off in offs if c_off == channel and p_off == p and t_off > t]
            if ended and ended[0] < t + ms / 1000.0 - slack_s and ended[0] < last_off \
                    and not any(0 <= ended[0] - on < with_s for on in performer):
                cut += 1
        channel_offs = [(t_off, p_off) for t_off, p_off, c_off in offs if c_off == channel]
        instant += sum(1 for t, p, _ in mine
                       if any(p_off == p and abs(t - t_off) < 0.001 for t_off, p_off in channel_offs))
    return flams, cut, instant, len(ons)


def harmonized(pieces, voice_leading: str, candidates: int, seed: int, bpm: float) -> Column:
    from djai_live.generation import Generator
    from djai_live.harmonize import harmonize
    from djai_live.live.settings import LiveSettings

    column = Column(f"harmonize ({voice_leading}, {candidates} candidates)", bpm)
    generator = Generator.from_file("chorale")
    walls = []
    for piece in pieces:
        started = time.perf_counter()
        settings = LiveSettings(temperature=0.5, voice_leading=voice_leading)
        harmony = harmonize(generator, piece.tracks[0].notes, settings, candidates=candidates, seed=seed)
        walls.append(time.perf_counter() - started)
        column.add_voices([harmony.parts[i] for i in range(4)])
    column.timing = f"{np.median(walls):.2f} s median a chorale"
    return column


def sixteen_bars_as_a_user_runs_it(piece, voice_leading: str, candidates: int) -> tuple[float, int]:
    """`djai-live harmonize` as its own process on the first 16 bars of a chorale's soprano: wall seconds."""
    from djai_live.midi_out import write_midi

    melody = piece.tracks[0].notes
    melody = melody[melody["onset"] < SIXTEEN_BARS]
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "melody.mid"
        write_midi([("melody", melody)], source, tempo_bpm=100.0)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "djai_live.cli", "harmonize", str(source), "-o",
                        str(Path(folder) / "out.mid"), "--voice-leading", voice_leading, "--candidates",
                        str(candidates)], check=True, capture_output=True)
        return time.perf_counter() - started, len(melody)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--files", type=int, default=27, help="held-out chorales, offline columns")
    parser.add_argument("--udp-files", type=int, default=6, help="held-out chorales played over UDP (0: none)")
    parser.add_argument("--bpm", type=float, default=150.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--live-voice-leading", default="loose", choices=("strict", "loose", "off"))
    parser.add_argument("--harmonize-voice-leading", default="strict", choices=("strict", "loose", "off"))
    parser.add_argument("--candidates", type=int, default=8)
    parser.add_argument("--no-harmonize", action="store_true", help="the live columns only")
    args = parser.parse_args()

    from djai_live.corpus import read_midi_notes
    from djai_live.model_files import read_config, resolve_model_path

    model = resolve_model_path("chorale")
    listed = model.with_name(model.stem + ".test_files.txt").read_text().split()
    pieces = [read_midi_notes(args.corpus / name) for name in listed[:args.files]]
    ranges = read_config(model).instrument_ranges
    _, random_pairs, _, _, _ = bach_baselines(pieces, ranges, np.random.default_rng(args.seed))
    columns = [bach(pieces, args.bpm), simulated(pieces, args.bpm, args.live_voice_leading, args.seed)]
    if args.udp_files:
        columns.append(over_udp(pieces[:args.udp_files], args.bpm, args.live_voice_leading, args.seed))
    if not args.no_harmonize:
        columns.append(harmonized(pieces, args.harmonize_voice_leading, args.candidates, args.seed, args.bpm))
        wall, melody_notes = sixteen_bars_as_a_user_runs_it(pieces[0], args.harmonize_voice_leading,
                                                            args.candidates)

    print(f"{len(pieces)} held-out chorales ({args.udp_files} over UDP) at {args.bpm:g} BPM, seed {args.seed}; "
          f"random in-key notes in each register: consonance {consonance(random_pairs):.3f}")
    print("| | " + " | ".join(c.name for c in columns) + " |")
    print("| --- " * (len(columns) + 1) + "|")
    cells = [c.rows() for c in columns]
    for i, row in enumerate(ROWS):
        print(f"| {row} | " + " | ".join(cell[i] for cell in cells) + " |")
    if not args.no_harmonize:
        print(f"`djai-live harmonize` as its own process, first 16 bars of {listed[0]} ({melody_notes} melody "
              f"notes), start-up included: {wall:.2f} s (goal <= 3 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
