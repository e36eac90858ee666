"""Real-time scheduling for the thread that sends notes on time.

On a busy machine an ordinary thread waits behind other processes for its time slice (several
milliseconds with two busy processes on two cores); a SCHED_FIFO thread preempts them as soon as it
wakes. The OS grants it to root or to a user with an rtprio limit (``ulimit -r``, /etc/security/limits.conf);
elsewhere the request fails and the thread keeps its normal priority. Linux's real-time throttling
(95% of each second) keeps a runaway real-time thread from locking up the machine.
"""
from __future__ import annotations

import logging
import os
import threading

log = logging.getLogger(__name__)

DEFAULT_PRIORITY = 10  # modest: above every normal thread, below JACK's own (70+) and the kernel's IRQ threads


def request_realtime(priority: int = DEFAULT_PRIORITY) -> str:
    """Ask for SCHED_FIFO at ``priority`` for the calling thread; logs and returns what happened, in
    words starting with 'SCHED_FIFO' when granted."""
    name = threading.current_thread().name
    if not hasattr(os, "sched_setscheduler") or not hasattr(os, "SCHED_FIFO"):
        outcome = "not available on this platform"
        log.info("%s: real-time scheduling %s; running at normal priority", name, outcome)
        return outcome
    low, high = os.sched_get_priority_min(os.SCHED_FIFO), os.sched_get_priority_max(os.SCHED_FIFO)
    priority = min(max(priority, low), high)
    try:
        # On Linux every thread is scheduled on its own: its native id names it, not the process.
        os.sched_setscheduler(threading.get_native_id(), os.SCHED_FIFO, os.sched_param(priority))
    except OSError as error:
        outcome = f"not granted ({error.strerror or error}; root or an rtprio limit gives it)"
        log.info("%s: real-time scheduling %s; running at normal priority", name, outcome)
        return outcome
    outcome = f"SCHED_FIFO priority {priority}"
    log.info("%s: real-time scheduling granted (%s)", name, outcome)
    return outcome
