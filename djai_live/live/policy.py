"""Policies: how the daemon plays over the listening state, behind one small interface.

A policy hears the performer's notes (after the :class:`~.listening.ListeningState` took them), says when
it next has something to do (:meth:`Policy.next_deadline`), does it (:meth:`Policy.due`), works ahead while
nothing is due (:meth:`Policy.idle`), and can rest (end its notes) or reset (forget its context). It plays
through an :class:`Output` (the daemon's :class:`~.playback.Playback`; a recorder in tests and benches) and
knows nothing of sockets or ports. The daemon holds one policy and never asks which one it is.

The modes map to policies in :data:`POLICIES`, the one place a mode's name is read: a third policy is a class
here and a line in that table.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol
from collections.abc import Callable

from .events import NotePlanned, Phrase

if TYPE_CHECKING:  # (the settings read POLICIES for the modes they accept: no import back at run time)
    from ..config import DjaiConfig
    from ..generation import Generator
    from .listening import ListeningState

PREPARE_CLEARANCE_S = 0.008  # heavy idle work (a whole answer, a model swap) only when no note is due sooner


class PolicyError(ValueError):
    """A mode the model cannot play (accompaniment with a model of one instrument), or a request the
    policy playing cannot answer; the message says which and what to do."""


class Output(Protocol):
    """Where a policy's notes go. Thread-safe; every call returns at once."""

    def play(self, phrase: Phrase) -> None:
        """Schedule a whole phrase at its onsets; it replaces what is pending."""

    def cancel(self) -> int:
        """Drop what is pending and end every sounding note; returns how many were ended."""

    def start_note(self, pitch: int, velocity: int, duration_ms: float, channel: int, voice: int) -> None:
        """A note-on now and its note-off after ``duration_ms``; nothing pending is replaced."""

    def end_note(self, pitch: int, channel: int) -> None:
        """End one sounding note now."""

    def planned(self, note: NotePlanned) -> None:
        """A note drawn ahead, for whoever watches (nothing is sent)."""

    def next_due(self) -> float | None:
        """When the next scheduled note-on or note-off is due (engine clock), or None."""


class SilentOutput:
    """An output that sends nothing (a rehearsal's)."""

    def play(self, phrase: Phrase) -> None:
        pass

    def cancel(self) -> int:
        return 0

    def start_note(self, pitch: int, velocity: int, duration_ms: float, channel: int, voice: int) -> None:
        pass

    def end_note(self, pitch: int, channel: int) -> None:
        pass

    def planned(self, note: NotePlanned) -> None:
        pass

    def next_due(self) -> float | None:
        return None


SILENT = SilentOutput()
NoteWaiting = Callable[[], bool]  # whether a note (or any command) waits to be handled: asked between steps


class Policy:
    """The interface, with what most policies share. Thread-confined like the listening state."""

    folds_notes = True  # whether the listening state folds finished notes into its model state for it
    daemon_turn = False  # the hand-over pedal is down: the performer's notes are heard, not waited for

    def __init__(self, listening: ListeningState, output: Output, prepare_answers: bool = True) -> None:
        self.listening = listening
        self.output = output
        self.prepare_answers = prepare_answers  # whether idle() works ahead (--prepare-answers)
        listening.folds_notes = self.folds_notes

    @classmethod
    def check_model(cls, config: DjaiConfig) -> None:
        """Raise PolicyError when a model of this config cannot play this policy."""

    def configure(self, **options: object) -> None:
        """The options of the mode it plays (see POLICIES), given whenever the mode changes."""

    # --- what the performer does ---------------------------------------------------------------------
    def heard_note_on(self, pitch: int, velocity: int, channel: int, arrival: float) -> None:
        raise NotImplementedError

    def heard_note_off(self, pitch: int, channel: int, arrival: float) -> None:
        self.listening.note_off(pitch, channel)

    def generate(self, count: int | None) -> None:
        """Answer now (/djai/generate). Raises PolicyError when there is nothing to answer."""
        raise PolicyError("this mode plays along and answers no requests; "
                          "/djai/generate answers in phrase, every or manual mode")

    def take_turn(self, held: bool) -> None:
        """The hand-over pedal: held, the daemon's turn; released, the performer's. Raises PolicyError
        when there is nothing to play from yet."""
        self.daemon_turn = held

    # --- time ----------------------------------------------------------------------------------------
    def next_deadline(self) -> float | None:
        """When :meth:`due` has something to do (engine clock), or None."""
        return None

    def due(self, now: float) -> None:
        """Do what is due at ``now`` (called when no command waits)."""

    def idle(self, note_waiting: NoteWaiting) -> None:
        """Work ahead while nothing is due; stop as soon as ``note_waiting()`` says a note has come."""

    def clearance_s(self) -> float:
        """How far off the next scheduled note must be for heavy work now (idle work, a model swap)."""
        return PREPARE_CLEARANCE_S

    # --- the rest ------------------------------------------------------------------------------------
    def rest(self) -> int:
        """End every note this policy started and drop what it planned; returns the notes ended."""
        return self.output.cancel()

    def reset(self) -> None:
        """Forget the policy's own context (the listening state resets itself)."""

    def use_generator(self, generator: Generator) -> None:
        """A new model, between answers: the notes heard stay."""
        self.listening.use_generator(generator)


def _call_and_response() -> type[Policy]:
    from .call_response import CallAndResponse
    return CallAndResponse


def _accompaniment() -> type[Policy]:
    from .accompany import Accompaniment
    return Accompaniment


# mode -> (the policy that plays it, the options it plays that mode with). The policies are imported when
# first asked for: they import this module.
POLICIES: dict[str, tuple[Callable[[], type[Policy]], dict]] = {
    "phrase": (_call_and_response, {"answer_after": "silence"}),   # phrase_gap_ms of the performer's silence
    "every": (_call_and_response, {"answer_after": "notes"}),      # every_n notes
    "manual": (_call_and_response, {"answer_after": "request"}),   # /djai/generate only
    "accompany": (_accompaniment, {}),
}


DEFAULT_MODE = "phrase"


def policy_class(mode: str) -> type[Policy]:
    if mode not in POLICIES:
        raise PolicyError(f"no policy plays mode {mode!r}; modes: {', '.join(POLICIES)}")
    return POLICIES[mode][0]()


def check_mode(mode: str, config: DjaiConfig) -> None:
    """Raise PolicyError when a model of ``config`` cannot play ``mode``."""
    policy_class(mode).check_model(config)


def policy_for(mode: str, listening: ListeningState, output: Output, current: Policy | None = None,
               prepare_answers: bool = True) -> Policy:
    """The policy for ``mode``: ``current`` itself when it plays that mode too, else a new one (``current``
    first rests and forgets its context: its notes end, and the new one starts from silence)."""
    cls = policy_class(mode)
    cls.check_model(listening.config)
    if current is not None and type(current) is cls:
        current.configure(**POLICIES[mode][1])
        return current
    if current is not None:
        current.rest()
        current.reset()
    policy = cls(listening, output, prepare_answers)
    policy.configure(**POLICIES[mode][1])
    return policy
