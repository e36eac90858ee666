"""The event stream: every subscriber gets every event once; none can hold up the publisher."""
import threading
import time

from djai_live.live.events import ErrorRaised, EventStream, NoteEnded, NoteStarted


def test_inline_subscribers_get_each_event_in_order_on_the_publishing_thread():
    stream, seen = EventStream(), []
    stream.subscribe_inline(lambda event: seen.append(("first", event, threading.current_thread())))
    stream.subscribe_inline(lambda event: seen.append(("second", event, threading.current_thread())))
    on, off = NoteStarted(60, 90, 250.0, 1, 0), NoteEnded(60, 1, 0)
    stream.publish(on)
    stream.publish(off)
    assert [(name, event) for name, event, _ in seen] == [("first", on), ("second", on), ("first", off),
                                                         ("second", off)]
    assert {thread for _, _, thread in seen} == {threading.current_thread()}


def test_a_failing_subscriber_is_logged_and_the_others_still_receive(caplog):
    stream, seen = EventStream(), []

    def broken(event):
        raise OSError("port gone")

    stream.subscribe_inline(broken)
    stream.subscribe_inline(seen.append)
    stream.publish(ErrorRaised("x"))
    assert seen == [ErrorRaised("x")]
    assert "port gone" in caplog.text


def test_a_slow_subscriber_never_delays_the_publisher_and_loses_the_oldest_events_counted():
    stream, received, taken, release = EventStream(), [], threading.Event(), threading.Event()

    def slow(event):
        taken.set()
        assert release.wait(10)  # a browser tab that stopped reading
        received.append(event)

    subscription = stream.subscribe(slow, capacity=8, name="slow")
    fast = []
    stream.subscribe_inline(fast.append)
    stream.publish(NoteStarted(0, 90, 100.0, 1, 0))
    assert taken.wait(10)                   # the slow subscriber holds the first event and reads no more
    for pitch in range(1, 100):
        stream.publish(NoteStarted(pitch, 90, 100.0, 1, 0))
    assert len(fast) == 100 and received == []  # every publish returned while the slow one was stuck
    assert stream.dropped == 91
    release.set()
    stream.close()                          # what is queued is delivered before the thread stops
    # the first event was taken before the queue filled; of the 99 after it, the newest 8 were kept
    assert [event.pitch for event in received] == [0] + list(range(92, 100))
    assert subscription.dropped == 91 and stream.dropped == 0  # (closed: no subscribers left to count)


def test_an_unsubscribed_subscriber_gets_nothing_more():
    stream, received = EventStream(), []
    subscription = stream.subscribe(received.append, name="page")
    stream.publish(ErrorRaised("before"))
    stream.unsubscribe(subscription)
    stream.publish(ErrorRaised("after"))
    assert received == [ErrorRaised("before")]


def test_a_batch_subscriber_takes_a_burst_in_one_call_after_its_linger_in_order():
    stream, calls, woke = EventStream(), [], threading.Event()

    def take(events):
        calls.append((time.monotonic(), list(events)))
        woke.set()

    stream.subscribe_batches(take, name="page", linger_s=0.05)
    first = time.monotonic()
    burst = [NoteStarted(pitch, 90, 100.0, 1, 0) for pitch in range(60, 66)]
    for event in burst:               # a melody note and the notes answering it, well within the linger
        stream.publish(event)
    assert woke.wait(10)
    assert len(calls) == 1 and calls[0][1] == burst
    assert calls[0][0] - first >= 0.05   # not before the linger: the burst's own work comes first
    woke.clear()
    stream.publish(NoteEnded(60, 1, 0))
    assert woke.wait(10)
    assert [events for _, events in calls] == [burst, [NoteEnded(60, 1, 0)]]
    stream.close()


def test_a_batch_subscriber_counts_what_it_drops_and_delivers_the_rest_on_close(caplog):
    stream, received, taken, release = EventStream(), [], threading.Event(), threading.Event()

    def slow(events):
        taken.set()
        assert release.wait(10)
        received.extend(events)
        if len(received) > 1:
            raise OSError("the page's server went away")

    subscription = stream.subscribe_batches(slow, capacity=4, name="page", linger_s=0.0)
    stream.publish(NoteStarted(0, 90, 100.0, 1, 0))
    assert taken.wait(10)
    for pitch in range(1, 20):
        stream.publish(NoteStarted(pitch, 90, 100.0, 1, 0))
    assert subscription.dropped == 15
    release.set()
    stream.close()
    assert [event.pitch for event in received] == [0, 16, 17, 18, 19]
    assert "page failed on 4 events: the page's server went away" in caplog.text


def test_a_note_ends_before_the_next_note_of_its_pitch_and_channel_begins():
    from djai_live.live.events import REPEAT_GAP_MS, AnswerNote, merge_unisons

    legato = AnswerNote(0.0, 60, 90, 250.0, 1)             # lasts exactly to the next 60
    again = AnswerNote(250.0, 60, 90, 250.0, 1)
    past = AnswerNote(500.0, 62, 90, 400.0, 1)              # lasts past the next 62
    other_channel = AnswerNote(600.0, 62, 90, 100.0, 2)
    short = AnswerNote(700.0, 62, 90, 50.0, 1)
    notes = merge_unisons((legato, again, past, other_channel, short))
    assert [n.duration_ms for n in notes] == [250.0 - REPEAT_GAP_MS, 250.0, 200.0 - REPEAT_GAP_MS, 100.0, 50.0]
    assert [n.onset_ms for n in notes] == [0.0, 250.0, 500.0, 600.0, 700.0]
