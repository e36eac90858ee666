"""Sends each generated note-on at its onset and its note-off at its end, on a monotonic clock.

Invariant: every note-on sent is followed by exactly one note-off for it: at its end, or earlier when a
newer phrase replaces it, on cancel, on panic, or when the scheduler closes. A note-on for a key that is
still sounding first ends the older note, so an old note-off never cuts a newer note short.

A note-off can still be lost on the way (a host's listener closed, a MIDI cable pulled), so
:meth:`Scheduler.all_notes_off` needs no memory of what sounds: after the note-offs it knows of, it ends
every pitch ever sent on each channel and asks each output to silence those channels as a whole.
"""
from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

from .events import AllNotesOff, Event, NoteEnded, NoteStarted, Phrase
from .realtime import request_realtime

log = logging.getLogger(__name__)


ALL_CHANNELS = tuple(range(1, 17))
_SILENT = (0, 0)  # the (token, voice) of a key that is not sounding: no token is 0


class Scheduler:
    """A thread that plays phrases; all public methods are thread-safe. Each note on and off is published
    (``publish``, the event stream's) at its time, from the thread that sends it.

    ``realtime_priority``: ask the OS to run the thread under SCHED_FIFO at this priority (None: do not
    ask); whether it was granted is in :attr:`realtime`.
    """

    def __init__(self, publish: Callable[[Event], None], clock: Callable[[], float] = time.monotonic,
                 spin_s: float = 0.0015, realtime_priority: int | None = None) -> None:
        self.publish = publish
        self.clock = clock
        self.spin_s = spin_s
        self._events: list = []               # (time, order, kind, pitch, velocity, duration_ms, channel, token, voice)
        self._order = itertools.count()
        self._tokens = itertools.count(1)
        # (pitch, channel) -> (token, voice) of the note-on sent
        self._sounding: dict[tuple[int, int], tuple[int, int]] = {}
        self._condition = threading.Condition()
        self._running = False
        self._thread: threading.Thread | None = None
        self.lateness_ms: deque[float] = deque(maxlen=4096)
        # Every (channel, pitch) a note-on was ever sent for, one byte each: a store on the hot path,
        # read only by all_notes_off.
        self._ever_sent = bytearray(16 * 128)
        self.realtime_priority = realtime_priority
        self.realtime: str = "not asked"
        self._realtime_known = threading.Event()

    def start(self) -> Scheduler:
        with self._condition:
            if self._running:
                return self
            self._running = True
        self._thread = threading.Thread(target=self._run, name="djai-scheduler", daemon=True)
        self._thread.start()
        return self

    def play(self, phrase: Phrase, start: float | None = None) -> None:
        """Schedule a phrase (onsets relative to ``start``, default now); it replaces what is pending."""
        start = self.clock() if start is None else start
        with self._condition:
            self._cancel_locked()
            for note in phrase.notes:
                on = start + note.onset_ms / 1000.0
                token = next(self._tokens)
                heapq.heappush(self._events, (on, next(self._order), "on", note.pitch, note.velocity,
                                              note.duration_ms, note.channel, token, note.voice))
                heapq.heappush(self._events, (on + note.duration_ms / 1000.0, next(self._order), "off",
                                              note.pitch, 0, 0.0, note.channel, token, note.voice))
            self._condition.notify()

    def retime(self, remap: Callable[[float], float]) -> int:
        """Move every pending note-on and note-off to ``remap(its time)`` (the host's tempo changed under
        a phrase); order among events of equal time is kept. Returns how many events moved."""
        with self._condition:
            self._events = [(remap(event[0]),) + event[1:] for event in self._events]
            heapq.heapify(self._events)
            self._condition.notify()
            return len(self._events)

    def cancel(self) -> int:
        """Drop everything pending and end every sounding note now; returns how many notes were ended."""
        with self._condition:
            return self._cancel_locked()

    def all_notes_off(self, channels: Iterable[int] | None = None) -> int:
        """Panic, shutdown and start-up: drop everything pending, send the note-offs known of, then a
        note-off for every pitch ever sent on each channel, then ask every output to silence the channels
        used (``channels``: these as well, e.g. all 16 at start-up). Returns the sounding notes ended."""
        with self._condition:
            return self._all_notes_off_locked(channels)

    panic = all_notes_off

    def _channels_used_locked(self) -> tuple[int, ...]:
        sent = self._ever_sent
        return tuple(channel for channel in ALL_CHANNELS if any(sent[(channel - 1) * 128:channel * 128]))

    def _all_notes_off_locked(self, channels: Iterable[int] | None) -> int:
        ended = self._cancel_locked()
        ever_sent = {}
        for channel in self._channels_used_locked():
            row = self._ever_sent[(channel - 1) * 128:channel * 128]
            ever_sent[channel] = tuple(pitch for pitch in range(128) if row[pitch])
        wanted = tuple(sorted(set(ever_sent) | set(channels or ())))
        if wanted:
            self.publish(AllNotesOff(ever_sent, wanted))
        return ended

    # --- accompaniment: one note at a time, nothing else replaced ----------------------------------------
    def start_note(self, pitch: int, velocity: int, duration_ms: float, channel: int, voice: int = 0) -> None:
        """Send a note-on now, from the calling thread (no hand-over: the least latency), and schedule its
        note-off; notes pending or sounding stay as they are."""
        with self._condition:
            key = (pitch, channel)
            if key in self._sounding:
                self._send_off(pitch, channel, self._sounding[key][1])  # retrigger: end the older note first
            token = next(self._tokens)
            self._sounding[key] = (token, voice)
            self._ever_sent[(channel - 1) * 128 + pitch] = 1
            self.publish(NoteStarted(pitch, velocity, duration_ms, channel, voice))
            off = (self.clock() + duration_ms / 1000.0, next(self._order), "off", pitch, 0, 0.0, channel, token, voice)
            heapq.heappush(self._events, off)
            if self._events[0] is off:
                # Woken only when this note-off comes first: a woken scheduler thread competes with the
                # caller for the interpreter while the caller is still drawing the rest of the chord.
                self._condition.notify()

    def end_note(self, pitch: int, channel: int) -> None:
        """End one sounding note now (its scheduled note-off then finds nothing to end)."""
        with self._condition:
            sounding = self._sounding.pop((pitch, channel), None)
            if sounding is not None:
                self._send_off(pitch, channel, sounding[1])

    def end_all(self) -> int:
        """End every sounding note and drop what is pending; returns how many notes were ended."""
        return self.cancel()

    def next_due(self) -> float | None:
        """When the next note-on or note-off is due (scheduler clock), or None."""
        with self._condition:
            return self._events[0][0] if self._events else None

    @property
    def pending(self) -> int:
        with self._condition:
            return len(self._events)

    @property
    def sounding(self) -> int:
        with self._condition:
            return len(self._sounding)

    def wait_realtime(self, timeout: float) -> str:
        """What the OS said when the thread asked for real-time scheduling (see :attr:`realtime`)."""
        self._realtime_known.wait(timeout)
        return self.realtime

    def close(self) -> int:
        """Stop the thread after ending every sounding note (all notes off); returns how many were ended."""
        with self._condition:
            ended = self._all_notes_off_locked(None)
            self._running = False
            self._condition.notify()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        return ended

    def _cancel_locked(self) -> int:
        self._events.clear()
        ended = len(self._sounding)
        for (pitch, channel), (_, voice) in list(self._sounding.items()):
            self._send_off(pitch, channel, voice)
        self._sounding.clear()
        return ended

    def _send_off(self, pitch: int, channel: int, voice: int) -> None:
        self.publish(NoteEnded(pitch, channel, voice))

    def _run(self) -> None:
        if self.realtime_priority is not None:
            self.realtime = request_realtime(self.realtime_priority)
        self._realtime_known.set()
        with self._condition:
            while self._running:
                if not self._events:
                    self._condition.wait()
                    continue
                if self._drop_stale_note_offs_locked():
                    continue
                due, kind = self._events[0][0], self._events[0][2]
                wait = due - self.clock()
                # Only note-ons are spun for: the ear places onsets, and a spinning thread takes the
                # interpreter and a core from the engine while it draws an accompaniment's chord.
                spin = self.spin_s if kind == "on" else 0.0
                if wait > spin:
                    self._condition.wait(wait - spin)
                    continue
                if wait > 0:
                    # The last stretch is spun (releasing the lock) because a timed wait overshoots
                    # by up to a millisecond; this keeps notes within a fraction of one.
                    self._condition.release()
                    try:
                        while self.clock() < due:
                            time.sleep(0)
                    finally:
                        self._condition.acquire()
                    continue  # the queue may have changed while the lock was free
                event = heapq.heappop(self._events)
                self._fire(event)

    def _drop_stale_note_offs_locked(self) -> bool:
        """Pop note-offs at the front whose note already ended (end_note, a retrigger): waking, let alone
        spinning, for a note-off that sends nothing would only take the interpreter from the engine.
        Returns whether the queue emptied."""
        events, sounding = self._events, self._sounding
        while events and events[0][2] == "off" and \
                sounding.get((events[0][3], events[0][6]), _SILENT)[0] != events[0][7]:
            heapq.heappop(events)
        return not events

    def _fire(self, event) -> None:
        due, _, kind, pitch, velocity, duration_ms, channel, token, voice = event
        key = (pitch, channel)
        try:
            if kind == "on":
                older = self._sounding.get(key)
                if older is not None:
                    self._send_off(pitch, channel, older[1])  # retrigger: end the older note first
                self._sounding[key] = (token, voice)
                self._ever_sent[(channel - 1) * 128 + pitch] = 1
                self.publish(NoteStarted(pitch, velocity, duration_ms, channel, voice))
            elif self._sounding.get(key, _SILENT)[0] == token:
                del self._sounding[key]
                self._send_off(pitch, channel, voice)
        except Exception as error:  # (the event stream catches its subscribers' errors; this, anything else)
            log.warning("sending %s %d/%d failed: %s", kind, pitch, channel, error)
        self.lateness_ms.append((self.clock() - due) * 1000.0)
