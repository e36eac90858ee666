"""Accompaniment: the daemon plays the model's other instruments *with* the performer, event by event.

A policy (:mod:`.policy`) over the listening state, next to call and response. What it knows of the band is
one :class:`.band.Band`: its model context is the whole band in onset order, each note folded in the moment
it starts (a performer's note with the duration the model expects, its end not known yet). After every
note it hears or plays it draws the next note for its own instruments:

- time offset 0 (a note of the same chord): played at once, harmonizing the note just heard;
- a later offset: planned for that time (on the host's grid when there is one), dropped and drawn again
  when the performer plays first. A plan due after the performer's note is expected to end is likely the
  next chord, which the performer's next note should lead: it waits wait_ms for it.

While nothing is due it rehearses (:mod:`.rehearsal`) its answers to the performer's likeliest next notes
on a copy of the band and of the random generator: when one of them comes, the chord goes out with no
model step on the way, exactly as drawing then would have played it.

Each instrument is a voice (:mod:`.voicing`): one note per chord, one at a time, lasting its duration_ms unless
the performer's next note ends it (no flam, no off and on at once). Silent phrase_gap_ms (plus carry_on_beats),
every note ends and it rests until the performer plays again. Notes go to the policy's :class:`~.policy.Output`.
"""
from __future__ import annotations

import time

import numpy as np

from ..config import DjaiConfig
from ..encoding import FEATURES, interval_token
from ..generation import Generator
from ..sampling import sample_index, softmax
from .band import (DT, DURATION, INSTRUMENT, INTERVAL, PITCH, VELOCITY, Band, Held, Plan, Repeat, Shadow, Voice,
                   bound_context)
from .events import NotePlanned
from .listening import MAX_HOLD_S, ListeningState
from .policy import SILENT, NoteWaiting, Output, Policy, PolicyError
from .rehearsal import Abandoned, Rehearsal, likeliest_next_notes, rehearsal_key
from .turns import play_on
from .voicing import Voicing

NO_FLAM_S = 0.03  # a voice struck this recently is not struck again (a re-voiced chord is heard as a flam)
REPEAT_GAP_S = 0.003  # a voice's note-off and its next note-on of that pitch: two instants, no audible gap
IDLE_WORK_CLEARANCE_S = 0.005  # a rehearsed chord, cold, with room: idle work stops this close to a due note
IDLE_YIELD_S = 0.0002          # the core given back between slices of idle work (see _busy_with)


class Accompaniment(Policy):
    """The accompaniment policy (mode accompany); thread-confined like the listening state it reads."""

    folds_notes = False  # its own context is the whole band: the performer's alone would only cost steps
    take_turn = play_on  # the hand-over pedal (see .turns)

    def __init__(self, listening: ListeningState, output: Output, prepare_answers: bool = True) -> None:
        super().__init__(listening, output, prepare_answers)
        self.check_model(listening.config)
        self.voicing = Voicing(listening)
        self._use(listening.generator)
        self.reset()

    def _use(self, generator: Generator) -> None:
        self.config, self.runtime, self.codec = generator.config, generator.runtime, generator.codec

    @classmethod
    def check_model(cls, config: DjaiConfig) -> None:
        if config.num_instruments < 2:
            raise PolicyError("accompany needs a model of several instruments (train --instruments N); "
                              "this one has one")

    # --- state ---------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the context (the model starts afresh) and drop any plan; sounding notes end by themselves."""
        self.band = Band()
        self.rehearsed: dict[tuple, Rehearsal] = {}
        self.rehearsal_basis: tuple | None = None
        self.rehearsal_queue: list[tuple[int, int]] = []
        self.performer_style = (1, 90)       # the channel and velocity rehearsals assume: the last heard
        self._recording: Rehearsal | None = None
        self._note_waiting: NoteWaiting | None = None  # while rehearsing: whether a note has come
        self._script: tuple | None = None    # (folds, draws) of a rehearsal being played

    def use_generator(self, generator: Generator) -> None:
        """The old model's voices end; the new one starts from silence and an empty context."""
        self.check_model(generator.config)
        super().use_generator(generator)
        self.rest()
        self._use(generator)
        self.reset()

    # --- the policy interface ------------------------------------------------------------------------
    def heard_note_on(self, pitch: int, velocity: int, channel: int, arrival: float) -> None:
        # timed at arrival, not when handled: planned notes keep to the performer's beat; nothing is
        # interrupted, it plays along
        if self.listening.note_on(pitch, velocity, channel, now=arrival):
            self.heard_note(pitch, velocity, channel, arrival)

    def idle(self, note_waiting: NoteWaiting) -> None:
        """While nothing is due: bound the context a step at a time, then rehearse the answers to the
        performer's likeliest next notes."""
        busy = self._busy_with(note_waiting)
        self.tidy(busy)
        if self.prepare_answers:
            self.rehearse(busy, note_waiting)

    def _busy_with(self, note_waiting: NoteWaiting):
        def busy() -> bool:
            """Whether a note waits or one of ours is due within IDLE_WORK_CLEARANCE_S; first the core is
            given back for IDLE_YIELD_S: a real-time thread computing for tens of milliseconds would hold
            off the host that receives the notes just sent (scripts/bench_accompany.py measured ~20 ms)."""
            time.sleep(IDLE_YIELD_S)
            if note_waiting():
                return True
            deadline = self.next_deadline()
            return deadline is not None and deadline - self.listening.clock() < IDLE_WORK_CLEARANCE_S
        return busy

    def rest(self) -> int:
        """Drop the plan and end every note the accompaniment started; it plays again with the performer."""
        self.band.plan, self.band.repeats = None, []
        self.band.resting = True
        self.band.voices.clear()
        self.band.sounding, self.band.before_chord = {}, {}  # a new phrase leads from nothing
        return self.output.cancel()

    # --- events --------------------------------------------------------------------------------------
    def heard_note(self, pitch: int, velocity: int, channel: int, now: float) -> None:
        """A performer's note-on (after the engine took it): fold it in, drop the plan, harmonize it."""
        listening = self.listening
        if velocity == 0 or not listening.listens_to(channel):
            return
        self.band.plan = None
        self.band.resting = False
        instrument = listening.instruments.instrument_of(channel, self.config.num_instruments)
        self.band.heard.add(instrument)
        token = np.zeros(len(FEATURES), np.int64)
        token[PITCH], token[INSTRUMENT] = pitch, instrument
        token[VELOCITY] = self._velocity_bin(velocity)
        beats = 0.0 if self.band.last_time is None else (now - self.band.last_time) * listening.bpm(now) / 60.0
        token[DT] = self.codec.time.encode([max(beats, 0.0)])[0]
        # Its end is not known yet: it enters with the duration the model expects of the next note.
        token[DURATION] = int(np.argmax(self.band.logits["duration"])) if self.band.logits is not None \
            else self.codec.time.encode([1.0])[0]
        expected_beats = float(self.codec.time.decode([token[DURATION]])[0])
        self.band.performer_until = now + expected_beats * 60.0 / listening.bpm(now)
        self.band.held = Held(pitch, channel, now, len(self.band.tokens), self.band.state, self.band.logits)
        first = self.band.logits is None
        rehearsal = None
        struck = self.band.struck_after(now - NO_FLAM_S)  # they keep their notes: no flam
        if self._recording is None and not struck:
            self.performer_style = (channel, velocity)
            rehearsal = self._rehearsal_for(token)
        if rehearsal is not None:
            self._script = (iter(rehearsal.folds), iter(rehearsal.draws))
            listening.counters.prepared_used += 1
        self._fold(token, now)
        self.band.chord |= struck
        if first and self._velocity_bin(velocity) != token[VELOCITY]:
            # the first note had no prediction to check its velocity against: now there is one
            token[VELOCITY] = self._velocity_bin(velocity)
            self.band.logits = self.band.state = self.band.last_time = None
            self.band.tokens.clear()
            self.band.shadow = None
            self._fold(token, now)
        self._advance(now)
        if rehearsal is not None:
            self._script = None
            listening.rng.bit_generator.state = rehearsal.rng_state
        if listening.settings.key == "auto" and self._recording is None:
            listening.estimate_key()  # after the answer: the next notes use it

    def _velocity_bin(self, velocity: int) -> int:
        """The performer's velocity as the model takes it: a model trained on one velocity (the chorales
        are all 90) never learned the others, and an unseen embedding row would derail its context; so a
        velocity the model gives under 0.1% enters as the one it expects."""
        bin_ = int(self.codec.velocity.encode([velocity])[0])
        if self.band.logits is None:
            return bin_
        probabilities = softmax(np.asarray(self.band.logits["velocity"], np.float64))
        return bin_ if probabilities[bin_] >= 1e-3 else int(probabilities.argmax())

    def next_deadline(self) -> float | None:
        """When :meth:`due` has something to do (engine clock), or None."""
        if self.band.resting:
            return None
        plan = self.band.plan
        times = [t for t in (self._stop_time(), plan.play_at if plan is not None else None, self._extend_time(),
                             *(late.at for late in self.band.repeats)) if t is not None]
        return min(times) if times else None

    def due(self, now: float) -> None:
        """Rest when the performer has stopped; else play the plan once its time has come."""
        if self.band.resting:
            return
        stop = self._stop_time()
        if stop is not None and now >= stop:
            self.rest()
            return
        for late in [late for late in self.band.repeats if now >= late.at]:
            self.band.repeats.remove(late)
            self.output.start_note(late.pitch, late.velocity, late.duration_ms, late.channel, late.instrument)
        extend = self._extend_time()
        if extend is not None and now >= extend:
            self._extend_held(now)
        if self.band.plan is not None and now >= self.band.plan.play_at:
            plan, self.band.plan = self.band.plan, None
            self._sound(plan.token, plan.time, now)
            self._advance(now)

    def _extend_time(self) -> float | None:
        """When the performer's note, still held wait_ms past its expected end, is folded again longer."""
        held = self.band.held
        if held is None:
            return None
        for note in reversed(self.listening.notes):
            if note.pitch == held.pitch and note.channel == held.channel and note.onset == held.since:
                if note.duration is not None:
                    return None  # released: its duration no longer matters to what comes next
                return self.band.performer_until + self.listening.settings.wait_ms / 1000.0
        return None

    def _extend_held(self, now: float) -> None:
        """The performer holds longer than the model expected: fold their note again with the most likely
        longer duration (the notes after it follow again), and draw afresh. Otherwise the model would take
        the note for ended and fill the next chord around a melody note it imagines, against the one held."""
        held = self.band.held
        assert held is not None  # (due only while a held note has an extension time)
        bpm = self.listening.bpm(now)
        centres = self.codec.time.centres
        so_far = (now - held.since) * bpm / 60.0
        longer = centres > so_far
        if not longer.any() or held.logits is None:
            self.band.held = None  # longer than any duration the model knows: leave it
            return
        token = self.band.tokens[held.index].copy()
        token[DURATION] = int(np.argmax(np.where(longer, held.logits["duration"], -np.inf)))
        self.band.performer_until = held.since + float(centres[token[DURATION]]) * 60.0 / bpm
        logits, state = held.logits, held.state if held.state is not None else self.runtime.initial_state()
        self.band.tokens[held.index] = token
        for replay in self.band.tokens[held.index:]:
            logits, state = self.runtime.step(replay, state)
        self.band.logits, self.band.state = logits, state
        self.band.version += 1
        shadow = self.band.shadow
        if shadow is not None and shadow.start <= held.index < shadow.folded:  # it folded the old duration
            self.band.shadow = Shadow(shadow.start, shadow.start)
        self.band.plan = None
        self._advance(now)

    def _stop_time(self) -> float | None:
        """When the performer counts as stopped: phrase_gap_ms plus carry_on_beats after the last note
        ended (None while a key is held: a held key is not silence, unless its note-off was evidently lost)."""
        listening = self.listening
        if listening.last_activity is None or self.daemon_turn:
            return None
        now = listening.clock()
        if any(n.duration is None and now - n.onset < MAX_HOLD_S for n in listening.notes):
            return None
        settings = listening.settings
        return (listening.last_activity + settings.phrase_gap_ms / 1000.0
                + settings.carry_on_beats * 60.0 / listening.bpm(now))

    # --- drawing -------------------------------------------------------------------------------------
    def _advance(self, now: float) -> None:
        """Draw after the context: play the notes of the current chord at once, plan the first later one."""
        own = self.voicing.own_instruments(self.band.heard)
        for _ in range(len(own) + 1):  # each own voice at most once per chord, then a later note
            if self.band.logits is None or not own:
                return
            token = self._draw(own)
            if token[DT] != 0:
                time = self._planned_time(token, now)
                # Due when the performer's note is expected to have ended, it is most likely a guess at
                # the next chord: it waits wait_ms for the performer, whose note then leads the chord.
                play_at = time if time < self.band.performer_until - 0.001 else \
                    time + self.listening.settings.wait_ms / 1000.0
                self.band.plan = Plan(time, token, play_at)
                if self._recording is None:
                    self._announce_plan(self.band.plan, now)
                return
            self._sound(token, self.band.last_time if self.band.last_time is not None else now, now)

    def _announce_plan(self, plan: Plan, now: float) -> None:
        instrument = int(plan.token[INSTRUMENT])
        velocity, duration_ms = self.voicing.sounding(plan.token, now)
        self.output.planned(NotePlanned(plan.play_at, int(plan.token[PITCH]), velocity, duration_ms,
                                        self.voicing.channel_of(instrument), instrument))

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
        listening, logits = self.listening, self.band.logits
        settings = listening.settings
        rng, temperature, top_p = listening.rng, settings.temperature, settings.top_p
        band, free = self.band, [i for i in own if i not in self.band.chord]
        if not band.chord & band.heard and band.last_time is not None:  # a chord it began: it cuts no sounding note
            free = [i for i in free if i not in band.voices or band.voices[i].ends_at <= band.last_time + 1e-3]
        token = np.zeros(len(FEATURES), np.int64)
        later = None
        if not free:  # every voice has played in this chord: the next note starts later
            later = np.ones(len(self.codec.time), bool)
            later[0] = False
        token[DT] = sample_index(logits["dt"], rng, temperature, top_p, later)
        # a note of this chord moves from the chord before; a later one from this one
        start = band.last_time if band.last_time is not None else listening.clock()
        at = start + float(self.codec.time.decode([token[DT]])[0]) * 60.0 / listening.bpm(start)
        token[INSTRUMENT], token[PITCH] = self.voicing.draw_voice_and_pitch(
            logits, free if token[DT] == 0 else self.voicing.ended_by(own, band.voices, at), band.voices, rng,
            band.sounding, band.before_chord if token[DT] == 0 else band.sounding)
        token[DURATION] = sample_index(logits["duration"], rng, temperature, top_p)
        token[VELOCITY] = sample_index(logits["velocity"], rng, temperature, top_p)
        return token

    def _planned_time(self, token: np.ndarray, now: float) -> float:
        start = self.band.last_time if self.band.last_time is not None else now
        time = self.voicing.planned_time(start, float(self.codec.time.decode([token[DT]])[0]), now)
        voice = self.band.voices.get(int(token[INSTRUMENT]))  # not before the voice's own note has ended
        repeat = REPEAT_GAP_S if voice is not None and voice.pitch == token[PITCH] else 0.0  # (a breath first)
        return time if voice is None else max(time, voice.since + NO_FLAM_S, voice.ends_at + repeat)

    # --- playing -------------------------------------------------------------------------------------
    def _sound(self, token: np.ndarray, chord_time: float, now: float) -> None:
        """Send a drawn note now and fold it into the context at ``chord_time``."""
        instrument, pitch = int(token[INSTRUMENT]), int(token[PITCH])
        velocity, duration_ms = self.voicing.sounding(token, now)
        channel = self.voicing.channel_of(instrument)
        voice, start = self.band.voices.get(instrument), now
        if voice is not None and (voice.pitch, voice.channel) == (pitch, channel) \
                and voice.ends_at > now - REPEAT_GAP_S:  # its pitch again: never a note-off and on at once
            if voice.ends_at >= now + duration_ms / 1000.0 - REPEAT_GAP_S:
                self._fold(token, chord_time)  # it holds its note on, long enough
                return
            if voice.ends_at > now:
                self.output.end_note(pitch, channel)  # ends now, and strikes again a breath later
            start, voice = min(now, voice.ends_at) + REPEAT_GAP_S, None
            self.band.repeats.append(Repeat(start, pitch, velocity, duration_ms, channel, instrument))
        else:
            voice = voice if voice is not None and voice.ends_at > now else None  # still sounding
            self.output.start_note(pitch, velocity, duration_ms, channel, instrument)
        if voice is not None:
            self.output.end_note(voice.pitch, voice.channel)  # a voice sings one note at a time: after the
            # new note-on, which is what the ear waits for (and a mono synth glides instead of re-attacking)
        self.band.voices[instrument] = Voice(pitch, channel, start + duration_ms / 1000.0, start)
        if self._recording is None:
            self.listening.counters.notes_out += 1
        self._fold(token, chord_time)

    def _fold(self, token: np.ndarray, onset: float) -> None:
        """Step the model over one note of the band (its interval counted from the previous note)."""
        previous = self.band.tokens[-1] if self.band.tokens else None
        token[INTERVAL] = interval_token(int(token[PITCH]), None if previous is None else int(previous[PITCH]))
        if previous is None:
            token[DT] = 0
        self.band.join_chord(int(token[INSTRUMENT]), int(token[PITCH]), token[DT] != 0 or self.band.last_time is None)
        self.band.last_time = onset if token[DT] != 0 or self.band.last_time is None else self.band.last_time
        stepped = next(self._script[0], None) if self._script is not None else None
        if stepped is not None and np.array_equal(stepped[0], token):
            self.band.logits, self.band.state = stepped[1], stepped[2]
        else:
            self._script = None  # (as in _draw: a safeguard)
            if self._note_waiting is not None and self._note_waiting():
                raise Abandoned  # a rehearsal, and a note has come: it goes first
            band = self.band
            band.logits, band.state = self.runtime.step(token, band.state if band.state is not None
                                                        else self.runtime.initial_state())
        if self._recording is not None:
            self._recording.folds.append((token.copy(), self.band.logits, self.band.state))
        self.band.tokens.append(token)
        self.band.version += 1

    def tidy(self, busy=None) -> bool:
        """Bound the context (see :func:`.band.bound_context`); returns whether it was swapped."""
        return bound_context(self.band, self.runtime, self.config.sequence_length_i,
                             self.band.held is not None and self._extend_time() is None, busy)

    # --- rehearsing ----------------------------------------------------------------------------------
    def _rehearsal_basis(self) -> tuple:
        """What a rehearsal depends on besides the performer's note itself."""
        return (self.band.version, tuple(self.listening.settings.items()), self.listening.sounding_scale(),
                tuple(self.voicing.own_instruments(self.band.heard)), self.performer_style)

    def _rehearsal_for(self, token: np.ndarray) -> Rehearsal | None:
        if not self.rehearsed or self.rehearsal_basis != self._rehearsal_basis():
            return None
        return self.rehearsed.get(rehearsal_key(token))

    def rehearse(self, busy: NoteWaiting | None = None, note_waiting: NoteWaiting | None = None) -> int:
        """Rehearse the answers to the performer's likeliest next notes, one per call of ``busy`` (which
        returns True when a note waits, to stop there); call it while nothing is due. ``note_waiting``
        (cheap, no yield) is asked before every model step inside a rehearsal: when it says a note has
        come, that rehearsal is dropped on the spot, so the note waits one model step at most, not a
        whole chord's worth, and the rehearsal is done again at the next idle moment. Returns how many
        it rehearsed."""
        if self.band.logits is None or self.band.last_time is None or self._recording is not None:
            return 0
        basis = self._rehearsal_basis()
        if basis != self.rehearsal_basis:
            self.rehearsal_basis, self.rehearsed = basis, {}
            channel, _ = self.performer_style
            low, high = self.voicing.register(
                self.listening.instruments.instrument_of(channel, self.config.num_instruments))
            self.rehearsal_queue = likeliest_next_notes(self.band.logits, low, high)
        done = 0
        while self.rehearsal_queue:
            if busy is not None and busy():
                break
            pitch, dt = self.rehearsal_queue[0]
            try:
                key, rehearsal = self._rehearse(pitch, dt, note_waiting)
            except Abandoned:
                break  # left at the head of the queue
            self.rehearsal_queue.pop(0)
            if key is not None:
                self.rehearsed[key] = rehearsal
                done += 1
        return done

    def _rehearse(self, pitch: int, dt: int, note_waiting: NoteWaiting | None = None
                  ) -> tuple[tuple | None, Rehearsal]:
        """heard_note on a copy of the band, recording its folds and draws; nothing is sent.

        Raises:
            Abandoned: ``note_waiting`` said a note had come before one of its model steps; everything
                is as it was before the call.
        """
        rng = self.listening.rng
        band, output, rng_state = self.band, self.output, rng.bit_generator.state
        assert band.last_time is not None  # (rehearse() rehearses only after a chord)
        recording = self._recording = Rehearsal()
        self._note_waiting = note_waiting
        self.band, self.output = band.copy(), SILENT
        try:
            channel, velocity = self.performer_style
            now = band.last_time + float(self.codec.time.centres[dt]) * 60.0 / self.listening.bpm(band.last_time)
            if band.struck_after(now - NO_FLAM_S):
                return None, recording  # not used when it comes (see heard_note)
            self.heard_note(pitch, velocity, channel, now)
            recording.rng_state = rng.bit_generator.state
        finally:
            self.band, self.output, rng.bit_generator.state = band, output, rng_state
            self._recording = self._note_waiting = None
        if not recording.folds:
            return None, recording
        return rehearsal_key(recording.folds[0][0]), recording
