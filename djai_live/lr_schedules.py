"""Which learning-rate schedule a training run follows, decided in one place for the API, the CLI and the
manager. Light (no TensorFlow): the CLI decides before it loads the training stack.
"""
from __future__ import annotations

LR_SCHEDULES = ("constant", "plateau", "cosine")


def choose_lr_schedule(asked: str | None, lr_patience: int | None, default: str) -> str:
    """The schedule a run follows: the one ``asked`` for; else "plateau" when an ``lr_patience`` is given
    (a patience only means something to the plateau schedule); else ``default``.

    Raises:
        ValueError: an unknown schedule, or an ``lr_patience`` together with another schedule.
    """
    schedule = asked or ("plateau" if lr_patience is not None else default)
    if schedule not in LR_SCHEDULES:
        raise ValueError(f"the learning-rate schedule must be one of {', '.join(LR_SCHEDULES)}, not {schedule!r}")
    if lr_patience is not None and schedule != "plateau":
        raise ValueError(f"a learning-rate patience applies to the plateau schedule, not to {schedule}")
    return schedule
