"""The engine: listens to the performer's notes and decides when and what to answer. No sockets here.

It keeps the performer's last ``sequence_length_i`` notes and the model's state after them, folded in one
step per note as note-offs complete their durations, so an answer costs only the steps of the notes still
held plus one step per generated note. Times come from an injectable clock (seconds, monotonic).

With a host clock (:mod:`.clock`), tempo comes from the host, answers start on the next beat or bar and
their notes snap to a grid (:mod:`.grid`); an answer that would start late moves to the next grid point.
"""
from __future__ import annotations

import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..encoding import interval_token
from ..generation import Generator
from ..sampling import SamplingSettings
from ..scales import Scale, estimate_key
from .clock import FreeClock, Placement, Position
from .grid import grid_step, snap, start_beat
from .instruments import InstrumentMap
from .settings import LiveSettings

MAX_HOLD_S = 30.0  # a note held longer than this is taken for a lost note-off when waiting for silence
SEND_LEAD_S = 0.003  # a quantized answer starts at least this long after it is ready: time to send it
KEY_MIN_NOTES = 8    # key auto waits for this many notes before trusting an estimate
# Key auto weighs notes by how long they sound, but none by less than this: a pad or a host that sends note-on
# and note-off together makes notes of a few microseconds, and whichever of them waited a few milliseconds
# for the machine would otherwise outweigh the rest and decide the key.
KEY_SHORTEST_NOTE_S = 0.1


@dataclass
class PerformedNote:
    pitch: int
    velocity: int
    onset: float                  # seconds, engine clock
    channel: int
    duration: float | None = None  # None while the key is held


@dataclass(frozen=True)
class AnswerNote:
    onset_ms: float     # from the moment the phrase is sent
    pitch: int
    velocity: int
    duration_ms: float
    channel: int


UNISON_MS = 1.0  # two notes of one pitch and channel starting closer than this are one note


def merge_unisons(notes: tuple[AnswerNote, ...]) -> tuple[AnswerNote, ...]:
    """The model sometimes draws one pitch twice at one onset (on a grid, or with a time step of 0): played
    as drawn, the second note-on ends the first at once, a zero-length note and a retrigger. Such a pair is
    one note, as long and as loud as the longer and the louder of the two."""
    merged: list[AnswerNote] = []
    for note in notes:
        twin = next((i for i, kept in enumerate(merged) if kept.pitch == note.pitch and kept.channel == note.channel
                     and abs(kept.onset_ms - note.onset_ms) < UNISON_MS), None)
        if twin is None:
            merged.append(note)
        else:
            kept = merged[twin]
            merged[twin] = AnswerNote(kept.onset_ms, kept.pitch, max(kept.velocity, note.velocity),
                                      max(kept.duration_ms, note.duration_ms), kept.channel)
    return tuple(merged)


@dataclass(frozen=True)
class Phrase:
    phrase_id: int
    notes: tuple[AnswerNote, ...]
    created_at: float   # engine clock, seconds
    anchor: float | None = None  # engine clock time that onset_ms count from; None: when it is played
    start_beat: float | None = None  # the host beat of the first note, when a host clock placed it
    bpm: float | None = None         # the host tempo it was placed at

    def placement(self) -> Placement | None:
        """Where the phrase sits on the host's beats (None in free time): its first note on start_beat."""
        if self.start_beat is None or not self.bpm or self.anchor is None or not self.notes:
            return None
        return Placement(self.anchor + self.notes[0].onset_ms / 1000.0, self.start_beat, self.bpm)


@dataclass
class Counters:
    notes_in: int = 0
    phrases_out: int = 0
    notes_out: int = 0
    generate_ms_last: float = 0.0
    prepared_used: int = 0
    history: deque = field(default_factory=lambda: deque(maxlen=256))


class Engine:
    """The listening state (the performer's notes, the model state folded over them, the host clock, key
    auto) and the call-and-response policy over it; thread-confined (one caller at a time). The
    accompaniment policy (:mod:`.accompany`) reads the same listening state."""

    def __init__(self, generator: Generator, settings: LiveSettings | None = None,
                 clock: Callable[[], float] = time.monotonic, seed: int | None = None) -> None:
        self.generator = generator
        self.config = generator.config
        self.settings = settings or LiveSettings(length=self.config.sequence_length_o)
        self.clock = clock
        self.host_clock = FreeClock()
        self.instruments = InstrumentMap()
        self.rng = np.random.default_rng(seed)
        self.counters = Counters()
        self.key_estimate: Scale | None = None
        self.buffer_version = 0
        self._prepared = None   # (key, generated notes, rng state after drawing them): see prepare()
        self.reset()

    def host_position(self, now: float) -> Position | None:
        """The host's beat and tempo at ``now``, or None. The clock's messages reach us
        ``clock_latency_ms`` after the host played them (a driver's buffer, a network hop), so the host
        is that much further on than they say, as a DAW's MIDI clock sync delay sets."""
        return self.host_clock.position(now + self.settings.clock_latency_ms / 1000.0)

    def bpm(self, now: float) -> float:
        """The tempo that converts seconds to the model's beats: the host's when it gives one."""
        position = self.host_position(now)
        return position.bpm if position is not None else self.settings.tempo_bpm

    def sounding_scale(self) -> Scale:
        """The scale answers keep to: the estimated key under key auto (once known), else the set scale."""
        if self.settings.key == "auto" and self.key_estimate is not None:
            return self.key_estimate
        return self.settings.scale

    # --- the performer -------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every note heard (the model state goes back to its start)."""
        self.notes: deque[PerformedNote] = deque()
        self.committed = 0            # notes of self.notes folded into self.state, oldest first
        self.state = None
        self.logits = None
        self.stale = False            # accompaniment kept notes without folding them (see refold)
        self.steps_since_prime = 0
        self.last_activity: float | None = None
        self.answered_since_activity = True
        self.note_ons_since_answer = 0
        self.next_phrase_id = getattr(self, "next_phrase_id", 1)
        self.buffer_version = getattr(self, "buffer_version", 0) + 1

    def note_on(self, pitch: int, velocity: int, channel: int = 1, now: float | None = None) -> Phrase | None:
        """A performer's note-on; returns a phrase when the mode answers right away ('every')."""
        if velocity == 0:
            self.note_off(pitch, channel, now)
            return None
        if not self.listens_to(channel):
            return None
        self.buffer_version += 1
        now = self.clock() if now is None else now
        self._release(pitch, channel, now)  # a repeated key without note-off: close the old note first
        self.notes.append(PerformedNote(pitch, velocity, now, channel))
        self._close_lost_notes(now)
        self.counters.notes_in += 1
        self.last_activity = now
        self.answered_since_activity = False
        self.note_ons_since_answer += 1
        if self.settings.mode == "every" and self.note_ons_since_answer >= self.settings.every_n:
            return self.generate(now=now)
        return None

    def note_off(self, pitch: int, channel: int = 1, now: float | None = None) -> None:
        if not self.listens_to(channel):
            return
        now = self.clock() if now is None else now
        self.buffer_version += 1
        if self._release(pitch, channel, now):
            self.last_activity = now
        self._commit_completed()

    def forget_held(self) -> int:
        """Panic: forget the keys still down (a lost note-off would otherwise hold phrase mode back for
        MAX_HOLD_S) and answer nothing to what was played before; returns how many keys were forgotten.
        A note-off that arrives later for a forgotten key finds nothing and is ignored."""
        kept = [note for i, note in enumerate(self.notes) if i < self.committed or note.duration is not None]
        forgotten = len(self.notes) - len(kept)
        if forgotten:
            self.notes = deque(kept)
            self.buffer_version += 1
            self._commit_completed()  # the finished notes that waited behind a held one
        self.answered_since_activity = True
        self.note_ons_since_answer = 0
        return forgotten

    def use_generator(self, generator: Generator) -> None:
        """Swap the model between answers: the notes heard stay and are folded into the new model's state
        (another architecture or context length is fine); answers prepared by the old model are dropped."""
        self.generator = generator
        self.config = generator.config
        self._prepared = None
        self.buffer_version += 1
        self.committed = 0
        self.state = self.logits = None
        self.steps_since_prime = 0
        completed = next((i for i, note in enumerate(self.notes) if note.duration is None), len(self.notes))
        if completed:  # one batched priming over the new model's context, not a step per note
            self._prime(completed)
            self.committed = completed
        self._commit_completed()  # keeps the buffer within the new model's context

    @property
    def held(self) -> int:
        return sum(1 for note in self.notes if note.duration is None)

    def _close_lost_notes(self, now: float) -> None:
        """Notes whose note-off never came (a dropped packet, an unplugged keyboard) must not block the
        buffer: once more than ``sequence_length_i`` notes wait behind held ones, the oldest held
        notes are closed as if released now."""
        excess = len(self.notes) - self.committed - self.config.sequence_length_i
        for note in itertools.islice(self.notes, self.committed, self.committed + max(excess, 0)):
            if note.duration is None:
                note.duration = max(now - note.onset, 0.0)
        self._commit_completed()

    def listens_to(self, channel: int) -> bool:
        return self.settings.channel_in in (0, channel)

    def _release(self, pitch: int, channel: int, now: float) -> bool:
        for note in reversed(self.notes):
            if note.duration is None and note.pitch == pitch and note.channel == channel:
                note.duration = max(now - note.onset, 0.0)
                return True
        return False

    # --- the model's view ------------------------------------------------------------------------
    def _token(self, note: PerformedNote, previous: PerformedNote | None, duration: float) -> np.ndarray:
        beats = self.bpm(note.onset) / 60.0
        codec = self.generator.codec
        dt = 0.0 if previous is None else (note.onset - previous.onset) * beats
        instrument = self.instruments.instrument_of(note.channel, self.config.num_instruments)
        return np.array([note.pitch, codec.time.encode([dt])[0], codec.time.encode([duration * beats])[0],
                         codec.velocity.encode([note.velocity])[0], instrument,
                         interval_token(note.pitch, None if previous is None else previous.pitch)], dtype=np.int64)

    def _commit_completed(self) -> None:
        """Fold finished notes into the model state, in onset order; keep the buffer bounded."""
        runtime, limit = self.generator.runtime, self.config.sequence_length_i
        if self.settings.mode == "accompany":
            # The accompaniment folds its own context (.accompany): a step here would only delay the
            # next harmony. The notes are kept; call and response folds them again when it needs them.
            while self.committed < len(self.notes) and self.notes[self.committed].duration is not None:
                self.committed += 1
            self.state = self.logits = None
            self.stale = self.committed > 0
        elif self.stale:
            self.refold()
        while self.committed < len(self.notes) and self.notes[self.committed].duration is not None:
            index = self.committed
            previous = self.notes[index - 1] if index else None
            note = self.notes[index]
            if self.state is not None and self.steps_since_prime >= 2 * limit:
                self._prime(index)  # bound the context to between L and 2L notes, amortized O(1)
            token = self._token(note, previous if self.state is not None else None, note.duration)
            self.logits, self.state = runtime.step(token, self.state if self.state is not None
                                                   else runtime.initial_state())
            self.steps_since_prime += 1
            self.committed += 1
        while self.committed > limit:
            self.notes.popleft()
            self.committed -= 1

    def refold(self) -> None:
        """Fold the kept notes again after accompaniment left the state unfolded."""
        self.stale = False
        if self.committed:
            self._prime(self.committed)

    def _prime(self, upto: int) -> None:
        """Rebuild the state from the last ``sequence_length_i`` committed notes before ``upto``."""
        start = max(0, upto - self.config.sequence_length_i)
        tokens = [self._token(self.notes[i], self.notes[i - 1] if i > start else None, self.notes[i].duration)
                  for i in range(start, upto)]
        self.logits, self.state = self.generator.runtime.prime(np.stack(tokens))
        self.steps_since_prime = len(tokens)

    # --- answering -------------------------------------------------------------------------------
    def next_deadline(self) -> float | None:
        """When the phrase mode will answer if nothing else happens (engine clock), or None."""
        if self.settings.mode != "phrase" or self.answered_since_activity or self.last_activity is None:
            return None
        now = self.clock()
        if any(n.duration is None and now - n.onset < MAX_HOLD_S for n in self.notes):
            return None  # a key still down is not silence (unless its note-off was evidently lost)
        return self.last_activity + self.settings.phrase_gap_ms / 1000.0

    def due(self, now: float | None = None) -> Phrase | None:
        """The phrase-mode answer, once the performer has been silent for phrase_gap_ms."""
        deadline = self.next_deadline()
        now = self.clock() if now is None else now
        if deadline is None or now < deadline:
            return None
        return self.generate(now=now)

    def generate(self, count: int | None = None, now: float | None = None) -> Phrase | None:
        """Answer now from the current buffer; None when no note has been heard yet. An answer made
        ahead by :meth:`prepare` for this very buffer and these settings is used as is."""
        started = time.perf_counter()
        now = self.clock() if now is None else now
        self.answered_since_activity = True
        self.note_ons_since_answer = 0
        if not self.notes:
            return None
        count = self.settings.length if count is None else count
        key = self._answer_key(count, now)
        if self._prepared is not None and self._prepared[0] == key:
            _, generated, rng_state = self._prepared
            self.rng.bit_generator.state = rng_state  # as if drawn now: seeded sessions stay reproducible
            self.counters.prepared_used += 1
        else:
            generated = self._sample(count, now)
        self._prepared = None
        phrase = self._to_phrase(generated, now)
        self.counters.phrases_out += 1
        self.counters.notes_out += len(phrase.notes)
        self.counters.generate_ms_last = (time.perf_counter() - started) * 1000.0
        return phrase

    def prepare(self) -> bool:
        """Draw the answer to the current buffer ahead of time, while the performer is between notes, so
        that the request (or the phrase-mode deadline) finds it ready. Keys still held enter with their
        duration so far; the answer stays valid while those durations fall in the same time bins (the
        model sees nothing else of them). The random state is left as it was: the prepared answer is
        exactly what :meth:`generate` would draw now. Returns whether something was prepared."""
        if not self.notes or self.settings.mode not in ("phrase", "manual"):
            return False  # 'every' answers at once; 'accompany' is another policy (see .accompany)
        now = self.clock()
        key = self._answer_key(self.settings.length, now)
        if self._prepared is not None and self._prepared[0] == key:
            return False
        before = self.rng.bit_generator.state
        generated = self._sample(self.settings.length, now)
        self._prepared = (key, generated, self.rng.bit_generator.state)
        self.rng.bit_generator.state = before
        return True

    def _answer_key(self, count: int, now: float) -> tuple:
        """What an answer depends on: the buffer, the settings, and the time bins of held notes so far."""
        held = tuple(int(self.generator.codec.time.encode([(now - note.onset) * self.bpm(note.onset) / 60.0])[0])
                     for note in itertools.islice(self.notes, self.committed, None) if note.duration is None)
        return (self.buffer_version, count, tuple(self.settings.items()), held)

    def _sample(self, count: int, now: float) -> np.ndarray:
        """The notes of an answer to the current buffer (held notes with provisional durations)."""
        runtime = self.generator.runtime
        if self.stale:
            self.refold()
        logits, state = self.logits, self.state
        previous = self.notes[self.committed - 1] if self.committed else None
        for note in list(self.notes)[self.committed:]:  # held notes: provisional durations
            duration = note.duration if note.duration is not None else now - note.onset
            token = self._token(note, previous if state is not None else None, duration)
            logits, state = runtime.step(token, state if state is not None else runtime.initial_state())
            previous = note
        settings = self.settings
        if settings.key == "auto":
            self.estimate_key()
        sampling = SamplingSettings(settings.temperature, settings.top_p, settings.pitch_min, settings.pitch_max,
                                    self.sounding_scale(), settings.max_leap)
        return self.generator.continue_from_state(logits, state, count, self.rng, sampling,
                                                  previous.pitch if previous is not None else None)

    def estimate_key(self) -> None:
        """Key auto: the key of the performer's recent notes (kept while too few notes are known, and
        only taken when its pitch range allows at least one note)."""
        if len(self.notes) < KEY_MIN_NOTES:
            return
        notes = list(self.notes)
        durations = [max(n.duration, KEY_SHORTEST_NOTE_S) if n.duration is not None else 0.25 for n in notes]
        scale, _ = estimate_key([n.pitch for n in notes], durations, [n.onset for n in notes])
        if scale.mask()[self.settings.pitch_min:self.settings.pitch_max + 1].any():
            self.key_estimate = scale

    def _to_phrase(self, generated: np.ndarray, now: float) -> Phrase:
        scale = self.settings.velocity_scale
        velocities = [int(min(127, max(1, round(int(v) * scale)))) for v in generated["velocity"]]
        first = float(generated["onset"][0]) if len(generated) else 0.0
        onsets, durations = generated["onset"] - first, generated["duration"]
        ready = self.clock()
        position = self.host_position(ready + SEND_LEAD_S)
        if position is None:  # free time: the phrase starts as soon as it is played
            ms_per_beat = 60_000.0 / self.settings.tempo_bpm
            times = [(float(o) * ms_per_beat, max(float(d) * ms_per_beat, 10.0)) for o, d in zip(onsets, durations)]
            return self._phrase(generated, velocities, times, now, anchor=None, first_beat=None, bpm=None)
        settings = self.settings
        step = grid_step(settings.grid)
        if step is not None:
            onsets, durations = snap(onsets, durations, step, settings.swing)
        first_beat = start_beat(position.beat, settings.quantize_start, settings.beats_per_bar, step)
        ms_per_beat = 60_000.0 / position.bpm
        lead_ms = (position.time_of(first_beat, ready + SEND_LEAD_S) - ready) * 1000.0
        times = [(lead_ms + float(o) * ms_per_beat, max(float(d) * ms_per_beat, 10.0))
                 for o, d in zip(onsets, durations)]
        return self._phrase(generated, velocities, times, now, anchor=ready, first_beat=first_beat,
                            bpm=position.bpm)

    def _phrase(self, generated: np.ndarray, velocities: list[int], times: list[tuple[float, float]], now: float,
                anchor: float | None, first_beat: float | None, bpm: float | None) -> Phrase:
        several = self.config.num_instruments > 1
        notes = tuple(AnswerNote(onset_ms=onset_ms, pitch=int(n["pitch"]), velocity=velocity, duration_ms=duration_ms,
                                 channel=self.instruments.channel_of(int(n["instrument"]), self.settings.channel_out)
                                 if several else self.settings.channel_out)
                      for n, velocity, (onset_ms, duration_ms) in zip(generated, velocities, times))
        phrase = Phrase(self.next_phrase_id, merge_unisons(notes), now, anchor, first_beat, bpm)
        self.next_phrase_id += 1
        return phrase
