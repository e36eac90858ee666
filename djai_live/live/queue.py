"""A bounded inbound queue: a flood drops the oldest notes (counted) instead of growing memory.

Control messages (panic, generate, set, ...) travel in their own lane, served first, so a flood of notes
can never push a panic out of the queue. Served first, a panic would overtake the notes that came before
it, and they would start the music again after the silence; so a panic takes them with it
(``put(..., supersede_notes=True)``: the notes waiting go in the same step as the panic comes in).
"""
from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any


class DropOldestQueue:
    def __init__(self, capacity: int = 1024, control_capacity: int = 256) -> None:
        self._notes: deque = deque(maxlen=capacity)
        self._control: deque = deque(maxlen=control_capacity)
        self._condition = threading.Condition()
        self.dropped = 0

    def put(self, item: Any, control: bool = False, supersede_notes: bool = False) -> int:
        """Queue ``item``; with ``supersede_notes``, every note waiting is forgotten in the same step (they came
        before it: a panic). Returns how many notes were forgotten so."""
        lane = self._control if control else self._notes
        with self._condition:
            superseded = 0
            if supersede_notes:
                superseded = len(self._notes)
                self._notes.clear()
            if len(lane) == lane.maxlen:
                self.dropped += 1
            lane.append(item)
            self._condition.notify()
            return superseded

    def get(self, timeout: float | None) -> Any | None:
        """The oldest control item, else the oldest note; None after ``timeout`` seconds with nothing."""
        with self._condition:
            if not self._condition.wait_for(lambda: bool(self._control or self._notes), timeout):
                return None
            return (self._control or self._notes).popleft()

    def pop_control_if(self, wanted: Callable[[Any], bool]) -> Any | None:
        """The oldest control item if ``wanted`` says so, else None (and it stays first): served out of
        turn, between the steps of longer work, without overtaking the control items before it."""
        if not self._control:  # (a lock-free look first: asked at every step of a draw)
            return None
        with self._condition:
            if self._control and wanted(self._control[0]):
                return self._control.popleft()
            return None

    def __len__(self) -> int:
        with self._condition:
            return len(self._notes) + len(self._control)
