"""The host's musical time: tempo and beat position from MIDI clock, OSC, Ableton Link, or nothing.

Every clock answers one question, thread-safely: at monotonic time ``now``, which beat is it and at what
tempo? (``None`` while it does not know: no clock yet, or the transport is stopped.) Beats count from the
host's song position 0, so bar lines fall at multiples of ``beats_per_bar``.
"""
from __future__ import annotations

import logging
import math
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
EARLY_LOST_TOLERANCE = 0.3  # the same, judged from the median spacing of the first few ticks
LOSS_CHECK_TICKS = 3       # a fit of this many ticks predicts the next one well enough to see a lost period
STEADY_OFFSET = 0.15       # ticks off the fit by a constant offset differ by less (in periods) from one to the next
MAX_LOST = 4               # at most this many ticks lost in a row are counted back; more is a tempo change
MERGE_CHECK_TICKS = 24     # a tempo change is checked against the old fit once this many new ticks are in
SAME_TEMPO = 0.01          # tempi within 1%: the same


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

    def follow(self, position: Position, now: float) -> tuple[Callable[[float], float], "Placement"]:
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
        self._pending: list[tuple[int, float, int]] = []   # (index, time, periods late) of undecided ticks
        self._before_jump: tuple[tuple[float, float], list] | None = None  # fit and ticks before a tempo change

    def feed(self, kind: str, when: float, value: int | None = None) -> None:
        """One MIDI real-time message: ``clock``, ``start``, ``continue``, ``stop`` or ``songpos``
        (``value`` in sixteenth notes, as the Song Position Pointer carries it)."""
        with self._lock:
            if kind == "clock":
                self._tick(when)
                return
            if kind == "start":
                self.running, self._next_tick = True, 0
                self._forget_ticks()
            elif kind == "continue":
                self.running = True
                self._forget_ticks()
            elif kind == "stop":
                self.running = False
            elif kind == "songpos" and value is not None:
                self._next_tick = int(value) * TICKS_PER_BEAT // 4
                self._forget_ticks()

    def _forget_ticks(self) -> None:
        """The song position moved: ticks before it say nothing about where the next ones fall."""
        self._ticks.clear()
        self._pending.clear()
        self._before_jump = None

    def _tick(self, when: float) -> None:
        checkable = self._fit is not None and len(self._ticks) >= LOSS_CHECK_TICKS
        if not self._pending:
            index = self._next_tick
            if checkable and not self._off_fit:
                lost = self._whole_periods_late(when, index)
                if lost is not None and 1 <= lost <= MAX_LOST:
                    self._pending.append((index, when, lost))  # the next tick or two will tell
                    return
            self._place(index, when)
            return
        if len(self._pending) == 1:
            (first, first_when, first_lost), = self._pending
            after = first + first_lost + 1
            residual, tolerance = (self._periods_late(when, after, (after - 1, first_when)) if checkable
                                   else (float("nan"), 0.0))
            lost = _whole(residual, tolerance)
            if lost == 0:                                    # ticks were lost
                self._settle([(first + first_lost, first_when), (after, when)])
            elif lost is not None and 1 <= lost <= MAX_LOST:  # late again: a stall, more lost ticks, or a
                self._pending.append((after, when, lost))     # slower tempo; the third tick tells which
            elif abs(residual) < 0.5:
                self._pending.append((after, when, 0))        # a jittery tick after a loss, or a slower
            else:                                             # tempo: the third tick tells which
                self._settle([(first, first_when), (first + 1, when)])   # the tempo moving
            return
        (first, first_when, first_lost), (second, second_when, second_lost) = self._pending
        placed = first + first_lost
        if self._whole_periods_late(when, placed + 2, (placed, first_when)) == 0:  # lost, then stalled
            self._settle([(placed, first_when), (placed + 1, second_when), (placed + 2, when)])
        elif self._whole_periods_late(when, second + second_lost + 1, (second + second_lost, second_when)) == 0:
            # lost twice
            self._settle([(placed, first_when), (second + second_lost, second_when),
                          (second + second_lost + 1, when)])
        else:                                                    # a slower tempo
            self._settle([(first, first_when), (first + 1, second_when), (first + 2, when)])

    def _whole_periods_late(self, when: float, index: int, reference: tuple[int, float] | None = None
                            ) -> int | None:
        """How many whole tick periods ``when`` is after tick ``index``; None when it is not close to a
        whole number."""
        return _whole(*self._periods_late(when, index, reference))

    def _periods_late(self, when: float, index: int, reference: tuple[int, float] | None = None
                      ) -> tuple[float, float]:
        """How many tick periods ``when`` is after tick ``index`` of the fit, and how far from a whole
        number still counts as whole. While the fit is young, the time of tick ``index`` is stepped on
        from ``reference`` (index, time; default the last tick placed) with the ticks' median spacing."""
        if len(self._ticks) >= JUMP_CHECK_TICKS:
            return self._residual(when, index), LOST_TOLERANCE
        ticks = np.array(self._ticks, dtype=np.float64)
        steps = np.diff(ticks[:, 0])
        if not (steps > 0).any():
            return float("nan"), 0.0
        period = float(np.median(np.diff(ticks[:, 1])[steps > 0] / steps[steps > 0]))
        last_index, last_when = reference or self._ticks[-1]
        return (when - (last_when + period * (index - last_index))) / period, EARLY_LOST_TOLERANCE

    def _settle(self, ticks: list[tuple[int, float]]) -> None:
        self._pending.clear()
        for index, when in ticks:
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
                    steady = abs(tail[-1] - tail[0]) < STEADY_OFFSET  # (a tempo change drifts away)
                    if lag != 0 and steady and max(abs(r - lag) for r in tail) < LOST_TOLERANCE:
                        # a constant offset of whole periods: ticks were lost (late), or ticks delayed by a
                        # stall were taken for lost ones (early); either way the tempo did not change
                        placed = [self._ticks.pop() for _ in range(len(tail) - 1)][::-1]
                        self._ticks.extend((i + lag, t) for i, t in placed)
                        index += lag
                    else:
                        # the tempo moved: keep only the ticks since the change (and the one before it), and
                        # the old fit, to check the change once the new fit is sure of its tempo
                        recent = list(self._ticks)[-JUMP_TICKS:]
                        self._before_jump = (self._fit, list(self._ticks)[:-JUMP_TICKS], recent[0])
                        self._ticks.clear()
                        self._ticks.extend(recent)
                    self._off_fit.clear()
            else:
                self._off_fit.clear()
        self._next_tick = index + 1
        self._ticks.append((index, when))
        self._refit()
        if self._before_jump is not None and len(self._ticks) >= MERGE_CHECK_TICKS:
            self._check_jump()

    def _check_jump(self) -> None:
        """Check a tempo change once the new fit is sure of its tempo. The beat does not jump when the tempo
        changes (only Song Position moves it), so the new line must pass through the last tick before the
        change; if it is whole periods off there, ticks were lost or stalled around the change and counted
        wrong: count them again. If the tempo did not change at all, it was such a miscount and the old
        ticks join the fit again."""
        (old_intercept, old_period), old_ticks, (boundary_index, boundary_when) = self._before_jump
        self._before_jump = None
        intercept, period = self._fit
        same_tempo = abs(period / old_period - 1.0) <= SAME_TEMPO
        if same_tempo:
            ticks = np.array(self._ticks, dtype=np.float64)
            residuals = (ticks[:, 1] - (old_intercept + old_period * ticks[:, 0])) / old_period
            off = float(np.median(residuals))
        else:
            off = (boundary_when - (intercept + period * boundary_index)) / period
            off = -off  # the new ticks are counted this many periods behind the boundary
        shift = round(off)
        if shift == 0 or abs(off - shift) > JUMP_FRACTION:
            return
        log.debug("MIDI clock: %+d ticks miscounted around a stall, loss or tempo change; recounted", shift)
        recounted = [(int(i) + shift, t) for i, t in self._ticks]
        self._ticks.clear()
        self._ticks.extend((old_ticks if same_tempo else []) + recounted)  # (the deque keeps the latest FIT_TICKS)
        self._next_tick += shift  # (nothing is held now: _place only runs with no tick held)
        self._refit()

    def _refit(self) -> None:
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


def _whole(periods: float, tolerance: float) -> int | None:
    """``periods`` rounded when it is within ``tolerance`` of a whole number, else None (also for NaN)."""
    if not math.isfinite(periods):
        return None
    whole = round(periods)
    return whole if abs(periods - whole) < tolerance else None


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
