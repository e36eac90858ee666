"""MIDI clock: tempo and song position from a host's 24 ticks per beat, Start, Continue, Stop and Song
Position Pointer, as they arrive (stamped by the driver) on the MIDI input."""
from __future__ import annotations

import logging
import threading
from collections import deque
from itertools import chain

import numpy as np

from .clock import Position
from .tick_fit import drifting, quantile, robust_line, whole

log = logging.getLogger(__name__)

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
START_SLACK = 0.35         # a first tick within this (in periods) of Start, or of a whole number of periods later
MAX_LOST_AFTER_START = 12  # more ticks than this between Start and the first tick: a slow master, not a loss
MAX_CLUSTER_TICKS = 48     # off the fit for this long without an offset or a drift: taken as a tempo change
TRUST_TICKS = 48           # two beats of ticks close to the fit make it the line a stretch of chaos is counted by
TRUST_SCATTER = 0.15       # close: 90% of them within this (in periods) of the fit
RECOUNT_WINDOW = 12        # the latest ticks, checked against the line through the ticks just before them
RECOUNT_REFERENCE = 24     # that line's ticks: recent, so that a tempo ramp does not bend it away
RECOUNT_EVERY = 6          # ticks between two such checks
RECOUNT_STEADY = 0.2       # the window's two halves agree this well (in periods): an offset, not a tempo change
RECOUNT_TOLERANCE = 0.25   # how close to a whole number of periods the offset must be


class MidiClock:
    """Tempo and phase from MIDI clock (0xF8, 24 per beat), Start, Stop, Continue and Song Position.

    Two things are kept apart. The *tick grid*: every tick gets an index on one running count, stopped or
    playing, and tempo and tick phase come from a robust least-squares line through the arrival times of
    the last FIT_TICKS ticks, so USB-style jitter of a few milliseconds averages out. A tick a whole number
    of periods late means ticks were lost (a busy driver drops some) and is counted in its place; ticks off
    the line on the same side several times in a row mean the tempo changed, and the fit restarts from
    them. The *song position*: which tick of the grid was song position 0 (the origin), known only from the
    host's Start, Continue or Song Position Pointer. Ticks that arrive while stopped keep the grid (a master
    that runs its clock all the time) but do not move the song position.

    The first tick after Start is song position 0. A master that clocks all the time (as the MIDI
    Association recommends) sends it at its next tick slot after Start, so the origin is the slot after the
    last tick before Start, however many ticks after Start were lost. A master whose clock starts with
    Start sends the first tick right after it, or a tick period later: once the fit is sure of the period,
    a first tick two or more whole periods after Start means that many ticks were lost, and the origin
    moves back by them. Where the phase cannot be known (ticks that arrive before any Start, Continue or
    Song Position, or a port that was reopened: ticks may have been missed meanwhile), :meth:`position` is
    None until the host's next Start, Continue or Song Position Pointer, and :meth:`take_notes` says why.
    """

    source = "midi"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.running = False
        self._next_tick = 0                      # grid index of the next clock message
        self._ticks: deque[tuple[int, float]] = deque(maxlen=FIT_TICKS)
        self._fit: tuple[float, float] | None = None   # (intercept s, seconds per tick)
        self._off_fit: list[float] = []                 # signed residuals of the latest ticks off the fit
        self._pending: list[tuple[int, float, int]] = []   # (index, time, periods late) of undecided ticks
        # the fit and the ticks before a tempo change, and the last tick before it (index, time)
        self._before_jump: tuple[tuple[float, float], list, tuple[int, float]] | None = None
        # the last line that ticks followed closely for two beats: what a stretch of lost and late ticks is
        # counted against once it is over, whatever false starts the fit made meanwhile
        self._trusted: tuple[float, float] | None = None
        self._origin: int | None = None          # grid index of song position 0; None: phase unknown
        self._song_tick: int | None = None       # song position (ticks) the next Continue resumes at
        self._resume: tuple[float, int] | None = None   # (time, song tick) of a Start/Continue awaiting its tick
        self._last_before_resume: int | None = None     # grid index of the last tick before that Start/Continue
        self._start_gap_check: tuple[float, int] | None = None  # (Start time, first tick's index) to check
        self.phase_notes: list[str] = []         # what the daemon should tell the performer, taken by it
        self._told_no_start = False

    def feed(self, kind: str, when: float, value: int | None = None) -> None:
        """One MIDI real-time message: ``clock``, ``start``, ``continue``, ``stop`` or ``songpos``
        (``value`` in sixteenth notes, as the Song Position Pointer carries it)."""
        with self._lock:
            if kind == "clock":
                if not self.running and self._song_tick is None and not self._told_no_start:
                    self._told_no_start = True
                    self._tell("MIDI clock ticks arrive before any Start: tempo is followed, but if the host is "
                               "already playing its beat is unknown until it sends Start, Continue or Song "
                               "Position Pointer (press play, or move the playhead)")
                self._tick(when)
                return
            if kind == "start":
                self.running = True
                self._resume_at(when, 0)
            elif kind == "continue":
                self.running = True
                if self._song_tick is None:
                    self._tell("Continue after the song position was lost: the phase stays unknown until the "
                               "host sends Start or Song Position Pointer")
                    self._origin = None
                else:
                    self._resume_at(when, self._song_tick)
            elif kind == "stop":
                if self.running and self._origin is not None:
                    self._song_tick = self._next_tick - self._origin
                self.running = False
                self._resume = None
            elif kind == "songpos" and value is not None:
                self._song_tick = int(value) * TICKS_PER_BEAT // 4
                if self.running:   # a jump while playing: the next tick is at that position
                    self._resume_at(when, self._song_tick)

    def lose_phase(self, reason: str) -> None:
        """Ticks may have been missed (the input port was reopened, its device replugged): the grid and the
        song position start again from the host's next Start, Continue or Song Position Pointer."""
        with self._lock:
            self._forget_grid()
            self._origin, self._song_tick, self._resume, self._start_gap_check = None, None, None, None
            self._told_no_start = True
            self._tell(f"{reason}: the host's beat is unknown until it sends Start, Continue or Song Position "
                       "Pointer (press play, or move the playhead)")

    def _forget_grid(self) -> None:
        """Ticks before now say nothing about where the next ones fall: the fit starts again."""
        self._ticks.clear()
        self._pending.clear()
        self._off_fit.clear()
        self._before_jump = None
        self._fit = None
        self._trusted = None

    def _tell(self, note: str) -> None:
        self.phase_notes.append(note)

    def take_notes(self) -> list[str]:
        """What happened to the phase since last asked, in words (for the daemon's log and /djai/error)."""
        with self._lock:
            notes, self.phase_notes = self.phase_notes, []
        return notes

    def _resume_at(self, when: float, song_tick: int) -> None:
        """Start, Continue or a Song Position while playing: the next tick (the first slot after ``when``)
        is song position ``song_tick``. A grid that has gone quiet (no tick for a while: a master that
        clocks only while playing) says nothing about where the next ticks fall and starts again."""
        fresh = (self._fit is not None and self._ticks and not self._pending
                 and when - self._ticks[-1][1] <= (MAX_LOST + 1.5) * self._fit[1])
        if not fresh:
            self._forget_grid()
        self._resume = (when, song_tick)
        self._last_before_resume = self._next_tick - 1 if fresh else None
        self._start_gap_check = None

    def _found_origin(self, index: int) -> None:
        """The first tick placed after a Start/Continue: where song position 0 is on the grid."""
        assert self._resume is not None  # (called only while a Start/Continue awaits its first tick)
        resume_when, song_tick = self._resume
        self._resume = None
        if self._last_before_resume is not None:
            first_slot = self._last_before_resume + 1
        else:
            first_slot = index
            self._start_gap_check = (resume_when, index)
        self._origin = first_slot - song_tick

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
            lost = whole(residual, tolerance)
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
        return whole(*self._periods_late(when, index, reference))

    def _periods_late(self, when: float, index: int, reference: tuple[int, float] | None = None
                      ) -> tuple[float, float]:
        """How many tick periods ``when`` is after tick ``index`` of the fit, and how far from a whole
        number still counts as whole. While the fit is young, the time of tick ``index`` is stepped on
        from ``reference`` (index, time; default the last tick placed) with the ticks' median spacing."""
        if len(self._ticks) >= JUMP_CHECK_TICKS:
            return self._residual(when, index), LOST_TOLERANCE
        ticks = self._tick_array()
        steps = np.diff(ticks[:, 0])
        if not (steps > 0).any():
            return float("nan"), 0.0
        period = quantile(np.diff(ticks[:, 1])[steps > 0] / steps[steps > 0], 0.5)
        if period <= 0.0:   # the first ticks came in one burst (a stalled driver): their spacing says nothing
            return float("nan"), 0.0
        last_index, last_when = reference or self._ticks[-1]
        return (when - (last_when + period * (index - last_index))) / period, EARLY_LOST_TOLERANCE

    def _settle(self, ticks: list[tuple[int, float]]) -> None:
        self._pending.clear()
        for index, when in ticks:
            self._place(index, when)

    def _residual(self, when: float, index: int) -> float:
        assert self._fit is not None
        intercept, period = self._fit
        return (when - (intercept + period * index)) / period

    def _place(self, index: int, when: float) -> None:
        if self._fit is not None and len(self._ticks) >= JUMP_CHECK_TICKS:
            residual = self._residual(when, index)
            if abs(residual) > JUMP_FRACTION:
                self._off_fit.append(residual)
                if len(self._off_fit) >= JUMP_TICKS and len({r > 0 for r in self._off_fit}) == 1:
                    settled = True
                    tail = self._off_fit[-2:]  # (an earlier straggler may precede the loss)
                    lag = round(float(np.mean(tail)))
                    steady = abs(tail[-1] - tail[0]) < STEADY_OFFSET  # (a tempo change drifts away)
                    if lag != 0 and steady and max(abs(r - lag) for r in tail) < LOST_TOLERANCE:
                        # a constant offset of whole periods: ticks were lost (late), or ticks delayed by a
                        # stall were taken for lost ones (early); either way the tempo did not change
                        placed = [self._ticks.pop() for _ in range(len(tail) - 1)][::-1]
                        self._ticks.extend((i + lag, t) for i, t in placed)
                        index += lag
                    elif not drifting(self._off_fit) and len(self._off_fit) < MAX_CLUSTER_TICKS:
                        # Neither an offset nor a drift: ticks lost and late in a cluster (a starved driver).
                        # The tempo did not change; the count is settled by the offset once the ticks are
                        # back on time (above), or by the recount (_recount).
                        settled = False
                    else:
                        # the tempo moved: keep only the ticks since the change (and the one before it), and
                        # the old fit, to check the change once the new fit is sure of its tempo
                        recent = list(self._ticks)[-len(self._off_fit):]   # (the one before, and the change's)
                        self._before_jump = (self._fit, list(self._ticks)[:-len(recent)], recent[0])
                        self._ticks.clear()
                        self._ticks.extend(recent)
                    if settled:
                        self._off_fit.clear()
            else:
                self._off_fit.clear()
        self._next_tick = index + 1
        self._ticks.append((index, when))
        self._refit()
        if self._resume is not None:  # (no tick is held at a Start/Continue: this one came after it)
            self._found_origin(index)
        if self._start_gap_check is not None and len(self._ticks) >= JUMP_CHECK_TICKS and not self._off_fit:
            self._check_start_gap()
        if self._before_jump is not None and len(self._ticks) >= MERGE_CHECK_TICKS:
            self._check_jump()
        elif index % RECOUNT_EVERY == 0:
            self._recount()

    def _recount(self) -> None:
        """Ticks lost and delayed in clusters (a JACK server starved of CPU loses some ticks and hands
        others over late, in bursts) can fool the tick-by-tick checks, and a miscount would otherwise stay
        for good: the beat whole ticks off the host's. So the latest ticks are checked against the line
        through the ticks just before them, by their lower quartile (a delivery can only be late, never
        early): a steady offset of whole periods is ticks lost (late) or delays taken for losses (early),
        and the ticks at that offset are counted again."""
        if (self._pending or self._off_fit or self._fit is None
                or len(self._ticks) < RECOUNT_WINDOW + RECOUNT_REFERENCE):
            return
        ticks = self._tick_array()[-(RECOUNT_WINDOW + RECOUNT_REFERENCE):]
        reference = robust_line(ticks[:RECOUNT_REFERENCE])
        if reference is None:
            return
        intercept, period = reference
        window = ticks[RECOUNT_REFERENCE:]
        residuals = (window[:, 1] - (intercept + period * window[:, 0])) / period
        half = RECOUNT_WINDOW // 2
        lowest = quantile(residuals, 0.25)
        shift = round(lowest)
        steady = abs(quantile(residuals[half:], 0.25) - quantile(residuals[:half], 0.25))
        if shift == 0 or abs(lowest - shift) > RECOUNT_TOLERANCE or steady > RECOUNT_STEADY:
            return
        miscounted = {int(i) for i, r in zip(window[:, 0], residuals) if abs(r - shift) < 0.5}
        if self._count_again(miscounted, shift, "among lost and late ones"):
            self._refit()

    def _count_again(self, miscounted: set[int], shift: int, how: str) -> bool:
        """Move the ticks ``miscounted`` (grid indices) by ``shift`` slots; False, nothing moved, when that
        would put two ticks in one slot (the next check settles it)."""
        recounted = [(i + shift, t) if i in miscounted else (i, t) for i, t in self._ticks]
        if any(b[0] <= a[0] for a, b in zip(recounted, recounted[1:])):
            return False
        log.debug("MIDI clock: %+d tick(s) miscounted %s; recounted", shift, how)
        self._ticks.clear()
        self._ticks.extend(recounted)
        self._next_tick = recounted[-1][0] + 1
        return True

    def _check_start_gap(self) -> None:
        """A clock that started with Start: its first tick comes right after Start, or at most a tick period
        later; a first tick two or more whole periods later (within START_SLACK) means that many ticks were
        lost after Start (a driver or a client busy at that moment), so song position 0 was that many slots
        earlier. (One lost tick cannot be told from a master that waits a period after Start: taken as
        the latter.)"""
        assert self._start_gap_check is not None and self._fit is not None
        start_when, first_index = self._start_gap_check
        self._start_gap_check = None
        intercept, period = self._fit
        gap = (intercept + period * first_index - start_when) / period
        lost = int(gap + START_SLACK) if gap >= 2.0 - START_SLACK else 0
        if lost > MAX_LOST_AFTER_START:
            self._tell(f"MIDI clock: the first tick came {gap:.1f} tick periods after Start; taken as song "
                       "position 0 (a master that waits that long after Start is unusual)")
        elif lost and self._origin is not None:
            self._origin -= lost
            log.info("MIDI clock: %d tick(s) right after Start were lost; counted in", lost)

    def _check_jump(self) -> None:
        """Check a tempo change once the new fit is sure of its tempo. The beat does not jump when the tempo
        changes (only Song Position moves it), so the new line must pass through the last tick before the
        change; if it is whole periods off there, ticks were lost or stalled around the change and counted
        wrong: count them again. If the tempo did not change at all, it was such a miscount and the old
        ticks join the fit again."""
        assert self._before_jump is not None and self._fit is not None
        (old_intercept, old_period), old_ticks, (boundary_index, boundary_when) = self._before_jump
        self._before_jump = None
        intercept, period = self._fit
        if self._trusted is not None and abs(period / self._trusted[1] - 1.0) <= SAME_TEMPO:
            # The tempo is the one the ticks last followed closely: the fit may have restarted on a cluster of
            # lost and late ticks (several times over), so the ticks since are counted against that line.
            old_intercept, old_period = self._trusted
            old_ticks = []
        same_tempo = abs(period / old_period - 1.0) <= SAME_TEMPO
        if same_tempo:
            ticks = self._tick_array()
            residuals = (ticks[:, 1] - (old_intercept + old_period * ticks[:, 0])) / old_period
            off = quantile(residuals, 0.5)
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

    def _tick_array(self) -> np.ndarray:
        """The ticks in the fit as an (n, 2) array of (index, time); (fromiter: a third of np.array's time on a
        deque of tuples, and this runs on every tick)."""
        return np.fromiter(chain.from_iterable(self._ticks), np.float64, count=2 * len(self._ticks)).reshape(-1, 2)

    def _refit(self) -> None:
        if len(self._ticks) >= 3:
            ticks = self._tick_array()
            self._fit = robust_line(ticks) or self._fit
            if (self._fit is not None and len(ticks) >= TRUST_TICKS and not self._off_fit and not self._pending
                    and self._before_jump is None):
                intercept, period = self._fit
                latest = ticks[-TRUST_TICKS:]
                residuals = (latest[:, 1] - (intercept + period * latest[:, 0])) / period
                if quantile(np.abs(residuals), 0.9) <= TRUST_SCATTER:
                    self._trust(ticks)

    def _trust(self, ticks: np.ndarray) -> None:
        """The fit is followed closely: it becomes the trusted line, unless it is the trusted tempo whole
        periods off the trusted phase. The beat does not move when nothing but ticks went missing, so that
        is ticks miscounted in a stretch of lost and late ones that no check could settle at the time:
        those ticks are counted again, by the trusted line."""
        assert self._fit is not None
        intercept, period = self._fit
        if self._trusted is None or abs(period / self._trusted[1] - 1.0) > SAME_TEMPO:
            self._trusted = self._fit   # the first line, or a new tempo that the ticks now follow closely
            return
        trusted_intercept, trusted_period = self._trusted
        last = ticks[-1, 0]
        offset = ((intercept + period * last) - (trusted_intercept + trusted_period * last)) / trusted_period
        shift = round(offset)
        if shift == 0:
            self._trusted = self._fit
            return
        if abs(offset - shift) > JUMP_FRACTION:
            return   # neither the same phase nor whole ticks off: wait for a clearer stretch
        residuals = (ticks[:, 1] - (trusted_intercept + trusted_period * ticks[:, 0])) / trusted_period
        miscounted = {int(i) for i, r in zip(ticks[:, 0], residuals) if abs(r - shift) < 0.5}
        if self._count_again(miscounted, shift, "(found against the trusted line)"):
            self._fit = robust_line(self._tick_array()) or self._fit

    def position(self, now: float) -> Position | None:
        with self._lock:
            if not self.running or self._origin is None or self._fit is None or len(self._ticks) < 3:
                return None
            intercept, period = self._fit
            origin = self._origin
        return Position(beat=((now - intercept) / period - origin) / TICKS_PER_BEAT,
                        bpm=60.0 / (period * TICKS_PER_BEAT))

    def tempo(self) -> float | None:
        """The host's tempo from the ticks, known even while the song position is not."""
        with self._lock:
            return 60.0 / (self._fit[1] * TICKS_PER_BEAT) if self._fit is not None and len(self._ticks) >= 3 else None

    @property
    def phase_known(self) -> bool:
        return self._origin is not None or self._resume is not None

    def describe(self) -> dict:
        return {"clock": self.source, "running": int(self.running), "phase_known": int(self.phase_known)}

    def close(self) -> None:
        pass
