"""The scheduler: every note-on gets exactly one note-off, whatever happens."""
import threading
import time

from djai_live.live.events import AllNotesOff, AnswerNote, EventStream, NoteEnded, NoteStarted, Phrase
from djai_live.live.scheduler import Scheduler
from tests.support.osc import assert_each_note_ends_once


class RecordingSink:
    """An inline subscriber of the event stream (the scheduler's ``publish``): notes on and off, timed."""

    def __init__(self) -> None:
        self.events = []
        self.lock = threading.Condition()

    def wait_for(self, count: int, timeout: float = 10.0) -> list:
        """The events once ``count`` have been sent (a deadline, not a guess at how long they take)."""
        with self.lock:
            assert self.lock.wait_for(lambda: len(self.events) >= count, timeout), \
                f"waited {timeout}s for {count} events; got {self.events}"
            return list(self.events)

    def __call__(self, event) -> None:
        if isinstance(event, NoteStarted):
            self.note(("on", event.pitch, event.channel, time.monotonic()))
        elif isinstance(event, NoteEnded):
            self.note(("off", event.pitch, event.channel, time.monotonic()))
        elif isinstance(event, AllNotesOff):
            self.all_notes_off(event.ever_sent, event.channels)

    def note(self, record) -> None:
        with self.lock:
            self.events.append(record)
            self.lock.notify_all()

    def all_notes_off(self, ever_sent, channels):
        pass


def phrase(*notes, phrase_id=1):
    return Phrase(phrase_id, tuple(AnswerNote(onset, pitch, 90, duration, 1) for onset, pitch, duration in notes), 0.0)


def assert_balanced(events):
    """Each note-on is closed by one note-off of its (pitch, channel) before that key sounds again."""
    assert_each_note_ends_once((kind, (pitch, channel)) for kind, pitch, channel, _ in events)


def test_notes_play_in_time_and_all_end():
    sink = RecordingSink()
    scheduler = Scheduler(sink).start()
    start = time.monotonic()
    scheduler.play(phrase((0, 60, 30), (20, 62, 30), (40, 64, 30)), start=start)
    sink.wait_for(6)
    scheduler.close()
    assert [(k, p) for k, p, _, _ in sink.events] == [("on", 60), ("on", 62), ("off", 60), ("on", 64),
                                                      ("off", 62), ("off", 64)]
    assert_balanced(sink.events)
    planned = [0.0, 0.02, 0.03, 0.04, 0.05, 0.07]  # never early (how late is for bench_latency.py to say)
    assert all(when >= start + due for (_, _, _, when), due in zip(sink.events, planned))


def test_a_newer_phrase_ends_the_older_one():
    sink = RecordingSink()
    scheduler = Scheduler(sink).start()
    scheduler.play(phrase((0, 60, 1000), (500, 62, 100)))
    sink.wait_for(1)
    scheduler.play(phrase((0, 70, 20), phrase_id=2))
    sink.wait_for(4)
    scheduler.close()
    pitches = [(k, p) for k, p, _, _ in sink.events]
    assert pitches == [("on", 60), ("off", 60), ("on", 70), ("off", 70)]
    assert_balanced(sink.events)


def test_panic_and_close_end_every_sounding_note():
    sink = RecordingSink()
    scheduler = Scheduler(sink).start()
    scheduler.play(phrase((0, 60, 5000), (0, 64, 5000), (0, 67, 5000), (3000, 72, 100)))
    sink.wait_for(3)
    assert scheduler.sounding == 3
    assert scheduler.panic() == 3
    assert scheduler.pending == 0
    scheduler.play(phrase((0, 48, 5000)))
    sink.wait_for(7)
    assert scheduler.close() == 1
    assert_balanced(sink.events)


def test_overlapping_notes_of_one_key_are_retriggered_cleanly():
    sink = RecordingSink()
    scheduler = Scheduler(sink).start()
    scheduler.play(phrase((0, 60, 100), (30, 60, 100), (60, 60, 20)))
    sink.wait_for(6)
    scheduler.close()
    assert [k for k, _, _, _ in sink.events] == ["on", "off", "on", "off", "on", "off"]
    assert_balanced(sink.events)


def test_a_failing_subscriber_does_not_stop_the_others():
    def broken(event):
        raise OSError("port gone")

    sink = RecordingSink()
    stream = EventStream()
    stream.subscribe_inline(broken)
    stream.subscribe_inline(sink)
    scheduler = Scheduler(stream.publish).start()
    scheduler.play(phrase((0, 60, 10)))
    sink.wait_for(2)
    scheduler.close()
    assert [k for k, _, _, _ in sink.events] == ["on", "off"]


def test_next_due_tells_when_the_next_event_leaves():
    scheduler = Scheduler(RecordingSink(), clock=lambda: 50.0)  # not started: nothing fires
    assert scheduler.next_due() is None
    scheduler.play(phrase((200.0, 60, 100.0), (40.0, 62, 30.0)))
    assert scheduler.next_due() == 50.04
    scheduler.cancel()
    assert scheduler.next_due() is None


def test_a_phrase_with_an_anchor_is_placed_from_it():
    now = [10.0]
    scheduler = Scheduler(RecordingSink(), clock=lambda: now[0])
    anchored = Phrase(1, (AnswerNote(250.0, 60, 90, 100.0, 1),), 0.0, anchor=9.5)
    scheduler.play(anchored, start=anchored.anchor)
    assert scheduler.next_due() == 9.75


def test_retime_moves_pending_notes_and_keeps_their_order():
    clock_now = [100.0]
    scheduler = Scheduler(RecordingSink(), clock=lambda: clock_now[0])  # not started: events stay pending
    scheduler.play(phrase((0, 60, 100), (200, 62, 100), (400, 64, 100)), start=100.0)
    moved = scheduler.retime(lambda t: 100.0 + (t - 100.0) * 2.0)   # half the tempo
    assert moved == 6
    times = sorted((event[0], event[2], event[3]) for event in scheduler._events)
    assert [(round(t, 6), kind, pitch) for t, kind, pitch in times] == [
        (100.0, "on", 60), (100.2, "off", 60), (100.4, "on", 62), (100.6, "off", 62), (100.8, "on", 64),
        (101.0, "off", 64)]
    assert scheduler.next_due() == 100.0


class AllNotesOffSink(RecordingSink):
    def __init__(self) -> None:
        super().__init__()
        self.swept = []

    def all_notes_off(self, ever_sent, channels):
        with self.lock:
            self.swept.append((dict(ever_sent), channels))


def test_all_notes_off_ends_every_pitch_ever_sent_on_every_channel_used():
    """A receiver that missed a note-off (its listener was closed) is still cleared: the sweep does not
    depend on what the scheduler believes is sounding."""
    sink = AllNotesOffSink()
    scheduler = Scheduler(sink).start()
    scheduler.play(Phrase(1, (AnswerNote(0, 60, 90, 10, 1), AnswerNote(0, 67, 90, 10, 3)), 0.0))
    deadline = time.monotonic() + 5
    while scheduler.sounding or scheduler.pending:  # both notes have ended, as far as the scheduler knows
        assert time.monotonic() < deadline
        time.sleep(0.005)
    scheduler.play(phrase((0, 72, 5000)))
    while scheduler.sounding == 0:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    assert scheduler.panic() == 1
    assert sink.swept == [({1: (60, 72), 3: (67,)}, (1, 3))]
    assert sink.events[-1][:2] == ("off", 72)  # the known note-off first, then the sweep
    scheduler.close()  # shutdown sweeps again
    assert len(sink.swept) == 2
    assert_balanced(sink.events)


def test_the_sweep_covers_the_accompaniments_notes_too():
    """Accompaniment notes leave by start_note, not by a phrase: a panic still ends them without memory."""
    sink = AllNotesOffSink()
    scheduler = Scheduler(sink).start()
    scheduler.start_note(60, 90, 5, 2)
    scheduler.start_note(48, 90, 5000, 4)
    scheduler.end_note(48, 4)
    sink.wait_for(4)  # 60's note-off after 5 ms, 48's at once
    scheduler.panic()
    assert sink.swept == [({2: (60,), 4: (48,)}, (2, 4))]
    scheduler.close()
    assert_balanced(sink.events)


def test_a_note_ended_early_leaves_nothing_due():
    """end_note and a retrigger end a note before its scheduled note-off, which then has nothing to send:
    the scheduler drops it instead of waking (and spinning) for it while the engine draws the next chord."""
    sink = RecordingSink()
    scheduler = Scheduler(sink).start()
    scheduler.start_note(60, 90, 30, 1)
    scheduler.end_note(60, 1)
    scheduler.start_note(62, 90, 60_000, 1)
    scheduler.start_note(62, 90, 30, 1)  # retrigger: the first 62's note-off is stale
    sink.wait_for(6)  # on 60, off 60, on 62, off 62 (retrigger), on 62, then the second 62's own note-off
    deadline = time.monotonic() + 5
    while scheduler.pending:
        assert time.monotonic() < deadline, f"{scheduler.pending} stale note-offs still pending"
        time.sleep(0.005)
    assert [event[:2] for event in sink.events] == [("on", 60), ("off", 60), ("on", 62), ("off", 62), ("on", 62),
                                                    ("off", 62)]
    scheduler.close()


def test_start_up_silences_every_channel_though_nothing_was_sent():
    sink = AllNotesOffSink()
    scheduler = Scheduler(sink)
    scheduler.all_notes_off(range(1, 17))
    assert sink.swept == [({}, tuple(range(1, 17)))] and sink.events == []


def test_the_scheduler_thread_says_whether_it_got_real_time_scheduling():
    scheduler = Scheduler(RecordingSink(), realtime_priority=10).start()
    outcome = scheduler.wait_realtime(5.0)
    scheduler.close()
    assert outcome.startswith("SCHED_FIFO priority 10") or outcome.startswith("not ")
    plain = Scheduler(RecordingSink()).start()
    assert plain.wait_realtime(5.0) == "not asked"
    plain.close()
