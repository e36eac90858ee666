"""What the accompaniment knows of the band: one state object, copied whole by a rehearsal.

Its model context is the whole band in onset order (the performer's notes and its own), the state after
it, the voices and what they last played, the note planned next and the performer's held note. Bounding
that context to between L and 2L notes (L = sequence_length_i) is here too (:func:`bound_context`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from collections.abc import Callable

import numpy as np

from ..encoding import FEATURES, interval_token

PITCH, DT, DURATION, VELOCITY, INSTRUMENT, INTERVAL = (FEATURES.index(name) for name in
                                                        ("pitch", "dt", "duration", "velocity", "instrument",
                                                         "interval"))


@dataclass
class Voice:
    """What one of the daemon's instruments last played."""
    pitch: int
    channel: int
    ends_at: float   # engine clock: the end its note was announced with
    since: float = 0.0  # engine clock of its note-on


@dataclass
class Repeat:
    """A voice's note on the pitch it just ended, struck a breath (REPEAT_GAP_S) after the note-off."""
    at: float         # engine clock
    pitch: int
    velocity: int
    duration_ms: float
    channel: int
    instrument: int


@dataclass
class Plan:
    """The next note, drawn ahead for a later time."""
    time: float       # engine clock: where the model places it
    token: np.ndarray
    play_at: float    # when it sounds unless the performer plays first: ``time``, or wait_ms later


@dataclass
class Shadow:
    """The context the model continues from once the live one holds 2L notes: the same notes from
    ``start`` on (the first as priming takes it), folded a step at a time while the engine is idle, so
    that bounding the context never costs L steps at once on the way to a note (see :func:`bound_context`)."""
    start: int                # index in ``Band.tokens`` of its first note
    folded: int               # tokens[start:folded] are folded in
    state: Any = None
    logits: dict | None = None
    before_held: tuple | None = None  # its (state, logits) before the held note, once folded past it


@dataclass
class Held:
    """The performer's last note, while its key is down: how to fold it again with a longer duration."""
    pitch: int
    channel: int
    since: float          # engine clock of its note-on
    index: int            # its place in ``Band.tokens``
    state: Any            # the model state and logits before it
    logits: dict | None


@dataclass
class Band:
    """Everything a performer's note changes in the accompaniment. A fresh Band is the reset state."""
    logits: Any = None                 # the runtime's logits and state after the context (its own types)
    state: Any = None
    tokens: list = field(default_factory=list)   # the context the state holds, oldest first (L to 2L notes)
    shadow: Shadow | None = None
    last_time: float | None = None     # engine time of the current chord (the last note's onset)
    chord: set = field(default_factory=set)    # instruments already heard or played at the current chord
    heard: set = field(default_factory=set)    # instruments the performer has played
    voices: dict = field(default_factory=dict)  # instrument -> Voice
    plan: Plan | None = None
    repeats: list = field(default_factory=list)  # Repeat notes still to strike
    resting: bool = True
    performer_until: float = 0.0       # when the performer's last note is expected to end
    held: Held | None = None
    version: int = 0                   # bumped whenever the context changes: rehearsals then expire
    # the voice leading's view (performer's voices too): instrument -> newest pitch, and the pitch it had
    # at the chord before the current one
    sounding: dict = field(default_factory=dict)
    before_chord: dict = field(default_factory=dict)

    def struck_after(self, time: float) -> set[int]:
        """The daemon's voices whose note started after ``time`` (engine clock)."""
        return {instrument for instrument, voice in self.voices.items() if voice.since > time}

    def join_chord(self, instrument: int, pitch: int, new_chord: bool) -> None:
        """A note folded in: it starts a new chord (what sounded becomes the chord before) or joins this one."""
        if new_chord:
            self.chord = set()
            self.before_chord = dict(self.sounding)
        self.chord.add(instrument)
        self.sounding[instrument] = pitch

    def copy(self) -> Band:
        """A copy that the original's changes do not reach, for a rehearsal to change and drop. What the
        containers hold is replaced, never edited (a token, a voice); the shadow and the held note are
        edited only by :func:`bound_context`, which never runs inside a rehearsal."""
        return replace(self, tokens=list(self.tokens), chord=set(self.chord), heard=set(self.heard),
                       voices=dict(self.voices), sounding=dict(self.sounding), repeats=list(self.repeats),
                       before_chord=dict(self.before_chord))


def first_of_context(token: np.ndarray) -> np.ndarray:
    """A note as the first of a context takes it (as :meth:`~djai_live.runtime.RecurrentRuntime.prime`
    is fed): no time since a previous note and no interval from one."""
    first = token.copy()
    first[DT] = 0
    first[INTERVAL] = interval_token(int(first[PITCH]), None)
    return first


def bound_context(band: Band, runtime: Any, limit: int, held_released: bool,
                  busy: Callable[[], bool] | None = None) -> bool:
    """Keep the context between L and 2L notes (L = ``limit``), as priming on the last L would (what the
    model was trained on), without ever stepping L notes at once: from L notes on, a shadow context folds
    the notes that follow, one step per call of ``busy`` (which returns True when a note waits, to stop
    there); once it holds L notes it becomes the context. ``held_released``: the performer's held note has
    ended, so it will not be folded again. Call it while nothing is due. Returns whether the context was
    swapped."""
    held = band.held
    if held is not None and held_released:
        held = band.held = None
    if band.state is None or len(band.tokens) < limit:
        return False
    shadow = band.shadow
    if shadow is None:
        shadow = band.shadow = Shadow(len(band.tokens), len(band.tokens))
    while shadow.folded < len(band.tokens):
        if busy is not None and busy():
            return False
        token = band.tokens[shadow.folded]
        if shadow.folded == shadow.start:
            token = first_of_context(token)
            shadow.state = runtime.initial_state()
        if held is not None and shadow.folded == held.index:
            shadow.before_held = (shadow.state, shadow.logits)
        shadow.logits, shadow.state = runtime.step(token, shadow.state)
        shadow.folded += 1
    if len(band.tokens) - shadow.start < limit:
        return False
    if held is not None:
        if held.index < shadow.start:
            return False  # the held note would leave the context while it may be folded again
        held.index -= shadow.start
        assert shadow.before_held is not None  # (the shadow folded past the held note: it is in its context)
        state, logits = shadow.before_held
        held.state, held.logits = state, logits if logits is not None else held.logits
    band.tokens = [first_of_context(band.tokens[shadow.start])] + band.tokens[shadow.start + 1:]
    band.logits, band.state, band.shadow = shadow.logits, shadow.state, None
    band.version += 1
    return True
