"""Accompaniment: the daemon plays the model's other instruments *with* the performer, event by event.

A second policy over the engine's listening state (the performer's notes, the host clock, key auto; see
:class:`.engine.Engine`), next to call and response. Its model context is the whole band in onset order,
the performer's notes and its own, each folded in the moment it starts (a performer's note with the
duration the model expects, since its end is not known yet). After every note it hears or plays it draws
the next note restricted to its own instruments:

- time offset 0 (a note of the same chord): played at once, harmonizing the note just heard;
- a later offset: planned for that time (snapped to the host's grid when there is one); when the
  performer plays first, the plan is dropped and drawn again with the performer's note in the context.
  A plan due after the performer's note is expected to end (at the model's expected duration) is likely
  the start of the next chord, which the performer's next note should lead: it waits wait_ms for it.

While the engine is idle it rehearses the answer to the performer's likeliest next notes (pitch and
time since the chord, by the model's own distributions): the folds and draws :meth:`Accompanist.heard_note`
would make, on a copy of the random generator. When the performer then plays one of them, the chord
goes out with no model step on the way; the random generator ends where the rehearsal left it, so what
plays is exactly what drawing then would have played.

Each instrument is a voice: at most one note per chord, one sounding note at a time (a new note ends the
voice's previous one), pitches in the voice's register (the model's ``instrument_ranges``, narrowed by
pitch_min/pitch_max), in the sounding scale, within max_leap of the voice's previous note. When the
performer has been silent for phrase_gap_ms (plus carry_on_beats), every note is ended and it rests until
the performer plays again. No sockets here: notes go to a :class:`VoiceOutput` (the scheduler, live).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np

from ..encoding import FEATURES, interval_token
from ..sampling import sample_index, softmax
from .engine import MAX_HOLD_S, AnswerNote, Engine
from .grid import grid_step, snap

PITCH, DT, DURATION, VELOCITY, INSTRUMENT, INTERVAL = (FEATURES.index(name) for name in
                                                        ("pitch", "dt", "duration", "velocity", "instrument",
                                                         "interval"))
MIN_DURATION_MS = 10.0


class AccompanyError(ValueError):
    """Accompaniment cannot run with this model or mapping (for example a model of one instrument)."""


class VoiceOutput(Protocol):
    """Where the accompaniment's notes go: note-on now and its note-off after ``duration_ms``."""

    def start_note(self, pitch: int, velocity: int, duration_ms: float, channel: int) -> None: ...
    def end_note(self, pitch: int, channel: int) -> None: ...
    def end_all(self) -> int: ...


@dataclass
class Voice:
    """What one of the daemon's instruments last played."""
    pitch: int
    channel: int
    ends_at: float   # engine clock


@dataclass
class Plan:
    """The next note, drawn ahead for a later time."""
    time: float       # engine clock: where the model places it
    token: np.ndarray
    play_at: float    # when it sounds unless the performer plays first: ``time``, or wait_ms later


@dataclass
class Rehearsal:
    """What :meth:`Accompanist.heard_note` computes for one possible performer note, done ahead."""
    folds: list = field(default_factory=list)   # (token, logits, state) of each note folded, in order
    draws: list = field(default_factory=list)   # the tokens drawn, in order
    rng_state: dict | None = None               # the random generator after those draws


ANTICIPATED_NOTES = 40        # possible next performer notes rehearsed at most, likeliest first
ANTICIPATED_MASS = 0.98       # ... or until they hold this much of the model's probability


@dataclass
class Shadow:
    """The context the model continues from once the live one holds 2L notes: the same notes from
    ``start`` on (the first as priming takes it), folded a step at a time while the engine is idle, so
    that bounding the context never costs L steps at once on the way to a note (see :meth:`Accompanist.tidy`)."""
    start: int                # index in ``Accompanist.tokens`` of its first note
    folded: int               # tokens[start:folded] are folded in
    state: object = None
    logits: dict | None = None
    before_held: tuple | None = None  # its (state, logits) before the held note, once folded past it


@dataclass
class Held:
    """The performer's last note, while its key is down: how to fold it again with a longer duration."""
    pitch: int
    channel: int
    since: float          # engine clock of its note-on
    index: int            # its place in ``Accompanist.tokens``
    state: object         # the model state and logits before it
    logits: dict | None


class Accompanist:
    """The accompaniment policy; thread-confined like the engine whose listening state it reads."""

    def __init__(self, engine: Engine, output: VoiceOutput) -> None:
        self.engine = engine
        self.output = output
        self.config = engine.config
        self.runtime = engine.generator.runtime
        self.codec = engine.generator.codec
        self.plan: Plan | None = None
        self._scale_cache: tuple | None = None
        self.reset()

    @staticmethod
    def check_model(num_instruments: int) -> None:
        if num_instruments < 2:
            raise AccompanyError("accompany needs a model of several instruments (train --instruments N); "
                                 "this one has one")

    # --- state ---------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the context (the model starts afresh) and drop any plan; sounding notes end by themselves."""
        self.logits = None
        self.state = None
        self.tokens: list[np.ndarray] = []   # the context the state holds, oldest first (L to 2L notes)
        self.shadow: Shadow | None = None
        self.last_time: float | None = None  # engine time of the current chord (the last note's onset)
        self.chord: set[int] = set()         # instruments already heard or played at the current chord
        self.heard: set[int] = set()         # instruments the performer has played
        self.voices: dict[int, Voice] = {}
        self.plan = None
        self.resting = True
        self.performer_until = 0.0           # when the performer's last note is expected to end
        self.held: Held | None = None
        self.version = 0                     # bumped whenever the context changes: rehearsals then expire
        self.rehearsed: dict[tuple, Rehearsal] = {}
        self.rehearsal_basis: tuple | None = None
        self.rehearsal_queue: list[tuple[int, int]] = []
        self.performer_style = (1, 90)       # the channel and velocity rehearsals assume: the last heard
        self._recording: Rehearsal | None = None
        self._note_waiting: Callable[[], bool] | None = None  # while rehearsing: whether a note has come
        self._script: tuple | None = None    # (folds, draws) of a rehearsal being played

    def rest(self) -> int:
        """Drop the plan and end every note the accompaniment started; it plays again with the performer."""
        self.plan = None
        self.resting = True
        self.voices.clear()
        return self.output.end_all()

    def own_instruments(self) -> list[int]:
        """The instruments the daemon plays: those of the model that no input channel is mapped to and
        the performer has not played (by default the performer plays instrument 0)."""
        taken = set(self.engine.instruments.inputs.values()) or {0}
        taken |= self.heard
        return [i for i in range(self.config.num_instruments) if i not in taken]

    def register(self, instrument: int) -> tuple[int, int]:
        """The pitches a voice may play: its range in the training data within pitch_min..pitch_max."""
        settings = self.engine.settings
        low, high = settings.pitch_min, settings.pitch_max
        ranges = self.config.instrument_ranges
        if ranges is not None and instrument < len(ranges):
            voice_low, voice_high = ranges[instrument]
            if voice_low <= high and voice_high >= low:  # the global range wins when they do not meet
                low, high = max(low, voice_low), min(high, voice_high)
        return low, high

    def channel_of(self, instrument: int) -> int:
        """Instrument i on channel i + 1 unless --output-map says otherwise."""
        return self.engine.instruments.outputs.get(instrument, min(instrument + 1, 16))

    # --- events --------------------------------------------------------------------------------------
    def heard_note(self, pitch: int, velocity: int, channel: int, now: float) -> None:
        """A performer's note-on (after the engine took it): fold it in, drop the plan, harmonize it."""
        engine = self.engine
        if velocity == 0 or not engine.listens_to(channel):
            return
        self.plan = None
        self.resting = False
        instrument = engine.instruments.instrument_of(channel, self.config.num_instruments)
        self.heard.add(instrument)
        token = np.zeros(len(FEATURES), np.int64)
        token[PITCH], token[INSTRUMENT] = pitch, instrument
        token[VELOCITY] = self._velocity_bin(velocity)
        beats = 0.0 if self.last_time is None else (now - self.last_time) * engine.bpm(now) / 60.0
        token[DT] = self.codec.time.encode([max(beats, 0.0)])[0]
        # Its end is not known yet: it enters with the duration the model expects of the next note.
        token[DURATION] = int(np.argmax(self.logits["duration"])) if self.logits is not None \
            else self.codec.time.encode([1.0])[0]
        self.performer_until = now + float(self.codec.time.decode([token[DURATION]])[0]) * 60.0 / engine.bpm(now)
        self.held = Held(pitch, channel, now, len(self.tokens), self.state, self.logits)
        first = self.logits is None
        rehearsal = None
        if self._recording is None:
            self.performer_style = (channel, velocity)
            rehearsal = self._rehearsal_for(token)
        if rehearsal is not None:
            self._script = (iter(rehearsal.folds), iter(rehearsal.draws))
            engine.counters.prepared_used += 1
        self._fold(token, now)
        if first and self._velocity_bin(velocity) != token[VELOCITY]:
            # the first note had no prediction to check its velocity against: now there is one
            token[VELOCITY] = self._velocity_bin(velocity)
            self.logits = self.state = self.last_time = None
            self.tokens.clear()
            self.shadow = None
            self._fold(token, now)
        self._advance(now)
        if rehearsal is not None:
            self._script = None
            engine.rng.bit_generator.state = rehearsal.rng_state
        if engine.settings.key == "auto" and self._recording is None:
            engine.estimate_key()  # after the answer: the next notes use it

    def _velocity_bin(self, velocity: int) -> int:
        """The performer's velocity as the model takes it: a model trained on one velocity (the chorales
        are all 90) never learned the others, and an unseen embedding row would derail its context; so a
        velocity the model gives under 0.1% enters as the one it expects."""
        bin_ = int(self.codec.velocity.encode([velocity])[0])
        if self.logits is None:
            return bin_
        probabilities = softmax(np.asarray(self.logits["velocity"], np.float64))
        return bin_ if probabilities[bin_] >= 1e-3 else int(probabilities.argmax())

    def next_deadline(self) -> float | None:
        """When :meth:`due` has something to do (engine clock), or None."""
        if self.resting:
            return None
        times = [self._stop_time(), self.plan.play_at if self.plan is not None else None, self._extend_time()]
        times = [t for t in times if t is not None]
        return min(times) if times else None

    def due(self, now: float) -> None:
        """Rest when the performer has stopped; else play the plan once its time has come."""
        if self.resting:
            return
        stop = self._stop_time()
        if stop is not None and now >= stop:
            self.rest()
            return
        extend = self._extend_time()
        if extend is not None and now >= extend:
            self._extend_held(now)
        if self.plan is not None and now >= self.plan.play_at:
            plan, self.plan = self.plan, None
            self._sound(plan.token, plan.time, now)
            self._advance(now)

    def _extend_time(self) -> float | None:
        """When the performer's note, still held wait_ms past its expected end, is folded again longer."""
        held = self.held
        if held is None:
            return None
        for note in reversed(self.engine.notes):
            if note.pitch == held.pitch and note.channel == held.channel and note.onset == held.since:
                if note.duration is not None:
                    return None  # released: its duration no longer matters to what comes next
                return self.performer_until + self.engine.settings.wait_ms / 1000.0
        return None

    def _extend_held(self, now: float) -> None:
        """The performer holds longer than the model expected: fold their note again with the most likely
        longer duration (the notes after it follow again), and draw afresh. Otherwise the model would take
        the note for ended and fill the next chord around a melody note it imagines, against the one held."""
        held = self.held
        bpm = self.engine.bpm(now)
        centres = self.codec.time.centres
        so_far = (now - held.since) * bpm / 60.0
        longer = centres > so_far
        if not longer.any() or held.logits is None:
            self.held = None  # longer than any duration the model knows: leave it
            return
        token = self.tokens[held.index].copy()
        token[DURATION] = int(np.argmax(np.where(longer, held.logits["duration"], -np.inf)))
        self.performer_until = held.since + float(centres[token[DURATION]]) * 60.0 / bpm
        logits, state = held.logits, held.state if held.state is not None else self.runtime.initial_state()
        self.tokens[held.index] = token
        for replay in self.tokens[held.index:]:
            logits, state = self.runtime.step(replay, state)
        self.logits, self.state = logits, state
        self.version += 1
        shadow = self.shadow
        if shadow is not None and shadow.start <= held.index < shadow.folded:  # it folded the old duration
            self.shadow = Shadow(shadow.start, shadow.start)
        self.plan = None
        self._advance(now)

    def _stop_time(self) -> float | None:
        """When the performer counts as stopped: phrase_gap_ms plus carry_on_beats after the last note
        ended (None while a key is held: a held key is not silence, unless its note-off was evidently lost)."""
        engine = self.engine
        if engine.last_activity is None:
            return None
        now = engine.clock()
        if any(n.duration is None and now - n.onset < MAX_HOLD_S for n in engine.notes):
            return None
        settings = engine.settings
        return (engine.last_activity + settings.phrase_gap_ms / 1000.0
                + settings.carry_on_beats * 60.0 / engine.bpm(now))

    # --- drawing -------------------------------------------------------------------------------------
    def _advance(self, now: float) -> None:
        """Draw after the context: play the notes of the current chord at once, plan the first later one."""
        own = self.own_instruments()
        for _ in range(len(own) + 1):  # each own voice at most once per chord, then a later note
            if self.logits is None or not own:
                return
            token = self._draw(own)
            if token[DT] != 0:
                time = self._planned_time(token, now)
                # Due when the performer's note is expected to have ended, it is most likely a guess at
                # the next chord: it waits wait_ms for the performer, whose note then leads the chord.
                play_at = time if time < self.performer_until - 0.001 else \
                    time + self.engine.settings.wait_ms / 1000.0
                self.plan = Plan(time, token, play_at)
                return
            self._sound(token, self.last_time if self.last_time is not None else now, now)

    def _draw(self, own: list[int]) -> np.ndarray:
        if self._script is not None:
            token = next(self._script[1], None)
            if token is not None:
                return token.copy()
            self._script = None  # cannot happen while the rehearsal is valid; if it did: draw afresh
        token = self._draw_afresh(own)
        if self._recording is not None:
            self._recording.draws.append(token.copy())
        return token

    def _draw_afresh(self, own: list[int]) -> np.ndarray:
        engine, logits = self.engine, self.logits
        settings = engine.settings
        rng, temperature, top_p = engine.rng, settings.temperature, settings.top_p
        free = [i for i in own if i not in self.chord]
        token = np.zeros(len(FEATURES), np.int64)
        later = None
        if not free:  # every voice has played in this chord: the next note starts later
            later = np.ones(len(self.codec.time), bool)
            later[0] = False
        token[DT] = sample_index(logits["dt"], rng, temperature, top_p, later)
        token[INSTRUMENT], token[PITCH] = self._draw_voice_and_pitch(free if token[DT] == 0 else own)
        token[DURATION] = sample_index(logits["duration"], rng, temperature, top_p)
        token[VELOCITY] = sample_index(logits["velocity"], rng, temperature, top_p)
        return token

    def _draw_voice_and_pitch(self, voices: list[int]) -> tuple[int, int]:
        """The instrument and the pitch of the next note, drawn together: the model's heads are
        independent given the context, so pitch alone is a mixture over the voices it expects next. A pair
        (voice, pitch) weighs p(voice) * p(pitch), only where the pitch lies in that voice's register, so
        the pitch the model means for the bass goes to the bass, not to whichever voice was drawn first."""
        engine, logits = self.engine, self.logits
        settings = engine.settings
        temperature, top_p = settings.temperature, settings.top_p
        voice_logits = np.asarray(logits["instrument"], np.float64)[voices]
        pitch_logits = np.asarray(logits["pitch"], np.float64)
        scale = self._scale_mask()
        allowed = np.stack([self._allowed_pitches(voice, scale) for voice in voices])
        joint = np.where(allowed, voice_logits[:, None] + pitch_logits[None, :], -np.inf)
        index = sample_index(joint.ravel(), engine.rng, temperature, top_p)
        row, pitch = divmod(index, 128)
        return voices[row], pitch

    def _scale_mask(self) -> np.ndarray:
        """The sounding scale's 128 booleans, computed again only when the scale changes (it is on the
        path from a performer's note to its harmony)."""
        scale = self.engine.sounding_scale()
        if self._scale_cache is None or self._scale_cache[0] is not scale:
            self._scale_cache = (scale, scale.mask())
        return self._scale_cache[1]

    def _allowed_pitches(self, instrument: int, scale: np.ndarray) -> np.ndarray:
        """The voice's register, in the sounding scale, within max_leap of its previous note (the leap
        limit gives way when nothing allowed lies that close, never the scale or the register)."""
        low, high = self.register(instrument)
        allowed = np.zeros(128, bool)
        allowed[low:high + 1] = True
        in_scale = allowed & scale
        if in_scale.any():
            allowed = in_scale
        leap, voice = self.engine.settings.max_leap, self.voices.get(instrument)
        if leap and voice is not None:
            near = np.zeros(128, bool)
            near[max(0, voice.pitch - leap):voice.pitch + leap + 1] = True
            if (near & allowed).any():
                allowed &= near
        return allowed

    def _planned_time(self, token: np.ndarray, now: float) -> float:
        """The engine time of a later note: its offset after the current chord, at the host's tempo, on
        the host's grid when there is one; never in the past."""
        engine = self.engine
        start = self.last_time if self.last_time is not None else now
        beats = float(self.codec.time.decode([token[DT]])[0])
        position = engine.host_position(now)
        step = grid_step(engine.settings.grid)
        if position is None or step is None:
            bpm = position.bpm if position is not None else engine.settings.tempo_bpm
            return max(start + beats * 60.0 / bpm, now)
        beat = position.beat + (start - now) * position.bpm / 60.0 + beats
        snapped, _ = snap(np.array([beat]), np.array([step]), step, engine.settings.swing)
        target = float(snapped[0])
        while target < position.beat:  # a grid point already passed: the next one
            target += step
        return position.time_of(target, now)

    # --- playing -------------------------------------------------------------------------------------
    def _sound(self, token: np.ndarray, chord_time: float, now: float) -> None:
        """Send a drawn note now and fold it into the context at ``chord_time``."""
        engine = self.engine
        instrument, pitch = int(token[INSTRUMENT]), int(token[PITCH])
        bpm = engine.bpm(now)
        beats = float(self.codec.time.decode([token[DURATION]])[0])
        step = grid_step(engine.settings.grid)
        if step is not None and engine.host_position(now) is not None:
            beats = max(round(beats / step), 1) * step
        duration_ms = max(beats * 60_000.0 / bpm, MIN_DURATION_MS)
        velocity = int(min(127, max(1, round(int(self.codec.velocity.decode([token[VELOCITY]])[0])
                                              * engine.settings.velocity_scale))))
        channel = self.channel_of(instrument)
        voice = self.voices.get(instrument)
        self.output.start_note(pitch, velocity, duration_ms, channel)  # a repeated pitch is retriggered there
        if voice is not None and voice.ends_at > now and (voice.pitch, voice.channel) != (pitch, channel):
            self.output.end_note(voice.pitch, voice.channel)  # a voice sings one note at a time: after the
            # new note-on, which is what the ear waits for (and a mono synth glides instead of re-attacking)
        self.voices[instrument] = Voice(pitch, channel, now + duration_ms / 1000.0)
        engine.counters.notes_out += 1
        self._fold(token, chord_time)

    def _fold(self, token: np.ndarray, onset: float) -> None:
        """Step the model over one note of the band (its interval counted from the previous note)."""
        previous = self.tokens[-1] if self.tokens else None
        token[INTERVAL] = interval_token(int(token[PITCH]), None if previous is None else int(previous[PITCH]))
        if previous is None:
            token[DT] = 0
        if token[DT] != 0 or self.last_time is None:
            self.chord = set()
        self.chord.add(int(token[INSTRUMENT]))
        self.last_time = onset if token[DT] != 0 or self.last_time is None else self.last_time
        stepped = next(self._script[0], None) if self._script is not None else None
        if stepped is not None and np.array_equal(stepped[0], token):
            self.logits, self.state = stepped[1], stepped[2]
        else:
            self._script = None  # (as in _draw: a safeguard)
            if self._note_waiting is not None and self._note_waiting():
                raise _Abandoned  # a rehearsal, and a note has come: it goes first
            self.logits, self.state = self.runtime.step(token, self.state if self.state is not None
                                                        else self.runtime.initial_state())
        if self._recording is not None:
            self._recording.folds.append((token.copy(), self.logits, self.state))
        self.tokens.append(token)
        self.version += 1

    def tidy(self, busy: Callable[[], bool] | None = None) -> bool:
        """Keep the context between L and 2L notes (L = sequence_length_i), as priming on the last L would
        (what the model was trained on), without ever stepping L notes at once: from L notes on, a shadow
        context folds the notes that follow, one step per call of ``busy`` (which returns True when a note
        waits, to stop there); once it holds L notes it becomes the context. Call it while nothing is
        due. Returns whether the context was swapped."""
        limit = self.config.sequence_length_i
        held = self.held
        if held is not None and self._extend_time() is None:
            held = self.held = None  # released: it will not be folded again
        if self.state is None or len(self.tokens) < limit:
            return False
        shadow = self.shadow
        if shadow is None:
            shadow = self.shadow = Shadow(len(self.tokens), len(self.tokens))
        while shadow.folded < len(self.tokens):
            if busy is not None and busy():
                return False
            token = self.tokens[shadow.folded]
            if shadow.folded == shadow.start:
                token = _first_of_context(token)
                shadow.state = self.runtime.initial_state()
            if held is not None and shadow.folded == held.index:
                shadow.before_held = (shadow.state, shadow.logits)
            shadow.logits, shadow.state = self.runtime.step(token, shadow.state)
            shadow.folded += 1
        if len(self.tokens) - shadow.start < limit:
            return False
        if held is not None:
            if held.index < shadow.start:
                return False  # the held note would leave the context while it may be folded again
            held.index -= shadow.start
            state, logits = shadow.before_held
            held.state, held.logits = state, logits if logits is not None else held.logits
        self.tokens = [_first_of_context(self.tokens[shadow.start])] + self.tokens[shadow.start + 1:]
        self.logits, self.state, self.shadow = shadow.logits, shadow.state, None
        self.version += 1
        return True

    # --- rehearsing ----------------------------------------------------------------------------------
    def _rehearsal_basis(self) -> tuple:
        """What a rehearsal depends on besides the performer's note itself."""
        return (self.version, tuple(self.engine.settings.items()), self.engine.sounding_scale(),
                tuple(self.own_instruments()), self.performer_style)

    def _rehearsal_for(self, token: np.ndarray) -> Rehearsal | None:
        if not self.rehearsed or self.rehearsal_basis != self._rehearsal_basis():
            return None
        return self.rehearsed.get(_rehearsal_key(token))

    def rehearse(self, busy: Callable[[], bool] | None = None,
                 note_waiting: Callable[[], bool] | None = None) -> int:
        """Rehearse the answers to the performer's likeliest next notes, one per call of ``busy`` (which
        returns True when a note waits, to stop there); call it while nothing is due. ``note_waiting``
        (cheap, no yield) is asked before every model step inside a rehearsal: when it says a note has
        come, that rehearsal is dropped on the spot, so the note waits one model step at most, not a
        whole chord's worth, and the rehearsal is done again at the next idle moment. Returns how many
        it rehearsed."""
        if self.logits is None or self.last_time is None or self._recording is not None:
            return 0
        basis = self._rehearsal_basis()
        if basis != self.rehearsal_basis:
            self.rehearsal_basis, self.rehearsed = basis, {}
            self.rehearsal_queue = self._likeliest_next_notes()
        done = 0
        while self.rehearsal_queue:
            if busy is not None and busy():
                break
            pitch, dt = self.rehearsal_queue[0]
            try:
                key, rehearsal = self._rehearse(pitch, dt, note_waiting)
            except _Abandoned:
                break  # left at the head of the queue
            self.rehearsal_queue.pop(0)
            if key is not None:
                self.rehearsed[key] = rehearsal
                done += 1
        return done

    def _likeliest_next_notes(self) -> list[tuple[int, int]]:
        """(pitch, time bin) of the performer's likeliest next notes: the model's pitch distribution in the
        performer's register times its distribution of the time since the chord, likeliest first."""
        channel, _ = self.performer_style
        instrument = self.engine.instruments.instrument_of(channel, self.config.num_instruments)
        low, high = self.register(instrument)
        pitch = softmax(np.asarray(self.logits["pitch"], np.float64))[low:high + 1]
        dt = softmax(np.asarray(self.logits["dt"], np.float64))
        dt[0] = 0.0  # the performer's note after the chord, not in it
        joint = np.outer(pitch / max(pitch.sum(), 1e-12), dt / max(dt.sum(), 1e-12)).ravel()
        order = np.argsort(joint)[::-1][:ANTICIPATED_NOTES]
        kept = order[:int(np.searchsorted(np.cumsum(joint[order]), ANTICIPATED_MASS)) + 1]
        return [(low + int(i) // len(dt), int(i) % len(dt)) for i in kept]

    def _rehearse(self, pitch: int, dt: int, note_waiting: Callable[[], bool] | None = None
                  ) -> tuple[tuple | None, Rehearsal]:
        """heard_note on a copy of everything it changes, recording its folds and draws; nothing is sent.

        Raises:
            _Abandoned: ``note_waiting`` said a note had come before one of its model steps; everything
                is as it was before the call.
        """
        engine = self.engine
        saved = (self.logits, self.state, list(self.tokens), set(self.chord), self.last_time, set(self.heard),
                 dict(self.voices), self.plan, self.resting, self.performer_until, self.held, self.version,
                 self.output, engine.counters.notes_out, engine.rng.bit_generator.state)
        recording = self._recording = Rehearsal()
        self._note_waiting = note_waiting
        self.output = _SILENT
        try:
            channel, velocity = self.performer_style
            now = self.last_time + float(self.codec.time.centres[dt]) * 60.0 / engine.bpm(self.last_time)
            self.heard_note(pitch, velocity, channel, now)
            recording.rng_state = engine.rng.bit_generator.state
        finally:
            (self.logits, self.state, self.tokens, self.chord, self.last_time, self.heard, self.voices, self.plan,
             self.resting, self.performer_until, self.held, self.version, self.output, engine.counters.notes_out,
             engine.rng.bit_generator.state) = saved
            self._recording = self._note_waiting = None
        if not recording.folds:
            return None, recording
        return _rehearsal_key(recording.folds[0][0]), recording


class _Abandoned(Exception):
    """A rehearsal stopped because a note has come (see :meth:`Accompanist.rehearse`)."""


def _rehearsal_key(token: np.ndarray) -> tuple:
    """What of the performer's note a rehearsal was made for (the interval follows from the context)."""
    return int(token[PITCH]), int(token[DT]), int(token[DURATION]), int(token[VELOCITY]), int(token[INSTRUMENT])


def _first_of_context(token: np.ndarray) -> np.ndarray:
    """A note as the first of a context takes it (as :meth:`~djai_live.runtime.RecurrentRuntime.prime`
    is fed): no time since a previous note and no interval from one."""
    first = token.copy()
    first[DT] = 0
    first[INTERVAL] = interval_token(int(first[PITCH]), None)
    return first


class _Silent:
    """The output of a rehearsal: nothing is sent."""

    def start_note(self, pitch: int, velocity: int, duration_ms: float, channel: int) -> None:
        pass

    def end_note(self, pitch: int, channel: int) -> None:
        pass

    def end_all(self) -> int:
        return 0


_SILENT = _Silent()


def answer_note(pitch: int, velocity: int, duration_ms: float, channel: int) -> AnswerNote:
    """An accompaniment note as the call-and-response phrases carry them (onset now)."""
    return AnswerNote(0.0, pitch, velocity, duration_ms, channel)
