"""The event stream: every subscriber gets every event once; none can hold up the publisher."""
import threading

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
