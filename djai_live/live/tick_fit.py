"""Lines through MIDI clock ticks (index -> arrival time), and how ticks off such a line are read: the
arithmetic of :mod:`.midi_clock`, apart from its counting."""
from __future__ import annotations

import math

import numpy as np

DRIFT_SLOPE = 0.05         # a tempo change moves ticks off the fit by at least this much (in periods) per tick
DRIFT_SCATTER = 0.2        # ... and along a line: no tick further than this from it


def drifting(residuals: list[float]) -> bool:
    """Whether the latest ticks off the fit drift away along a line, as after a tempo change (in periods)."""
    latest = np.array(residuals[-4:], dtype=np.float64)   # (a tick lost or late among the first is left behind)
    steps = np.arange(len(latest), dtype=np.float64)
    slope, intercept = np.polyfit(steps, latest, 1)
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
    period, intercept = np.polyfit(index, times, 1)
    residuals = np.abs(times - (intercept + period * index))
    keep = residuals <= max(3.0 * float(np.median(residuals)), 1e-4)
    if 3 <= keep.sum() < len(keep):
        period, intercept = np.polyfit(index[keep], times[keep], 1)
    if period <= 0:
        return None
    return float(intercept - period * ticks[0, 0]), float(period)
