"""Real-time scheduling is asked for, and a refusal is reported rather than raised."""
import os
import threading

import pytest

from djai_live.live.realtime import request_realtime


def test_a_refusal_keeps_normal_priority_and_says_why(monkeypatch):
    if not hasattr(os, "sched_setscheduler"):
        pytest.skip("no sched_setscheduler on this platform")

    def refuse(*args):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "sched_setscheduler", refuse)
    assert request_realtime(10).startswith("not granted (Operation not permitted")


def test_granted_where_the_os_allows_it():
    if not hasattr(os, "sched_setscheduler"):
        pytest.skip("no sched_setscheduler on this platform")
    outcome = []
    thread = threading.Thread(target=lambda: outcome.append((request_realtime(10), os.sched_getscheduler(0))))
    thread.start()
    thread.join()
    text, policy = outcome[0]
    if text.startswith("SCHED_FIFO"):
        assert policy == os.SCHED_FIFO  # the calling thread, not another one
    else:
        assert text.startswith("not granted")
