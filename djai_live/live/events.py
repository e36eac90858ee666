"""The one event stream out: everything the daemon does, published once to every subscriber.

What the policies and the scheduler do (a note on or off, a phrase drawn, a note planned), what a command
changed (a setting, the key, the model) and what went wrong (an error, a MIDI port gone or back) are events
of the types below. The edges subscribe: the OSC replies and the MIDI output turn them into messages, and
a new edge (a browser page, a recorder) subscribes without touching the hot path.

Two kinds of subscriber, so that none can delay a note:

- **inline**: called on the publishing thread, in the order they subscribed. Only edges whose every call is
  a bounded, non-blocking send belong here (a UDP datagram on a non-blocking socket, a MIDI message into
  the driver's buffer): a note's way to the ear then has no thread hand-over, which would add the
  interpreter's switch interval to its lateness (scripts/bench_latency.py measures it).
- **queued**: everything else. Each has its own bounded queue and thread; when it falls behind, the
  oldest events are dropped and counted (:attr:`Subscription.dropped`), and the publisher never waits.

A subscriber that raises is logged and the others still receive the event.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import NamedTuple, TypeVar
from collections.abc import Callable

from .clock import Placement

log = logging.getLogger(__name__)


# --- what a policy plays ------------------------------------------------------------------------------
@dataclass(frozen=True)
class AnswerNote:
    onset_ms: float     # from the moment the phrase is sent
    pitch: int
    velocity: int
    duration_ms: float
    channel: int
    voice: int = 0      # the model's instrument that plays it


UNISON_MS = 1.0  # two notes of one pitch and channel starting closer than this are one note


def merge_unisons(notes: tuple[AnswerNote, ...]) -> tuple[AnswerNote, ...]:
    """The model sometimes draws one pitch twice at one onset (on a grid, or with a time step of 0): played
    as drawn, the second note-on ends the first at once, a zero-length note and a retrigger. Such a pair is
    one note, as long and as loud as the longer and the louder of the two."""
    merged: list[AnswerNote] = []
    for note in notes:
        twin = next((i for i, kept in enumerate(merged) if kept.pitch == note.pitch and kept.channel == note.channel
                     and abs(kept.onset_ms - note.onset_ms) < UNISON_MS), None)
        if twin is None:
            merged.append(note)
        else:
            kept = merged[twin]
            merged[twin] = AnswerNote(kept.onset_ms, kept.pitch, max(kept.velocity, note.velocity),
                                      max(kept.duration_ms, note.duration_ms), kept.channel, kept.voice)
    return separate_repeats(tuple(merged))


REPEAT_GAP_MS = 3.0  # a note-off and the next note-on of its pitch and channel: two instants, no audible gap


def separate_repeats(notes: tuple[AnswerNote, ...]) -> tuple[AnswerNote, ...]:
    """A note that lasts up to (or past) the next note of its pitch on its channel ends REPEAT_GAP_MS
    before it: sent at one instant, a note-off and a note-on of one pitch can reach a synth in either order,
    and the note-on first is a zero-length note. (Notes in onset order, as a phrase holds them.)"""
    shortened = list(notes)
    next_onset: dict[tuple[int, int], float] = {}
    for i in range(len(notes) - 1, -1, -1):
        note, key = notes[i], (notes[i].pitch, notes[i].channel)
        following = next_onset.get(key)
        if following is not None and note.onset_ms + note.duration_ms > following - REPEAT_GAP_MS:
            duration = max(following - REPEAT_GAP_MS - note.onset_ms, min(note.duration_ms, 1.0))
            shortened[i] = replace(note, duration_ms=duration)
        next_onset[key] = note.onset_ms
    return tuple(shortened)


@dataclass(frozen=True)
class Phrase:
    phrase_id: int
    notes: tuple[AnswerNote, ...]
    created_at: float   # engine clock, seconds
    anchor: float | None = None  # engine clock time that onset_ms count from; None: when it is played
    start_beat: float | None = None  # the host beat of the first note, when a host clock placed it
    bpm: float | None = None         # the host tempo it was placed at

    def placement(self) -> Placement | None:
        """Where the phrase sits on the host's beats (None in free time): its first note on start_beat."""
        if self.start_beat is None or not self.bpm or self.anchor is None or not self.notes:
            return None
        return Placement(self.anchor + self.notes[0].onset_ms / 1000.0, self.start_beat, self.bpm)


# --- the events ---------------------------------------------------------------------------------------
# NamedTuples: a note's event is made on the hot path, and a tuple is the cheapest immutable record.
class NoteStarted(NamedTuple):
    pitch: int
    velocity: int
    duration_ms: float
    channel: int
    voice: int


class NoteEnded(NamedTuple):
    pitch: int
    channel: int
    voice: int


class NoteHeard(NamedTuple):
    """A note the performer played (any edge), as the daemon took it in; ``at`` is its arrival (engine clock)."""
    pitch: int
    velocity: int
    channel: int
    at: float


class NoteReleased(NamedTuple):
    pitch: int
    channel: int
    at: float


class AllNotesOff(NamedTuple):
    """Every pitch ever sent per channel (``{channel: pitches}``), and the channels to silence whole."""
    ever_sent: dict[int, tuple[int, ...]]
    channels: tuple[int, ...]


class PhraseDrawn(NamedTuple):
    """A call-and-response answer, drawn whole, with every note's onset, before its first note sounds."""
    phrase: Phrase


class NotePlanned(NamedTuple):
    """The accompaniment's next note, drawn ahead: it sounds at ``at`` (engine clock) unless the
    performer plays first."""
    at: float
    pitch: int
    velocity: int
    duration_ms: float
    channel: int
    voice: int


class SettingChanged(NamedTuple):
    name: str
    value: object   # as stored: a bool, a number, a choice, a Scale


class KeyChanged(NamedTuple):
    """The scale answers keep to: ``atoms`` as :meth:`~djai_live.scales.Scale.atoms`, ``words`` as one text."""
    atoms: tuple
    words: str


class ErrorRaised(NamedTuple):
    message: str


class PortChanged(NamedTuple):
    direction: str  # in | out
    state: str      # gone | back
    name: str


class Reply(NamedTuple):
    """The answer to a command that asks for one: ``kind`` is the command's (status, capabilities, pong,
    loaded, reset) and ``values`` its flat name/value list or arguments. ``audience`` names the one edge
    that asked, when only it should hear the answer (the page's own status polls): "" is every edge."""
    kind: str
    values: tuple = ()
    audience: str = ""


Event = (NoteStarted | NoteEnded | NoteHeard | NoteReleased | AllNotesOff | PhraseDrawn | NotePlanned
         | SettingChanged | KeyChanged | ErrorRaised | PortChanged | Reply)
Handler = Callable[[Event], None]
SubscriptionT = TypeVar("SubscriptionT", bound="Subscription")


# --- the stream ---------------------------------------------------------------------------------------
class Subscription:
    """A queued subscriber: its own bounded queue and thread. ``dropped`` counts the events it lost by
    falling more than ``capacity`` behind."""

    linger_s = 0.0  # how long the thread waits after the event that woke it before it takes what is queued

    def __init__(self, handler: Handler, capacity: int, name: str) -> None:
        self.handler = handler
        self._start(capacity, name)

    def _start(self, capacity: int, name: str) -> None:
        self.name = name
        self.dropped = 0
        self._queue: deque = deque(maxlen=capacity)
        self._condition = threading.Condition()
        self._open = True
        self._thread = threading.Thread(target=self._run, name=f"djai-events-{name}", daemon=True)
        self._thread.start()

    def put(self, event: Event) -> None:
        with self._condition:
            if len(self._queue) == self._queue.maxlen:
                self.dropped += 1
            self._queue.append(event)
            self._condition.notify()

    def close(self, timeout: float = 2.0) -> None:
        """Deliver what is queued, then stop."""
        with self._condition:
            self._open = False
            self._condition.notify()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._queue or not self._open)
                if not self._queue:
                    return
                closing = not self._open
            if self.linger_s and not closing:
                time.sleep(self.linger_s)
            with self._condition:
                events = self._take()
            try:
                self._deliver(events)
            except Exception as error:
                log.warning("event subscriber %s failed on %s: %s", self.name,
                            type(events[0]).__name__ if len(events) == 1 else f"{len(events)} events", error)

    def _take(self) -> list[Event]:
        """What one call of the handler gets, taken from the queue (under the condition's lock)."""
        return [self._queue.popleft()]

    def _deliver(self, events: list[Event]) -> None:
        self.handler(events[0])


BatchHandler = Callable[[list[Event]], None]


class BatchSubscription(Subscription):
    """A queued subscriber that takes what has queued up in one call, ``linger_s`` after the event that woke
    it: the burst that event began (a melody note, then the notes the daemon answers it with) comes whole,
    and the subscriber's work (taking the interpreter lock, then a socket call) comes after the notes it
    shows, not while they are drawn (scripts/bench_page.py: harmonizing latency with pages open)."""

    def __init__(self, handler: BatchHandler, capacity: int, name: str, linger_s: float) -> None:
        self.batch_handler, self.linger_s = handler, linger_s
        self._start(capacity, name)

    def _take(self) -> list[Event]:
        events = list(self._queue)
        self._queue.clear()
        return events

    def _deliver(self, events: list[Event]) -> None:
        self.batch_handler(events)


class EventStream:
    """Publishes each event to every subscriber; thread-safe. See the module docstring for the two kinds."""

    def __init__(self) -> None:
        self._inline: tuple[Handler, ...] = ()
        self._queued: tuple[Subscription, ...] = ()
        self._lock = threading.Lock()

    def subscribe_inline(self, handler: Handler) -> None:
        """A subscriber that sends without blocking, called on the publishing thread (the note edges)."""
        with self._lock:
            self._inline = self._inline + (handler,)

    def subscribe(self, handler: Handler, capacity: int = 1024, name: str = "subscriber") -> Subscription:
        """Any other subscriber: called on its own thread, at most ``capacity`` events behind."""
        return self._add(Subscription(handler, capacity, name))

    def subscribe_batches(self, handler: BatchHandler, capacity: int = 1024, name: str = "subscriber",
                          linger_s: float = 0.005) -> BatchSubscription:
        """A queued subscriber called with every event queued ``linger_s`` after the one that woke it (see
        :class:`BatchSubscription`), at most ``capacity`` events behind."""
        return self._add(BatchSubscription(handler, capacity, name, linger_s))

    def _add(self, subscription: SubscriptionT) -> SubscriptionT:
        with self._lock:
            self._queued = self._queued + (subscription,)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._queued = tuple(s for s in self._queued if s is not subscription)
        subscription.close()

    def publish(self, event: Event) -> None:
        # The tuples are replaced, never changed, so they are read here without the lock.
        for handler in self._inline:
            try:
                handler(event)
            except Exception as error:  # a dead port must not silence the other outputs
                log.warning("%s failed on %s: %s", getattr(handler, "__qualname__", handler),
                            type(event).__name__, error)
        for subscription in self._queued:
            subscription.put(event)

    @property
    def dropped(self) -> int:
        """Events the queued subscribers lost by falling behind, all together."""
        return sum(subscription.dropped for subscription in self._queued)

    def close(self) -> None:
        with self._lock:
            queued, self._queued = self._queued, ()
        for subscription in queued:
            subscription.close()
