"""`serve --model chorale --mode accompany` as a subprocess over real UDP: it plays along, ends every note."""
import signal
import time

import pytest

from djai_live.model_files import bundled_models

from tests.support.osc import OscPeer, free_udp_port, running_daemon

pytestmark = pytest.mark.skipif("chorale" not in bundled_models(), reason="the chorale model is not bundled")

SOPRANO = (67, 67, 69, 71, 72, 71, 69, 67)


FLUSH_S = 0.05  # panic and shutdown send a note-off for every pitch ever sent right before /djai/all_notes_off


def balance(peer: OscPeer) -> dict[tuple[int, int], int]:
    """Note-ons minus note-offs per (pitch, channel), in arrival order; each stays 0 or 1. The only
    note-offs of notes not sounding allowed are those of the memory-free flush before /djai/all_notes_off."""
    events = sorted([(t, 1, a) for t, _, a in peer.messages("/djai/note")]
                    + [(t, -1, a) for t, _, a in peer.messages("/djai/note_off")], key=lambda e: (e[0], -e[1]))
    flushes = [t for t, _, _ in peer.messages("/djai/all_notes_off")]
    sounding: dict[tuple[int, int], int] = {}
    for time_, change, args in events:
        key = (int(args[0]), int(args[-1]))
        if change < 0 and not sounding.get(key) and any(0 <= flush - time_ < FLUSH_S for flush in flushes):
            continue
        sounding[key] = sounding.get(key, 0) + change
        assert sounding[key] in (0, 1), f"{key} {'started twice' if change > 0 else 'ended unstarted'}"
    return sounding


def wait_until_silent(peer: OscPeer, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(balance(peer).values()):
            return
        time.sleep(0.01)
    raise AssertionError(f"stuck notes: {[key for key, n in balance(peer).items() if n]}")


def wait_heard(peer: OscPeer, count: int, timeout: float = 10.0) -> None:
    """Until the daemon has taken ``count`` performer notes (a panic drops the notes still queued before it,
    so one sent right after them could find them unheard)."""
    deadline = time.monotonic() + timeout
    asked = len(peer.messages("/djai/status"))
    while time.monotonic() < deadline:
        peer.send("/djai/status")
        asked += 1
        _, _, pairs = peer.wait_for("/djai/status", asked)[-1]
        status = dict(zip(pairs[::2], pairs[1::2]))
        if status["notes_in"] >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"the daemon took fewer than {count} notes in {timeout}s")


@pytest.fixture
def accompanying():
    reply_port = free_udp_port()
    with running_daemon("--mode", "accompany", "--seed", "3", "--phrase-gap-ms", "400", reply_port=reply_port,
                        model="chorale") as (process, port):
        peer = OscPeer(port, listen_port=reply_port)
        try:
            yield peer, process
        finally:
            peer.close()


def play_soprano(peer: OscPeer, pitches, beat_s: float = 0.25) -> None:
    """A performer's soprano, legato quarter notes at 240 BPM (wall-clock paced: it is a performance)."""
    start = time.monotonic()
    for i, pitch in enumerate(pitches):
        while time.monotonic() < start + i * beat_s:
            time.sleep(0.001)
        if i:
            peer.send("/djai/note_off", pitches[i - 1], 1)
        peer.send("/djai/note", pitch, 90, 1)


def test_it_harmonizes_on_the_other_voices_and_sigterm_ends_every_note(accompanying):
    peer, process = accompanying
    play_soprano(peer, SOPRANO)
    notes = peer.wait_for("/djai/note", len(SOPRANO))
    assert {int(args[3]) for _, _, args in notes} <= {2, 3, 4}  # alto, tenor, bass on their own channels
    assert {int(args[3]) for _, _, args in notes} >= {2, 4}
    process.send_signal(signal.SIGTERM)  # the last soprano note is still held: voices are sounding
    assert process.wait(10) == 0
    wait_until_silent(peer)


def test_panic_ends_every_note_and_stopping_rests(accompanying):
    peer, _ = accompanying
    play_soprano(peer, SOPRANO[:4])
    wait_heard(peer, 4)
    peer.wait_for("/djai/note", 3)
    peer.send("/djai/panic")
    wait_until_silent(peer)
    played = len(peer.messages("/djai/note"))
    peer.send("/djai/note_off", SOPRANO[3], 1)  # the performer stops: nothing more after the panic
    peer.send("/djai/ping")
    peer.wait_for("/djai/pong")
    play_soprano(peer, SOPRANO[4:])  # and plays again: so does the daemon
    peer.send("/djai/note_off", SOPRANO[-1], 1)
    peer.wait_for("/djai/note", played + 3)
    wait_until_silent(peer, timeout=8.0)  # 400 ms after the performer's last note, every voice has ended


def test_a_model_of_one_instrument_refuses_accompany_and_keeps_serving():
    reply_port = free_udp_port()
    with running_daemon(reply_port=reply_port) as (_, port):
        peer = OscPeer(port, listen_port=reply_port)
        try:
            peer.send("/djai/set", "mode", "accompany")
            (_, _, args), = peer.wait_for("/djai/error")
            assert "several instruments" in args[0]
            peer.send("/djai/ping")
            peer.wait_for("/djai/pong")
        finally:
            peer.close()


@pytest.mark.parametrize("extra, expected", [((), 0.5), (("--temperature", "0.8"), 0.8)])
def test_serve_starts_at_the_models_live_temperature_unless_told(extra, expected):
    reply_port = free_udp_port()
    with running_daemon(*extra, reply_port=reply_port, model="chorale") as (_, port):
        peer = OscPeer(port, listen_port=reply_port)
        try:
            values = peer.status()
        finally:
            peer.close()
    assert values["temperature"] == pytest.approx(expected)
