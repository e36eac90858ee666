"""The host's musical time: tempo and beat position from MIDI clock, OSC, Ableton Link, or nothing.

MIDI clock's tick counting is :mod:`.midi_clock`'s. Every clock answers one question, thread-safely: at
monotonic time ``now``, which beat is it and at what tempo? (``None`` while it does not know: no clock
yet, or the transport is stopped.) Beats count from the host's song position 0, so bar lines fall at
multiples of ``beats_per_bar``.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Protocol
from collections.abc import Callable

log = logging.getLogger(__name__)

CLOCK_SOURCES = ("free", "midi", "osc", "link")


@dataclass(frozen=True)
class Position:
    beat: float        # beats since song position 0 at the time asked about
    bpm: float

    def time_of(self, beat: float, now: float) -> float:
        """The monotonic time of ``beat``, assuming the tempo holds."""
        return now + (beat - self.beat) * 60.0 / self.bpm


@dataclass(frozen=True)
class Placement:
    """How a phrase was laid out in time: the host was at ``beat`` at monotonic ``time``, at ``bpm``."""
    time: float
    beat: float
    bpm: float

    def beat_at(self, when: float) -> float:
        return self.beat + (when - self.time) * self.bpm / 60.0

    def follow(self, position: Position, now: float) -> tuple[Callable[[float], float], Placement]:
        """When the host's tempo or beat moved to ``position``: the map from each planned time to the time
        the host now reaches the same beat, and the placement that holds from then on."""
        def remap(when: float) -> float:
            return position.time_of(self.beat_at(when), now)

        return remap, Placement(now, position.beat, position.bpm)


class FreeClock:
    """No host clock: the daemon keeps its own time (its ``tempo_bpm`` setting), with no grid."""

    source = "free"

    def position(self, now: float) -> Position | None:
        return None

    def describe(self) -> dict:
        return {"clock": self.source}

    def close(self) -> None:
        pass


class OscClock:
    """Tempo and phase sent by the host: ``/djai/tempo bpm`` and ``/djai/beat bar beat`` (1-based, as
    Max's ``transport`` reports them; ``beat`` may have a fraction). Without ``/djai/tempo`` the tempo is
    taken from the spacing of successive ``/djai/beat`` messages."""

    source = "osc"

    def __init__(self, beats_per_bar: Callable[[], int] = lambda: 4) -> None:
        self._lock = threading.Lock()
        self.beats_per_bar = beats_per_bar
        self._bpm: float | None = None
        self._bpm_from_host = False
        self._anchor: tuple[float, float] | None = None    # (time, beat)

    def set_tempo(self, bpm: float, when: float) -> None:
        with self._lock:
            if self._anchor is not None and self._bpm:
                self._anchor = (when, self._anchor[1] + (when - self._anchor[0]) * self._bpm / 60.0)
            self._bpm, self._bpm_from_host = float(bpm), True

    def set_beat(self, bar: float, beat: float, when: float) -> None:
        position = (bar - 1) * self.beats_per_bar() + (beat - 1)
        with self._lock:
            if not self._bpm_from_host and self._anchor is not None:
                elapsed, beats = when - self._anchor[0], position - self._anchor[1]
                if elapsed > 0.05 and 0 < beats <= 4:
                    self._bpm = 60.0 * beats / elapsed
            self._anchor = (when, position)

    def position(self, now: float) -> Position | None:
        with self._lock:
            if self._anchor is None or not self._bpm:
                return None
            at, beat = self._anchor
            bpm = self._bpm
        return Position(beat=beat + (now - at) * bpm / 60.0, bpm=bpm)

    def describe(self) -> dict:
        return {"clock": self.source}

    def close(self) -> None:
        pass


class LinkClock:
    """Joins an Ableton Link session (LinkPython-extern) and follows its tempo and beat phase.

    Link's clock is converted to ``time.monotonic`` by reading both back to back at each question, so no
    drift between the two accumulates.
    """

    source = "link"

    def __init__(self, bpm: float = 120.0, beats_per_bar: Callable[[], int] = lambda: 4) -> None:
        try:
            import link
        except ImportError:
            raise ClockError("--clock link needs the LinkPython-extern package (pip install "
                             "LinkPython-extern)") from None
        self.beats_per_bar = beats_per_bar
        self.session = link.Link(float(bpm))
        self.session.enabled = True

    def _link_micros(self, now: float) -> int:
        link_now = self.session.clock().micros()
        return int(link_now + (now - time.monotonic()) * 1e6)

    def position(self, now: float) -> Position | None:
        state = self.session.captureSessionState()
        return Position(beat=state.beatAtTime(self._link_micros(now), float(self.beats_per_bar())),
                        bpm=float(state.tempo()))

    @property
    def peers(self) -> int:
        return int(self.session.numPeers())

    def describe(self) -> dict:
        return {"clock": self.source, "link_peers": self.peers}

    def close(self) -> None:
        self.session.enabled = False


class HostClock(Protocol):
    """What every clock offers (make_clock returns one)."""
    source: str

    def position(self, now: float) -> Position | None: ...
    def describe(self) -> dict: ...
    def close(self) -> None: ...


class ClockError(RuntimeError):
    """A clock source that cannot run here, in words."""


def available_sources() -> list[str]:
    sources = ["free", "osc", "midi"]
    try:
        import link  # noqa: F401

        sources.append("link")
    except ImportError:
        pass
    return sources


def make_clock(source: str, beats_per_bar: Callable[[], int] = lambda: 4, bpm: float = 120.0) -> HostClock:
    """The clock for ``source`` (one of CLOCK_SOURCES).

    Raises:
        ClockError: an unknown source, or Link without its package.
    """
    if source == "free":
        return FreeClock()
    if source == "midi":
        from .midi_clock import MidiClock  # (it imports Position from here)
        return MidiClock()
    if source == "osc":
        return OscClock(beats_per_bar)
    if source == "link":
        return LinkClock(bpm, beats_per_bar)
    raise ClockError(f"unknown clock {source!r}; choose one of {', '.join(CLOCK_SOURCES)}")
