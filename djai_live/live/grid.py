"""Musical grids: where quantized answers start and where their notes fall, in beats."""
from __future__ import annotations

import math

import numpy as np

GRIDS = ("none", "1/4", "1/8", "1/8t", "1/16", "1/16t", "1/32")
QUANTIZE_STARTS = ("none", "beat", "bar")


def grid_step(grid: str) -> float | None:
    """The grid's step in beats (quarter notes): 1/16 -> 0.25, 1/8t -> 1/3; None for no grid."""
    if grid == "none":
        return None
    triplet = grid.endswith("t")
    denominator = int(grid[2:].rstrip("t"))
    step = 4.0 / denominator
    return step * 2.0 / 3.0 if triplet else step


def snap(onsets: np.ndarray, durations: np.ndarray, step: float, swing: float = 0.5
         ) -> tuple[np.ndarray, np.ndarray]:
    """Onsets to the nearest grid point (every second point delayed by the swing: 0.5 is straight, 2/3 a
    triplet feel), durations to whole steps, at least one."""
    slots = np.round(np.asarray(onsets, dtype=np.float64) / step)
    snapped = slots * step + (slots % 2 == 1) * (swing - 0.5) * 2.0 * step
    lengths = np.maximum(np.round(np.asarray(durations, dtype=np.float64) / step), 1.0) * step
    return snapped, lengths


def start_beat(now_beat: float, quantize_start: str, beats_per_bar: int, step: float | None) -> float:
    """The first beat position at or after ``now_beat`` where an answer may start."""
    if quantize_start == "bar":
        return math.ceil(now_beat / beats_per_bar - 1e-9) * beats_per_bar
    if quantize_start == "beat":
        return float(math.ceil(now_beat - 1e-9))
    if step is not None:
        return math.ceil(now_beat / step - 1e-9) * step
    return now_beat
