"""The live policies without a daemon: a clock the test moves, an output that records what a policy plays,
and call and response over a listening state with the phrases it plays handed back."""
from __future__ import annotations

from djai_live.generation import Generator
from djai_live.live.events import NotePlanned, Phrase
from djai_live.live.listening import ListeningState
from djai_live.live.policy import policy_for
from djai_live.live.settings import LiveSettings


def play(performer, clock, pitches, step=0.25, hold=0.2) -> None:
    """Each pitch held ``hold`` seconds, one every ``step``, into anything with note_on and note_off."""
    for pitch in pitches:
        performer.note_on(pitch, 90, 1)
        clock.now += hold
        performer.note_off(pitch, 1)
        clock.now += step - hold


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class RecordingOutput:
    """A policy's Output that keeps what it was asked to play, stamped with the clock's time."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.phrases: list[Phrase] = []
        self.started: list[tuple[float, int, int, float, int]] = []   # (time, pitch, velocity, duration_ms, channel)
        self.voices: list[int] = []                                     # the voice of each note started
        self.ended: list[tuple[int, int]] = []
        self.planned_notes: list[NotePlanned] = []
        self.sounding: set[tuple[int, int]] = set()
        self.cancels = 0
        self.transport_stopped = False  # as Playback's: set by the host's MIDI Stop

    def play(self, phrase: Phrase) -> None:
        self.phrases.append(phrase)

    def cancel(self) -> int:
        self.cancels += 1
        ended, self.sounding = len(self.sounding), set()
        return ended

    def start_note(self, pitch: int, velocity: int, duration_ms: float, channel: int, voice: int) -> None:
        self.started.append((self.clock(), pitch, velocity, duration_ms, channel))
        self.voices.append(voice)
        self.sounding.add((pitch, channel))

    def end_note(self, pitch: int, channel: int) -> None:
        self.ended.append((pitch, channel))
        self.sounding.discard((pitch, channel))

    def planned(self, note: NotePlanned) -> None:
        self.planned_notes.append(note)

    def next_due(self) -> float | None:
        return None

    def panic(self) -> int:
        return self.cancel()


class CallAndResponseRig:
    """Call and response (as the settings' mode plays it) over its own listening state, played into a
    RecordingOutput. ``note_on`` returns
    the phrase it answered with at once (mode every), ``due`` and ``generate`` the answer without playing it;
    any other attribute is the listening state's."""

    def __init__(self, generator: Generator, settings: LiveSettings | None = None, clock=None,
                 seed: int | None = None) -> None:
        clock = clock or FakeClock()
        listening = ListeningState(generator, settings, clock=clock, seed=seed)
        output = RecordingOutput(clock)
        object.__setattr__(self, "listening", listening)
        object.__setattr__(self, "output", output)
        object.__setattr__(self, "policy", policy_for(listening.settings.mode, listening, output))

    def __getattr__(self, name: str):
        return getattr(self.listening, name)

    def __setattr__(self, name: str, value) -> None:
        setattr(self.listening, name, value)

    def note_on(self, pitch: int, velocity: int, channel: int = 1) -> Phrase | None:
        played = len(self.output.phrases)
        self.policy.heard_note_on(pitch, velocity, channel, self.listening.clock())
        return self.output.phrases[-1] if len(self.output.phrases) > played else None

    def note_off(self, pitch: int, channel: int = 1) -> None:
        self.policy.heard_note_off(pitch, channel, self.listening.clock())

    def due(self) -> Phrase | None:
        return self.policy.answer_due()

    def generate(self, count: int | None = None, now: float | None = None) -> Phrase | None:
        return self.policy.answer(count, now)

    def prepare(self) -> bool:
        return self.policy.prepare()

    def use_generator(self, generator: Generator) -> None:
        self.policy.use_generator(generator)
