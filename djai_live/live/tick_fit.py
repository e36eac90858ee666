"""Lines through MIDI clock ticks (index -> arrival time), and how ticks off such a line are read: the
arithmetic of :mod:`.midi_clock`, apart from its counting.

It runs on every tick (every 21 ms at 120 BPM), on the thread that reads the MIDI input, and a tick of the
host's clock falls on every sixteenth, the moment a note is due: so the lines and quantiles here are worked
out directly (a straight line's least squares, a sort) rather than by ``np.polyfit`` and ``np.percentile``,
whose generality cost some 0.2-0.7 ms a tick that a note due then waited for
(``scripts/bench_clock.py --worst``)."""
from __future__ import annotations

import math

import numpy as np

DRIFT_SLOPE = 0.05         # a tempo change moves ticks off the fit by at least this much (in periods) per tick
DRIFT_SCATTER = 0.2        # ... and along a line: no tick further than this from it


def drifting(residuals: list[float]) -> bool:
    """Whether the latest ticks off the fit drift away along a line, as after a tempo change (in periods)."""
    latest = np.array(residuals[-4:], dtype=np.float64)   # (a tick lost or late among the first is left behind)
    steps = np.arange(len(latest), dtype=np.float64)
    slope, intercept = straight_line(steps, latest)
    scatter = float(np.abs(latest - (intercept + slope * steps)).max())
    return abs(float(slope)) >= DRIFT_SLOPE and scatter <= DRIFT_SCATTER


def whole(periods: float, tolerance: float) -> int | None:
    """``periods`` rounded when it is within ``tolerance`` of a whole number, else None (also for NaN)."""
    if not math.isfinite(periods):
        return None
    whole = round(periods)
    return whole if abs(periods - whole) < tolerance else None


def robust_line(ticks: np.ndarray) -> tuple[float, float] | None:
    """(intercept, seconds per tick) of tick index -> time: least squares, then again without ticks more
    than three median deviations off (a late delivery), so one straggler does not tilt the tempo."""
    index, times = ticks[:, 0] - ticks[0, 0], ticks[:, 1]
    period, intercept = straight_line(index, times)
    residuals = np.abs(times - (intercept + period * index))
    keep = residuals <= max(3.0 * quantile(residuals, 0.5), 1e-4)
    if 3 <= keep.sum() < len(keep):
        period, intercept = straight_line(index[keep], times[keep])
    if not period > 0:
        return None
    return float(intercept - period * ticks[0, 0]), float(period)


def straight_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line through (x, y), as ``np.polyfit(x, y, 1)`` gives them;
    NaN slope where the x are all equal. Centred first: tick times are large numbers of seconds."""
    x_mean, y_mean = float(x.sum()) / len(x), float(y.sum()) / len(y)
    dx = x - x_mean
    spread = float(dx @ dx)
    slope = float(dx @ (y - y_mean)) / spread if spread > 0 else math.nan
    return slope, y_mean - slope * x_mean


def quantile(values: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` (0 <= q <= 1), linearly interpolated as ``np.percentile(values, 100 q)``;
    NaN for no values, as ``np.median`` gives."""
    if not len(values):
        return math.nan
    ordered = np.sort(values)
    position = q * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return float(ordered[below] + (ordered[above] - ordered[below]) * (position - below))
