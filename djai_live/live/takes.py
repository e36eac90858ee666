"""Keeping every take: what the performer played and what the daemon answered, as Standard MIDI Files.

A take runs from the first note after a silence (or after recording is switched on) until the next silence
of ``silence_s`` (or recording off). The recorder is an inline subscriber of the event stream whose only
work on the publishing thread is to stamp the event and append it to a deque (a note's hot path gains one
clock read); its own thread, below the daemon's, turns the stamped events into the take and writes it
every ``flush_s``: the whole file again, to a temporary file that is synced and then renamed over the
take, so a reader, a ``kill -9`` or a power cut finds the previous complete file, never a broken one.

The file: track 0 holds the tempo map (the host clock's tempo where there is one, else ``tempo_bpm``), the
meter and a text event with the model and settings; then the performer's track, then one track per daemon
voice and channel, named ``djai_live answer ...`` (:data:`ANSWER_TRACK_PREFIX`), which training leaves out
unless asked, so a take teaches the performer's music by default. Seconds map onto ticks through that
tempo map, so every note keeps its arrival (performer) or sending (daemon) time to within half a tick
(0.26 ms at 120 BPM).
"""
from __future__ import annotations

import json
import logging
import os
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mido.midifiles.meta import encode_variable_int

from ..midi_files import ANSWER_TRACK_PREFIX, TAKE_NAME
from .events import AllNotesOff, Event, NoteEnded, NoteHeard, NoteReleased, NoteStarted
from .realtime import request_realtime

log = logging.getLogger(__name__)

TICKS_PER_BEAT = 960
PERFORMER_TRACK = "performer"
SILENCE_S = 10.0        # nothing played or sounding for this long ends a take
FLUSH_S = 1.0           # a take in progress is written at least this often: what a kill -9 may lose
POLL_S = 0.25           # how often the writer thread looks at what arrived
TEMPO_CHANGE = 0.005    # a host tempo that moved by more than this fraction is a new tempo event


class TempoMap:
    """Seconds to ticks through a take's tempo changes (piecewise constant tempo). Changes are only ever
    added at the present, so a time already converted keeps its ticks."""

    def __init__(self, started: float, bpm: float, offset_beats: float) -> None:
        # (start s, ticks at start, ticks per second, bpm)
        self.segments: list[tuple[float, float, float, float]] = [
            (started, offset_beats * TICKS_PER_BEAT, bpm / 60.0 * TICKS_PER_BEAT, bpm)]

    @property
    def bpm(self) -> float:
        return self.segments[-1][3]

    def change(self, at: float, bpm: float) -> None:
        at = max(at, self.segments[-1][0])
        self.segments.append((at, self._exact(at), bpm / 60.0 * TICKS_PER_BEAT, bpm))

    def ticks(self, when: float) -> int:
        return max(0, round(self._exact(when)))

    def _exact(self, when: float) -> float:
        for at, ticks, rate, _ in reversed(self.segments):
            if at <= when:
                return ticks + (when - at) * rate
        at, ticks, rate, _ = self.segments[0]
        return ticks + (when - at) * rate


class TrackBytes:
    """One MIDI track's events, encoded as they come (delta time, then the message's bytes): a flush copies
    bytes, it never encodes the take again."""

    def __init__(self, name: str) -> None:
        self.data = bytearray()
        self.last_tick = 0
        self.add(0, mido_meta("track_name", name=name))

    def add(self, tick: int, message: bytes) -> None:
        tick = max(tick, self.last_tick)   # stamps from two threads may be a hair out of order
        self.data += bytes(encode_variable_int(tick - self.last_tick)) + message
        self.last_tick = tick

    def chunk(self, closing: list[tuple[int, bytes]] | None = None) -> bytes:
        """The track chunk, with ``closing`` events (note-offs of notes still sounding) before its end."""
        data, last = bytearray(self.data), self.last_tick
        for tick, message in sorted(closing or []):
            tick = max(tick, last)
            data += bytes(encode_variable_int(tick - last)) + message
            last = tick
        data += b"\x00\xff\x2f\x00"   # end of track
        return b"MTrk" + struct.pack(">I", len(data)) + bytes(data)


TrackKey = str | tuple[int, int]   # PERFORMER_TRACK, or a daemon voice's (voice, channel)


def track_name(key: TrackKey) -> str:
    return key if isinstance(key, str) else f"{ANSWER_TRACK_PREFIX} voice {key[0]} channel {key[1]}"


def mido_meta(kind: str, **values) -> bytes:
    import mido

    return bytes(mido.MetaMessage(kind, **values).bytes())


def note_bytes(on: bool, pitch: int, velocity: int, channel: int) -> bytes:
    return bytes(((0x90 if on else 0x80) | (channel - 1), pitch, velocity if on else 0))


@dataclass
class Take:
    """One take: times in seconds on the daemon's clock (``time.monotonic``), encoded into tracks as they come."""

    path: Path
    started: float                  # the first note's time
    tempo: TempoMap
    beats_per_bar: int = 4
    description: dict = field(default_factory=dict)
    tracks: dict[TrackKey, TrackBytes] = field(default_factory=dict)
    sounding: dict[tuple[TrackKey, int, int], float] = field(default_factory=dict)  # (track, channel, pitch) -> on
    last_activity: float = 0.0
    note_ons: int = 0
    events: int = 0
    written_events: int = -1        # events when last written

    @property
    def changed(self) -> bool:
        return self.written_events != self.events

    def track(self, key: TrackKey) -> TrackBytes:
        track = self.tracks.get(key)
        if track is None:
            track = self.tracks[key] = TrackBytes(track_name(key))
        return track

    def to_bytes(self, until: float) -> bytes:
        """The whole Standard MIDI File (type 1) as it stands; notes still sounding end at ``until``."""
        conductor = TrackBytes(TAKE_NAME)
        conductor.add(0, mido_meta("time_signature", numerator=self.beats_per_bar, denominator=4))
        conductor.add(0, mido_meta("text", text="djai_live " + json.dumps(self.description, sort_keys=True)))
        for at, ticks, _, bpm in self.tempo.segments:
            conductor.add(0 if at == self.started else round(ticks), mido_meta("set_tempo", tempo=round(60e6 / bpm)))
        end = self.tempo.ticks(until)
        closing: dict[TrackKey, list[tuple[int, bytes]]] = {}
        for track, channel, pitch in self.sounding:
            closing.setdefault(track, []).append((end, note_bytes(False, pitch, 0, channel)))
        order = sorted(self.tracks, key=lambda key: (0, 0, 0) if isinstance(key, str) else (1, *key))
        chunks = [conductor.chunk()] + [self.tracks[key].chunk(closing.get(key, [])) for key in order]
        header = b"MThd" + struct.pack(">IHHH", 6, 1, len(chunks), TICKS_PER_BEAT)
        return header + b"".join(chunks)


def write_atomically(data: bytes, path: Path) -> None:
    """Write a whole file beside ``path``, sync it, and rename it over ``path``."""
    temporary = path.with_name(path.name + ".part")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


@dataclass
class HostTime:
    """What the host clock says at a time: tempo, and the beat where one is known (None in free time)."""

    bpm: float
    beat: float | None


class TakeRecorder:
    """Records takes into ``folder``. ``host_time(t)`` gives the tempo (and beat) at engine time t;
    ``describe()`` the model and settings for the take's text event; ``beats_per_bar()`` the meter."""

    def __init__(self, folder: str | os.PathLike, host_time: Callable[[float], HostTime],
                 describe: Callable[[], dict], beats_per_bar: Callable[[], int], recording: bool = True,
                 silence_s: float = SILENCE_S, flush_s: float = FLUSH_S, clock: Callable[[], float] = time.monotonic,
                 on_error: Callable[[str], None] | None = None, realtime_priority: int | None = None,
                 on_take: Callable[[Path, float], None] | None = None) -> None:
        self.folder = Path(folder)
        self.realtime_priority = realtime_priority
        self.host_time, self.describe, self.beats_per_bar = host_time, describe, beats_per_bar
        self.silence_s, self.flush_s, self.clock = silence_s, flush_s, clock
        self.on_error = on_error or (lambda message: None)
        self.on_take = on_take or (lambda path, seconds: None)   # a take written whole: its file and length
        self.recording = recording
        self.take: Take | None = None
        self.last_path: Path | None = None
        self.takes_written = 0
        self._arrived: deque[tuple[float, Event]] = deque()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._last_flush = 0.0
        self._thread: threading.Thread | None = None

    # --- on the publishing threads: stamp and append, nothing else ------------------------------------
    def __call__(self, event: Event) -> None:
        if not self.recording:
            return
        if isinstance(event, (NoteHeard, NoteReleased)):
            self._arrived.append((event.at, event))   # its arrival, stamped by the edge
        elif isinstance(event, (NoteStarted, NoteEnded, AllNotesOff)):
            self._arrived.append((self.clock(), event))   # published as it is sent

    # --- control (the engine thread) ------------------------------------------------------------------
    def set_recording(self, on: bool) -> None:
        """Recording on: the next note starts a take. Off: the take in progress ends and is written."""
        self.recording = on
        if not on:
            self._wake.set()

    def start(self) -> TakeRecorder:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OSError(f"cannot record takes into {self.folder}: {error.strerror or error}") from None
        if not os.access(self.folder, os.W_OK):
            raise OSError(f"cannot record takes into {self.folder}: not writable")
        self._thread = threading.Thread(target=self._run, name="djai-takes", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """End the take in progress and write it."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5.0)

    # --- the writer thread ----------------------------------------------------------------------------
    def _run(self) -> None:
        if self.realtime_priority is not None:
            # As the engine thread: a thread that holds the interpreter lock must not be preempted by a busy
            # machine while the scheduler waits for the lock (a lower priority would be a priority inversion)
            request_realtime(self.realtime_priority)
        while True:
            stopping = self._stop.is_set()
            try:
                self.step(self.clock(), final=stopping)
            except Exception as error:  # a full disk must not end the concert; say it, keep recording
                log.exception("recording a take")
                self.on_error(f"recording a take into {self.folder}: {error}")
            if stopping:
                return
            self._wake.wait(POLL_S)
            self._wake.clear()

    def step(self, now: float, final: bool = False) -> None:
        """Take what arrived into the take, end it after a silence, and write it when due."""
        while self._arrived:
            when, event = self._arrived.popleft()
            self._add(when, event)
        take = self.take
        if take is None:
            return
        ended = (final or not self.recording
                 or (not take.sounding and now - take.last_activity >= self.silence_s))
        if ended or now - self._last_flush >= self.flush_s:
            self._follow_tempo(take, now)
            if take.changed or ended:
                until = now if take.sounding else max(take.last_activity, take.started)
                write_atomically(take.to_bytes(until), take.path)
                take.written_events = take.events
            self._last_flush = now
        if ended:
            log.info("take written: %s (%d notes)", take.path, take.note_ons)
            self.last_path = take.path
            self.takes_written += 1
            self.take = None
            if take.note_ons:
                self.on_take(take.path, max(take.last_activity - take.started, 0.0))

    def _add(self, when: float, event: Event) -> None:
        starts = isinstance(event, (NoteStarted, NoteHeard))
        if self.take is None:
            if not starts:
                return   # the end of a note from before the take, or an all-notes-off in the silence
            self.take = self._new_take(when)
        take = self.take
        if isinstance(event, NoteHeard):
            self._note(take, when, True, event.pitch, event.velocity, event.channel, PERFORMER_TRACK)
        elif isinstance(event, NoteReleased):
            self._note(take, when, False, event.pitch, 0, event.channel, PERFORMER_TRACK)
        elif isinstance(event, NoteStarted):
            self._note(take, when, True, event.pitch, event.velocity, event.channel, (event.voice, event.channel))
        elif isinstance(event, NoteEnded):
            self._note(take, when, False, event.pitch, 0, event.channel, (event.voice, event.channel))
        elif isinstance(event, AllNotesOff):
            for track, channel, pitch in [key for key in take.sounding if key[0] != PERFORMER_TRACK]:
                self._note(take, when, False, pitch, 0, channel, track)

    def _note(self, take: Take, when: float, on: bool, pitch: int, velocity: int, channel: int,
              track: TrackKey) -> None:
        key = (track, channel, pitch)
        if not on and take.sounding.pop(key, None) is None:
            return   # a note-off for a note the take never saw start (and no track made for it)
        lane, tick = take.track(track), take.tempo.ticks(when)
        if on:
            if key in take.sounding:   # struck again while sounding: the old one ends here
                lane.add(tick, note_bytes(False, pitch, 0, channel))
            take.sounding[key] = when
            take.note_ons += 1
        lane.add(tick, note_bytes(on, pitch, velocity, channel))
        take.events += 1
        take.last_activity = max(take.last_activity, when)

    def _new_take(self, when: float) -> Take:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() - (self.clock() - when)))
        path = self.folder / f"take-{stamp}.mid"
        suffix = 2
        while path.exists():
            path = self.folder / f"take-{stamp}-{suffix}.mid"
            suffix += 1
        host = self.host_time(when)
        beats_per_bar = max(1, int(self.beats_per_bar()))
        offset = (host.beat % beats_per_bar) if host.beat is not None and host.beat >= 0 else 0.0
        take = Take(path=path, started=when, tempo=TempoMap(when, host.bpm, offset), beats_per_bar=beats_per_bar,
                    description=self.describe(), last_activity=when)
        log.info("recording a take: %s", path)
        return take

    def _follow_tempo(self, take: Take, now: float) -> None:
        bpm = self.host_time(now).bpm
        if abs(bpm - take.tempo.bpm) > TEMPO_CHANGE * take.tempo.bpm:
            take.tempo.change(now, bpm)
            take.events += 1
