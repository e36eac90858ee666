"""Call and response: the daemon listens, and answers with a phrase drawn whole from the model.

When it answers (``answer_after``, set by the mode: see :data:`.policy.POLICIES`): after phrase_gap_ms of
the performer's silence, after every every_n notes, or only when asked (/djai/generate). An answer
continues the listening state's model state (held keys enter with their duration so far) and is drawn
ahead while the performer is between notes
(:meth:`CallAndResponse.prepare`), so that the answer is ready when it is due.

With a host clock (:mod:`.clock`), tempo comes from the host, answers start on the next beat or bar and
their notes snap to a grid (:mod:`.grid`); an answer that would start late moves to the next grid point.
"""
from __future__ import annotations

import itertools
import logging
import time

import numpy as np

from ..sampling import SamplingSettings
from .events import AnswerNote, Phrase, merge_unisons
from .grid import grid_step, snap, start_beat
from .listening import MAX_HOLD_S, ListeningState
from .policy import PREPARE_CLEARANCE_S, NoteWaiting, Output, Policy, PolicyError

events = logging.getLogger("djai_live.events")  # each phrase: shown with -v
SEND_LEAD_S = 0.003  # a quantized answer starts at least this long after it is ready: time to send it


ANSWER_AFTER = ("silence", "notes", "request")


class CallAndResponse(Policy):
    """The call-and-response policy."""

    def __init__(self, listening: ListeningState, output: Output, prepare_answers: bool = True) -> None:
        super().__init__(listening, output, prepare_answers)
        self._prepared: tuple | None = None  # (key, generated notes, rng state after drawing them): see prepare()
        self._last_prepare_s = 0.0   # how long the last preparation held the engine thread
        self._prepare_deferred = False
        self.answer_after = "silence"

    def configure(self, answer_after: str = "silence", **options: object) -> None:  # type: ignore[override]
        if answer_after not in ANSWER_AFTER:
            raise ValueError(f"answer_after must be one of {', '.join(ANSWER_AFTER)}, got {answer_after!r}")
        self.answer_after = answer_after

    # --- the policy interface ------------------------------------------------------------------------
    def heard_note_on(self, pitch: int, velocity: int, channel: int, arrival: float) -> None:
        listening = self.listening
        if listening.settings.interrupt and listening.settings.channel_in in (0, channel) and not self.daemon_turn:
            self.output.cancel()
        if listening.note_on(pitch, velocity, channel) and self.answer_after == "notes" and not self.daemon_turn \
                and listening.note_ons_since_answer >= listening.settings.every_n:
            self._play(self.answer())

    def generate(self, count: int | None) -> None:
        phrase = self.answer(count)
        if phrase is None:
            raise PolicyError("nothing to answer yet; play or send some notes first")
        self._play(phrase)

    def take_turn(self, held: bool) -> None:
        """Held: answer at once (the answer made ahead, when it is for this buffer), and the performer's
        notes neither interrupt it nor start another; released: the performer's turn, as before."""
        if held and not self.daemon_turn:
            phrase = self.answer()
            if phrase is None:
                raise PolicyError("nothing to answer yet; play or send some notes first")
            self._play(phrase)
        super().take_turn(held)

    def next_deadline(self) -> float | None:
        deadline = self.answer_deadline()
        if self._prepare_deferred:
            retry = self.listening.clock() + self.clearance_s()
            deadline = retry if deadline is None else min(deadline, retry)
        return deadline

    def due(self, now: float) -> None:
        phrase = self.answer_due(now)
        if phrase is not None:
            self._play(phrase)

    def idle(self, note_waiting: NoteWaiting) -> None:
        """Prepare the answer to the current buffer, unless a note is about to leave (then after it)."""
        self._prepare_deferred = False
        if not self.prepare_answers or note_waiting():
            return
        due = self.output.next_due()
        if due is not None and due - self.listening.clock() <= self.clearance_s():
            self._prepare_deferred = True  # preparing holds the interpreter: the note goes first
            return
        started = time.perf_counter()
        if self.prepare():
            self._last_prepare_s = time.perf_counter() - started

    def clearance_s(self) -> float:
        """Preparing holds the interpreter, so a larger model (or transposition averaging) needs a wider
        berth: twice the last preparation, at least PREPARE_CLEARANCE_S."""
        return max(PREPARE_CLEARANCE_S, 2.0 * self._last_prepare_s)

    def reset(self) -> None:
        self._prepared = None

    def use_generator(self, generator) -> None:
        super().use_generator(generator)
        self._prepared = None  # drawn by the old model
        self._last_prepare_s = 0.0

    def _play(self, phrase: Phrase | None) -> None:
        if phrase is None or not phrase.notes:
            return
        self.output.play(phrase)
        events.info("phrase %d: %d notes (%s), generated in %.2f ms", phrase.phrase_id, len(phrase.notes),
                    " ".join(str(int(note.pitch)) for note in phrase.notes),
                    self.listening.counters.generate_ms_last)

    # --- answering -----------------------------------------------------------------------------------
    def answer_deadline(self) -> float | None:
        """When the phrase mode will answer if nothing else happens (engine clock), or None."""
        listening = self.listening
        if self.answer_after != "silence" or listening.answered_since_activity or listening.last_activity is None \
                or self.daemon_turn:
            return None
        now = listening.clock()
        if any(n.duration is None and now - n.onset < MAX_HOLD_S for n in listening.notes):
            return None  # a key still down is not silence (unless its note-off was evidently lost)
        return listening.last_activity + listening.settings.phrase_gap_ms / 1000.0

    def answer_due(self, now: float | None = None) -> Phrase | None:
        """The phrase-mode answer, once the performer has been silent for phrase_gap_ms."""
        deadline = self.answer_deadline()
        now = self.listening.clock() if now is None else now
        if deadline is None or now < deadline:
            return None
        return self.answer(now=now)

    def answer(self, count: int | None = None, now: float | None = None) -> Phrase | None:
        """Answer now from the current buffer; None when no note has been heard yet. An answer made
        ahead by :meth:`prepare` for this very buffer and these settings is used as is."""
        started = time.perf_counter()
        listening, counters = self.listening, self.listening.counters
        now = listening.clock() if now is None else now
        listening.answered_since_activity = True
        listening.note_ons_since_answer = 0
        if not listening.notes:
            return None
        count = listening.settings.length if count is None else count
        key = self._answer_key(count, now)
        if self._prepared is not None and self._prepared[0] == key:
            _, generated, rng_state = self._prepared
            listening.rng.bit_generator.state = rng_state  # as if drawn now: seeded sessions stay reproducible
            counters.prepared_used += 1
        else:
            generated = self._sample(count, now)
        self._prepared = None
        phrase = self._to_phrase(generated, now)
        counters.phrases_out += 1
        counters.notes_out += len(phrase.notes)
        counters.generate_ms_last = (time.perf_counter() - started) * 1000.0
        return phrase

    def prepare(self) -> bool:
        """Draw the answer to the current buffer ahead of time, while the performer is between notes, so
        that the request (or the phrase-mode deadline) finds it ready. Keys still held enter with their
        duration so far; the answer stays valid while those durations fall in the same time bins (the
        model sees nothing else of them). The random state is left as it was: the prepared answer is
        exactly what :meth:`answer` would draw now. Returns whether something was prepared."""
        listening = self.listening
        if not listening.notes or self.answer_after == "notes":
            return False  # answered the moment a note completes the count: nothing to prepare
        now = listening.clock()
        key = self._answer_key(listening.settings.length, now)
        if self._prepared is not None and self._prepared[0] == key:
            return False
        before = listening.rng.bit_generator.state
        generated = self._sample(listening.settings.length, now)
        self._prepared = (key, generated, listening.rng.bit_generator.state)
        listening.rng.bit_generator.state = before
        return True

    def _answer_key(self, count: int, now: float) -> tuple:
        """What an answer depends on: the buffer, the settings, and the time bins of held notes so far."""
        listening = self.listening
        encode = listening.generator.codec.time.encode
        held = tuple(int(encode([(now - note.onset) * listening.bpm(note.onset) / 60.0])[0])
                     for note in itertools.islice(listening.notes, listening.committed, None) if note.duration is None)
        return (listening.buffer_version, count, tuple(listening.settings.items()), held)

    def _sample(self, count: int, now: float) -> np.ndarray:
        """The notes of an answer to the current buffer (held notes with provisional durations)."""
        listening = self.listening
        runtime = listening.generator.runtime
        if listening.stale:
            listening.refold()
        logits, state = listening.logits, listening.state
        previous = listening.notes[listening.committed - 1] if listening.committed else None
        for note in list(listening.notes)[listening.committed:]:  # held notes: provisional durations
            duration = note.duration if note.duration is not None else now - note.onset
            token = listening.token(note, previous if state is not None else None, duration)
            logits, state = runtime.step(token, state if state is not None else runtime.initial_state())
            previous = note
        settings = listening.settings
        if settings.key == "auto":
            listening.estimate_key()
        sampling = SamplingSettings(settings.temperature, settings.top_p, settings.pitch_min, settings.pitch_max,
                                    listening.sounding_scale(), settings.max_leap)
        return listening.generator.continue_from_state(logits, state, count, listening.rng, sampling,
                                                       previous.pitch if previous is not None else None,
                                                       between_steps=listening.between_steps)

    def _to_phrase(self, generated: np.ndarray, now: float) -> Phrase:
        settings = self.listening.settings
        velocities = [int(min(127, max(1, round(int(v) * settings.velocity_scale)))) for v in generated["velocity"]]
        first = float(generated["onset"][0]) if len(generated) else 0.0
        onsets, durations = generated["onset"] - first, generated["duration"]
        ready = self.listening.clock()
        position = self.listening.host_position(ready + SEND_LEAD_S)
        if position is None:  # free time: the phrase starts as soon as it is played
            ms_per_beat = 60_000.0 / settings.tempo_bpm
            times = [(float(o) * ms_per_beat, max(float(d) * ms_per_beat, 10.0)) for o, d in zip(onsets, durations)]
            return self._phrase(generated, velocities, times, now, anchor=None, first_beat=None, bpm=None)
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
        listening = self.listening
        several = listening.config.num_instruments > 1
        channel_out = listening.settings.channel_out
        notes = tuple(AnswerNote(onset_ms=onset_ms, pitch=int(n["pitch"]), velocity=velocity, duration_ms=duration_ms,
                                 channel=listening.instruments.channel_of(int(n["instrument"]), channel_out)
                                 if several else channel_out, voice=int(n["instrument"]))
                      for n, velocity, (onset_ms, duration_ms) in zip(generated, velocities, times))
        phrase = Phrase(listening.next_phrase_id, merge_unisons(notes), now, anchor, first_beat, bpm)
        listening.next_phrase_id += 1
        return phrase
