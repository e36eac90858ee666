from djai_live.live.queue import DropOldestQueue


def test_a_flood_of_notes_drops_the_oldest_notes_only():
    queue = DropOldestQueue(capacity=10, control_capacity=4)
    queue.put("panic", control=True)
    for i in range(1000):
        queue.put(i)
    assert len(queue) == 11 and queue.dropped == 990
    assert queue.get(0) == "panic"  # control first, and never pushed out by notes
    assert [queue.get(0) for _ in range(10)] == list(range(990, 1000))
    assert queue.get(0.01) is None


def test_dropping_the_notes_before_a_panic_keeps_the_control_lane_and_the_notes_after():
    queue = DropOldestQueue()
    for i in range(5):
        queue.put(("note", i))
    queue.put("set", control=True)
    assert queue.put("panic", control=True, supersede_notes=True) == 5
    queue.put(("note", 5))
    assert [queue.get(0) for _ in range(3)] == ["set", "panic", ("note", 5)]
    assert queue.get(0.01) is None and queue.dropped == 0
