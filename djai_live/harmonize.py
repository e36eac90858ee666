"""Harmonizing a whole melody offline (`djai-live harmonize`): the accompaniment policy on a simulated
clock, using what the live policy cannot know, the melody notes still to come.

The melody is played into the same :class:`~.live.accompany.Accompaniment` the daemon runs, with the same
settings (temperature, scale, key, ranges, max_leap, voice_leading), at ``tempo_bpm`` on a simulated clock.
Each *stretch* (from one melody onset to the next) is drawn ``candidates`` times from the same state, each
with its own random stream; the stretch kept is the one with the best score: the model's log-probability
of what the voices drew plus that of the melody note that follows, as the model predicts it after the
stretch. A harmony that leads where the melody goes scores well; one the melody contradicts scores badly.
(Why candidates and not a beam over chords: measured in docs/harmonizer.md.)

The melody comes back note for note; each voice is one track, one note at a time (a note ends where the
voice's next one starts); with a grid, onsets and ends land on it, and no note is shorter than one step.
"""
from __future__ import annotations

import math
import os
from collections import deque
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .generation import Generator
from .live.accompany import Accompaniment
from .live.band import INSTRUMENT, PITCH
from .live.instruments import InstrumentMap
from .live.listening import ListeningState
from .live.settings import LiveSettings
from .notes import NOTE_DTYPE
from .notes_json import notes_as_json

START = 1000.0            # simulated engine clock of beat 0
TAIL_BEATS = 8.0          # after the last melody note-off, time for the voices to end


class HarmonizeError(ValueError):
    """A melody that cannot be harmonized (no notes, a model of one instrument), in words."""


@dataclass
class Harmony:
    """The melody and the voices, each a note array (``NOTE_DTYPE``, beats), by instrument."""
    melody_instrument: int
    parts: dict[int, np.ndarray]
    score: float = 0.0                   # the kept stretches' scores, summed
    relaxed: int = 0                     # draws where a voice-leading rule gave way
    stretches: int = 0

    def as_json(self, names: list[str] | None = None) -> dict:
        """The same notes for programs: onsets and durations in beats, one list per part."""
        parts = []
        for instrument, notes in sorted(self.parts.items()):
            parts.append({
                "instrument": instrument,
                "name": names[instrument] if names and instrument < len(names) else f"instrument {instrument}",
                "melody": instrument == self.melody_instrument,
                "notes": notes_as_json(notes)})
        return {"parts": parts, "score": self.score, "voice_leading_relaxed": self.relaxed}


@dataclass
class _Line:
    """One harmonization so far (a beam keeps the best few)."""
    score: float
    band: Any
    started: list
    cuts: list
    relaxed: int


class _Recorder:
    """What a candidate stretch played: note starts and the times every sounding note was cut (rest)."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.started: list[tuple[float, int, int, float, int]] = []  # (time, pitch, velocity, ms, instrument)
        self.cancels: list[float] = []

    def play(self, phrase) -> None:
        raise AssertionError("the accompaniment plays notes, not phrases")

    def cancel(self) -> int:
        self.cancels.append(self.clock())
        return 0

    def start_note(self, pitch: int, velocity: int, duration_ms: float, channel: int, voice: int) -> None:
        self.started.append((self.clock(), pitch, velocity, duration_ms, voice))

    def end_note(self, pitch: int, channel: int) -> None:
        pass  # the voice's next note ends it: counted from the starts

    def planned(self, note) -> None:
        pass

    def next_due(self) -> float | None:
        return None

    def panic(self) -> int:
        return self.cancel()


class _Scored(Accompaniment):
    """The accompaniment, adding up the model's log-probability of the voices and pitches it draws."""

    log_prob = 0.0

    def _draw_afresh(self, own: list[int]) -> np.ndarray:
        logits = self.band.logits
        token = super()._draw_afresh(own)
        self.log_prob += _log_prob(logits["pitch"], int(token[PITCH])) \
            + _log_prob(logits["instrument"], int(token[INSTRUMENT]))
        return token


def _log_prob(logits, index: int) -> float:
    values = np.asarray(logits, np.float64)
    top = values.max()
    return float(values[index] - top - math.log(np.exp(values - top).sum()))


def _listening_snapshot(listening: ListeningState) -> tuple:
    notes = list(listening.notes)
    return (notes, [n.duration for n in notes], listening.committed, listening.last_activity,
            listening.answered_since_activity, listening.key_estimate)


def _restore(listening: ListeningState, snapshot: tuple) -> None:
    notes, durations, committed, last_activity, answered, key = snapshot
    for note, duration in zip(notes, durations):
        note.duration = duration
    listening.notes = deque(notes)
    listening.committed, listening.last_activity = committed, last_activity
    listening.answered_since_activity, listening.key_estimate = answered, key


def harmonize(generator: Generator, melody: np.ndarray, settings: LiveSettings | None = None,
              melody_instrument: int = 0, candidates: int = 8, seed: int | None = 0, beam: int = 1) -> Harmony:
    """Harmonize ``melody`` (``NOTE_DTYPE``, beats) with the model's other instruments: ``candidates``
    draws of each stretch from each of the ``beam`` best harmonizations so far (by their summed scores).

    Raises:
        HarmonizeError: no melody notes, or the model has one instrument, or ``melody_instrument`` is not one
            of its instruments.
    """
    config = generator.config
    if config.num_instruments < 2:
        raise HarmonizeError("harmonize needs a model of several instruments (train --instruments N); "
                             "this one has one")
    if not 0 <= melody_instrument < config.num_instruments:
        raise HarmonizeError(f"the melody's instrument must be 0-{config.num_instruments - 1} for this model, "
                             f"got {melody_instrument}")
    if not len(melody):
        raise HarmonizeError("the melody has no notes")
    if candidates < 1 or beam < 1:
        raise HarmonizeError(f"candidates and beam must be at least 1, got {candidates} and {beam}")
    settings = replace(settings) if settings is not None else LiveSettings()
    settings.set("mode", "accompany")
    now = [START]
    listening = ListeningState(generator, settings, clock=lambda: now[0], seed=seed)
    listening.instruments = InstrumentMap(inputs={1: melody_instrument})
    recorder = _Recorder(listening.clock)
    policy = _Scored(listening, recorder, prepare_answers=False)
    seconds = 60.0 / settings.tempo_bpm
    onsets = np.unique(melody["onset"])
    offs = sorted((float(n["onset"] + n["duration"]), int(n["pitch"])) for n in melody)
    harmony = Harmony(melody_instrument, {})
    lines = [_Line(0.0, policy.band, [], [], 0)]
    streams = np.random.SeedSequence(seed).spawn(len(onsets))

    def run_until(when: float, offs_until: list[tuple[float, int]]) -> None:
        """Play the plan and the melody's note-offs up to ``when`` (engine time)."""
        pending = list(offs_until)
        while True:
            deadline = policy.next_deadline()
            off_time = START + pending[0][0] * seconds if pending else math.inf
            next_time = min(deadline if deadline is not None else math.inf, off_time)
            if next_time > when:
                break
            now[0] = next_time
            if pending and off_time <= next_time:
                listening.note_off(pending.pop(0)[1], 1, now=now[0])
            else:
                policy.due(now[0])
        now[0] = when

    off_index = 0
    for index, onset in enumerate(onsets):
        when = START + float(onset) * seconds
        following = float(onsets[index + 1]) if index + 1 < len(onsets) else float(offs[-1][0]) + TAIL_BEATS
        until = START + following * seconds
        # note-offs after this onset up to the next one (an off at the next onset comes before it)
        first_off = off_index
        while off_index < len(offs) and offs[off_index][0] <= following + 1e-9:
            off_index += 1
        stretch_offs = offs[first_off:off_index]
        heard = [n for n in melody if n["onset"] == onset]
        for note in heard:
            listening.note_on(int(note["pitch"]), int(note["velocity"]) or 1, 1, now=when)
        snapshot = _listening_snapshot(listening)
        next_pitch = int(melody["pitch"][melody["onset"] == onsets[index + 1]].max()) \
            if index + 1 < len(onsets) else None
        grown: list[_Line] = []
        children = streams[index].spawn(candidates * len(lines))
        for number, line in enumerate(lines):
            for stream in children[candidates * number:candidates * (number + 1)]:
                _restore(listening, snapshot)
                policy.band, policy.log_prob, policy.voicing.relaxed = line.band.copy(), 0.0, 0
                listening.rng = np.random.default_rng(stream)
                recorder.started, recorder.cancels = [], []
                now[0] = when
                for note in heard:
                    policy.heard_note(int(note["pitch"]), int(note["velocity"]) or 1, 1, when)
                run_until(until, stretch_offs)
                score = policy.log_prob
                if next_pitch is not None and policy.band.logits is not None:
                    score += _log_prob(policy.band.logits["pitch"], next_pitch) \
                        + _log_prob(policy.band.logits["instrument"], melody_instrument)
                grown.append(_Line(line.score + score, policy.band, line.started + recorder.started,
                                   line.cuts + recorder.cancels, line.relaxed + policy.voicing.relaxed))
        lines = sorted(grown, key=lambda grown_line: -grown_line.score)[:beam]
        for line in lines:  # bounding a context edits its shadow and held note: each line its own
            line.band.shadow = replace(line.band.shadow) if line.band.shadow is not None else None
            line.band.held = replace(line.band.held) if line.band.held is not None else None
            policy.band = line.band
            policy.tidy()
        harmony.stretches += 1
    best = lines[0]
    policy.band, started, cuts = best.band, best.started, best.cuts
    harmony.score, harmony.relaxed = best.score, best.relaxed
    policy.rest()
    cuts.append(now[0])
    harmony.parts = {melody_instrument: np.sort(melody.copy(), order=["onset", "pitch"])}
    for instrument in range(config.num_instruments):
        if instrument != melody_instrument:
            harmony.parts[instrument] = _voice_notes(started, cuts, instrument, seconds)
    return harmony


def _voice_notes(started: list, cuts: list[float], instrument: int, seconds: float) -> np.ndarray:
    """One voice's notes in beats: each ends at its announced end, the voice's next onset, or a rest."""
    mine = sorted((t, p, v, ms) for t, p, v, ms, voice in started if voice == instrument)
    cut_times = np.sort(np.asarray(cuts, np.float64))
    notes = np.zeros(len(mine), NOTE_DTYPE)
    for i, (time, pitch, velocity, duration_ms) in enumerate(mine):
        end = time + duration_ms / 1000.0
        if i + 1 < len(mine):
            end = min(end, mine[i + 1][0])
        later = cut_times[cut_times > time]
        if len(later):
            end = min(end, float(later[0]))
        notes[i] = (pitch, velocity, (time - START) / seconds, (end - time) / seconds, instrument)
    return notes[notes["duration"] > 1e-9]


def snap_to_grid(notes: np.ndarray, step: float) -> np.ndarray:
    """One voice's notes on a grid of ``step`` beats: onsets to the nearest point, a note ending at the
    nearest point after it (at least one step long) and never past the voice's next onset; of two notes
    landing on one onset the later is kept (it is what the voice sang there)."""
    if not len(notes):
        return notes
    onset = np.round(notes["onset"] / step) * step
    end = np.maximum(np.round((notes["onset"] + notes["duration"]) / step) * step, onset + step)
    keep = np.ones(len(notes), bool)
    keep[:-1] = onset[1:] > onset[:-1] + 1e-9
    notes, onset, end = notes[keep].copy(), onset[keep], end[keep]
    end[:-1] = np.minimum(end[:-1], onset[1:])
    notes["onset"], notes["duration"] = onset, end - onset
    return notes


def read_melody(path: str | os.PathLike, track: int | None = None, channel: int | None = None) -> np.ndarray:
    """The melody of a MIDI file (``NOTE_DTYPE``, beats): a non-drum track by index (default the first),
    or every note on one MIDI channel (1-16) across tracks.

    Raises:
        MidiReadError: the file cannot be read.
        HarmonizeError: no such track, or no note there.
    """
    from .corpus import MidiReadError, read_midi_notes

    if channel is not None:
        try:
            import mido

            midi = mido.MidiFile(os.fspath(path))
        except (OSError, ValueError, EOFError, KeyError, IndexError) as error:
            raise MidiReadError(path, str(error) or type(error).__name__) from None
        notes = _channel_notes(midi, channel)
        if not len(notes):
            raise HarmonizeError(f"{path}: no notes on channel {channel}")
        return notes
    piece = read_midi_notes(path)
    index = 0 if track is None else track
    if index >= len(piece.tracks):
        raise HarmonizeError(f"{path}: no track {index}; it has tracks 0-{len(piece.tracks) - 1} "
                             "(non-drum, with notes)" if piece.tracks else f"{path}: no notes")
    return piece.tracks[index].notes


def _channel_notes(midi, channel: int) -> np.ndarray:
    """Every note on ``channel`` (1-16) of a mido file, in beats (ticks / ticks per beat)."""
    import mido

    ticks, found = 0, []
    sounding: dict[int, tuple[float, int]] = {}
    for message in mido.merge_tracks(midi.tracks):
        ticks += message.time
        if message.type not in ("note_on", "note_off") or message.channel != channel - 1:
            continue
        beat = ticks / midi.ticks_per_beat
        if message.type == "note_on" and message.velocity > 0:
            if message.note in sounding:  # re-struck without a note-off: the first ends here
                start, velocity = sounding.pop(message.note)
                found.append((message.note, velocity, start, beat - start))
            sounding[message.note] = (beat, message.velocity)
        elif message.note in sounding:
            start, velocity = sounding.pop(message.note)
            found.append((message.note, velocity, start, beat - start))
    notes = np.zeros(len(found), NOTE_DTYPE)
    for i, note in enumerate(found):
        notes[i] = (*note, 0)
    notes = notes[notes["duration"] > 0]
    return np.sort(notes, order=["onset", "pitch"])
