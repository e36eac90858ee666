"""The listening state: what every policy reads. No sockets here, and no policy.

The performer's last ``sequence_length_i`` notes and held keys, the model state folded over them (one step
per note as note-offs complete their durations, so an answer costs only the steps of the notes still held
plus one step per generated note), the host clock and the tempo it gives, key following, the instrument
map, the random generator and the counters. Times come from an injectable clock (seconds, monotonic).
Thread-confined: one caller at a time (the daemon's engine thread).
"""
from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from ..encoding import interval_token
from ..generation import Generator
from ..scales import Scale, estimate_key
from .clock import FreeClock, HostClock, Position
from .instruments import InstrumentMap
from .settings import LiveSettings

MAX_HOLD_S = 30.0  # a note held longer than this is taken for a lost note-off when waiting for silence
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


@dataclass
class Counters:
    notes_in: int = 0
    phrases_out: int = 0
    notes_out: int = 0
    generate_ms_last: float = 0.0
    prepared_used: int = 0


class ListeningState:
    """What the daemon has heard and knows, shared by whichever policy plays (see :mod:`.policy`).

    ``folds_notes``: whether finished notes are folded into :attr:`state` as they complete. A policy that
    keeps its own context (the accompaniment) turns it off; the notes are still kept, and folded again in
    one priming when a policy that reads :attr:`state` asks (:meth:`refold`).
    ``key_changed``: called when key auto settles on another key (the daemon announces it).
    ``between_steps``: called between the model steps of an answer being drawn (the daemon serves the
    settings waiting there, so a knob turned meanwhile is acknowledged without waiting for the answer).
    """

    def __init__(self, generator: Generator, settings: LiveSettings | None = None,
                 clock: Callable[[], float] = time.monotonic, seed: int | None = None) -> None:
        self.generator = generator
        self.config = generator.config
        self.settings = settings or LiveSettings(length=self.config.sequence_length_o)
        self.clock = clock
        self.host_clock: HostClock = FreeClock()
        self.instruments = InstrumentMap()
        self.rng = np.random.default_rng(seed)
        self.counters = Counters()
        self.key_estimate: Scale | None = None
        self.key_changed: Callable[[], None] = lambda: None
        self.between_steps: Callable[[], object] | None = None
        self.folds_notes = True
        self.buffer_version = 0
        self.next_phrase_id = 1
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
        self.state: Any = None        # the runtime's state after the committed notes (its own type)
        self.logits: Any = None       # and its logits there: head -> array
        self.stale = False            # accompaniment kept notes without folding them (see refold)
        self.steps_since_prime = 0
        self.last_activity: float | None = None
        self.answered_since_activity = True
        self.note_ons_since_answer = 0
        self.buffer_version += 1

    def note_on(self, pitch: int, velocity: int, channel: int = 1, now: float | None = None) -> bool:
        """A performer's note-on; returns whether it was taken (on a channel listened to, velocity > 0)."""
        if velocity == 0:
            self.note_off(pitch, channel, now)
            return False
        if not self.listens_to(channel):
            return False
        self.buffer_version += 1
        now = self.clock() if now is None else now
        self._release(pitch, channel, now)  # a repeated key without note-off: close the old note first
        self.notes.append(PerformedNote(pitch, velocity, now, channel))
        self._close_lost_notes(now)
        self.counters.notes_in += 1
        self.last_activity = now
        self.answered_since_activity = False
        self.note_ons_since_answer += 1
        return True

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
        (another architecture or context length is fine)."""
        self.generator = generator
        self.config = generator.config
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
    def token(self, note: PerformedNote, previous: PerformedNote | None, duration: float) -> np.ndarray:
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
        if not self.folds_notes:
            # A policy that folds its own context (the accompaniment): a step here would only delay the
            # next harmony. The notes are kept; refold() folds them again when a policy needs them.
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
            # (a committed note has ended: its duration is known)
            token = self.token(note, previous if self.state is not None else None, cast(float, note.duration))
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
        notes = self.notes
        tokens = [self.token(notes[i], notes[i - 1] if i > start else None, cast(float, notes[i].duration))
                  for i in range(start, upto)]
        self.logits, self.state = self.generator.runtime.prime(np.stack(tokens))
        self.steps_since_prime = len(tokens)

    def estimate_key(self) -> None:
        """Key auto: the key of the performer's recent notes (kept while too few notes are known, and
        only taken when its pitch range allows at least one note)."""
        if len(self.notes) < KEY_MIN_NOTES:
            return
        notes = list(self.notes)
        durations = [max(n.duration, KEY_SHORTEST_NOTE_S) if n.duration is not None else 0.25 for n in notes]
        scale, _ = estimate_key([n.pitch for n in notes], durations, [n.onset for n in notes])
        if scale.mask()[self.settings.pitch_min:self.settings.pitch_max + 1].any() and scale != self.key_estimate:
            self.key_estimate = scale
            self.key_changed()

