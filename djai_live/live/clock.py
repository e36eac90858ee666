"""The host's musical time: tempo and beat position from MIDI clock, OSC, Ableton Link, or nothing.

Every clock answers one question, thread-safely: at monotonic time ``now``, which beat is it and at what
tempo? (``None`` while it does not know: no clock yet, or the transport is stopped.) Beats count from the
host's song position 0, so bar lines fall at multiples of ``beats_per_bar``.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

import numpy as np

log = logging.getLogger(__name__)

CLOCK_SOURCES = ("free", "midi", "osc", "link")
TICKS_PER_BEAT = 24        # MIDI clock
FIT_TICKS = 96             # 4 beats of ticks in the tempo fit (a tempo change restarts it): +-2 ms jitter averages out
JUMP_FRACTION = 0.25       # a tick this far (in tick periods) off the fit means the tempo changed: refit from it
JUMP_CHECK_TICKS = 12      # only a fit of this many ticks is trusted to call a jump (a short one is too noisy)
JUMP_TICKS = 3             # that many ticks in a row off the fit on the same side: the tempo changed
LOST_TOLERANCE = 0.2       # a tick a whole number of periods late (within this) after lost ticks


@dataclass(frozen=True)
class Position:
    beat: float        # beats since song position 0 at the time asked about
    bpm: float

    def time_of(self, beat: float, now: float) -> float:
        """The monotonic time of ``beat``, assuming the tempo holds."""
        return now + (beat - self.beat) * 60.0 / self.bpm


class FreeClock:
    """No host clock: the daemon keeps its own time (its ``tempo_bpm`` setting), with no grid."""

    source = "free"

    def position(self, now: float) -> Position | None:
        return None

    def describe(self) -> dict:
        return {"clock": self.source}

    def close(self) -> None:
        pass


class MidiClock:
    """Tempo and phase from MIDI clock (0xF8, 24 per beat), Start, Stop, Continue and Song Position.

    Tempo and phase come from a robust least-squares line through the arrival times of the last
    FIT_TICKS ticks, so USB-style jitter of a few milliseconds averages out. A tick a whole number of
    periods late means ticks were lost (a busy driver drops some) and is counted in its place; ticks off
    the line on the same side several times in a row mean the tempo changed, and the fit restarts from
    them.
    """

    source = "midi"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.running = False
        self._next_tick = 0                      # song position in ticks of the next clock message
        self._ticks: deque[tuple[int, float]] = deque(maxlen=FIT_TICKS)
        self._fit: tuple[float, float] | None = None   # (intercept s, seconds per tick)
        self._off_fit: list[float] = []                 # signed residuals of the latest ticks off the fit
        self._pending: tuple[int, float, int] | None = None   # a tick that may follow lost ones

    def feed(self, kind: str, when: float, value: int | None = None) -> None:
        """One MIDI real-time message: ``clock``, ``start``, ``continue``, ``stop`` or ``songpos``
        (``value`` in sixteenth notes, as the Song Position Pointer carries it)."""
        with self._lock:
            if kind == "clock":
                self._tick(when)
            elif kind == "start":
                self.running, self._next_tick, self._pending = True, 0, None
                self._ticks.clear()
            elif kind == "continue":
                self.running, self._pending = True, None
                self._ticks.clear()
            elif kind == "stop":
                self.running = False
            elif kind == "songpos" and value is not None:
                self._next_tick, self._pending = int(value) * TICKS_PER_BEAT // 4, None
                self._ticks.clear()

    def _tick(self, when: float) -> None:
        index = self._next_tick
        trusted = self._fit is not None and len(self._ticks) >= JUMP_CHECK_TICKS
        if self._pending is not None:
            pending_index, pending_when, lost = self._pending
            self._pending = None
            if trusted and abs(self._residual(when, pending_index + lost + 1)) < LOST_TOLERANCE:
                self._place(pending_index + lost, pending_when)  # the next tick confirms: ticks were lost
                index = pending_index + lost + 1
            else:
                self._place(pending_index, pending_when)         # it was the tempo moving, not a loss
                index = pending_index + 1
        elif trusted and not self._off_fit:
            residual = self._residual(when, index)
            whole = round(residual)
            if 1 <= whole <= 4 and abs(residual - whole) < LOST_TOLERANCE:
                self._pending = (index, when, whole)  # a gap of whole periods: wait for the next tick to tell
                return
        self._place(index, when)

    def _residual(self, when: float, index: int) -> float:
        intercept, period = self._fit
        return (when - (intercept + period * index)) / period

    def _place(self, index: int, when: float) -> None:
        if self._fit is not None and len(self._ticks) >= JUMP_CHECK_TICKS:
            residual = self._residual(when, index)
            if abs(residual) > JUMP_FRACTION:
                self._off_fit.append(residual)
                if len(self._off_fit) >= JUMP_TICKS and len({r > 0 for r in self._off_fit}) == 1:
                    tail = self._off_fit[-2:]  # (an earlier straggler may precede the loss)
                    lag = round(float(np.mean(tail)))
                    if lag != 0 and max(abs(r - lag) for r in tail) < LOST_TOLERANCE:
                        # a constant offset of whole periods: ticks were lost (late), or ticks delayed by a
                        # stall were taken for lost ones (early); either way the tempo did not change
                        placed = [self._ticks.pop() for _ in range(len(tail) - 1)][::-1]
                        self._ticks.extend((i + lag, t) for i, t in placed)
                        index += lag
                    else:
                        # the tempo moved: keep only the ticks since the change (and the one before it)
                        recent = list(self._ticks)[-JUMP_TICKS:]
                        self._ticks.clear()
                        self._ticks.extend(recent)
                    self._off_fit.clear()
            else:
                self._off_fit.clear()
        self._next_tick = index + 1
        self._ticks.append((index, when))
        if len(self._ticks) >= 3:
            self._fit = robust_line(np.array(self._ticks, dtype=np.float64)) or self._fit

    def position(self, now: float) -> Position | None:
        with self._lock:
            if not self.running or self._fit is None or len(self._ticks) < 3:
                return None
            intercept, period = self._fit
        return Position(beat=(now - intercept) / period / TICKS_PER_BEAT, bpm=60.0 / (period * TICKS_PER_BEAT))

    def describe(self) -> dict:
        return {"clock": self.source, "running": int(self.running)}

    def close(self) -> None:
        pass


def robust_line(ticks: np.ndarray) -> tuple[float, float] | None:
    """(intercept, seconds per tick) of tick index -> time: least squares, then again without ticks more
    than three median deviations off (a late delivery), so one straggler does not tilt the tempo."""
    index, times = ticks[:, 0] - ticks[0, 0], ticks[:, 1]
    period, intercept = np.polyfit(index, times, 1)
    residuals = np.abs(times - (intercept + period * index))
    keep = residuals <= max(3.0 * float(np.median(residuals)), 1e-4)
    if 3 <= keep.sum() < len(keep):
        period, intercept = np.polyfit(index[keep], times[keep], 1)
    if period <= 0:
        return None
    return float(intercept - period * ticks[0, 0]), float(period)


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


def make_clock(source: str, beats_per_bar: Callable[[], int] = lambda: 4, bpm: float = 120.0):
    """The clock for ``source`` (one of CLOCK_SOURCES).

    Raises:
        ClockError: an unknown source, or Link without its package.
    """
    if source == "free":
        return FreeClock()
    if source == "midi":
        return MidiClock()
    if source == "osc":
        return OscClock(beats_per_bar)
    if source == "link":
        return LinkClock(bpm, beats_per_bar)
    raise ClockError(f"unknown clock {source!r}; choose one of {', '.join(CLOCK_SOURCES)}")
