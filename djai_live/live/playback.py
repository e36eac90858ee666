"""The policies' output, live: notes to the scheduler, what is drawn to the event stream, and a phrase
placed on the host's beats kept on them when the host's tempo or beat moves under it."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from .clock import Placement, Position
from .events import Event, NotePlanned, Phrase, PhraseDrawn
from .scheduler import Scheduler

log = logging.getLogger(__name__)

TEMPO_FOLLOW_FRACTION = 0.005   # a host tempo this far from the one a playing phrase was placed at moves its notes
PHASE_FOLLOW_S = 0.002          # ... and so does a host beat this far from where it was placed (a recounted clock)
TEMPO_FOLLOW_INTERVAL_S = 0.01  # how often the tempo is looked at while such a phrase plays


class Playback:
    """An :class:`~.policy.Output` over the scheduler. ``host_position(now)`` is the listening state's."""

    def __init__(self, scheduler: Scheduler, publish: Callable[[Event], None],
                 host_position: Callable[[float], Position | None], clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.scheduler = scheduler
        self.publish = publish
        self.host_position = host_position
        self.clock = clock
        self.placement: Placement | None = None  # how the phrase now playing sits on the host's beats
        self.transport_stopped = False  # the host's MIDI Stop: nothing new sounds until Start or Continue

    def play(self, phrase: Phrase) -> None:
        if self.transport_stopped:
            return
        self.publish(PhraseDrawn(phrase))
        self.scheduler.play(phrase, start=phrase.anchor)
        self.placement = phrase.placement()

    def cancel(self) -> int:
        return self.scheduler.cancel()

    def start_note(self, pitch: int, velocity: int, duration_ms: float, channel: int, voice: int) -> None:
        if self.transport_stopped:
            return
        self.scheduler.start_note(pitch, velocity, duration_ms, channel, voice)

    def end_note(self, pitch: int, channel: int) -> None:
        self.scheduler.end_note(pitch, channel)

    def planned(self, note: NotePlanned) -> None:
        self.publish(note)

    def next_due(self) -> float | None:
        return self.scheduler.next_due()

    def panic(self) -> int:
        """Everything pending dropped, every note ever sent ended, all notes off; returns the notes ended."""
        return self.scheduler.panic()

    def next_look(self) -> float | None:
        """When :meth:`follow_host` should look at the host again (None: no placed phrase is playing)."""
        return None if self.placement is None else self.clock() + TEMPO_FOLLOW_INTERVAL_S

    def follow_host(self) -> None:
        """Keep the notes still to play of a phrase placed on the host's beats on those beats when the
        host's tempo changes under it (a tempo ramp, a new tempo), instead of finishing at the old one, or
        when the host's beat moves (a MIDI clock recounted after lost ticks)."""
        placement = self.placement
        if placement is None:
            return
        if self.scheduler.pending == 0:
            self.placement = None
            return
        now = self.clock()
        position = self.host_position(now)
        if position is None:
            return
        drift_s = abs(placement.beat_at(now) - position.beat) * 60.0 / position.bpm
        if abs(position.bpm / placement.bpm - 1.0) <= TEMPO_FOLLOW_FRACTION and drift_s <= PHASE_FOLLOW_S:
            return
        remap, self.placement = placement.follow(position, now)
        moved = self.scheduler.retime(remap)
        log.debug("host at %.2f BPM (placed at %.2f), %.1f ms off: %d pending events retimed", position.bpm,
                  placement.bpm, drift_s * 1000.0, moved)
