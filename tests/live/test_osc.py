"""The OSC edge: the note datagrams encoded by hand are exactly python-osc's own messages."""
import socket

import pytest
from pythonosc.osc_message_builder import OscMessageBuilder

from djai_live.live.osc import OscReplies


def built(address: str, *args) -> bytes:
    builder = OscMessageBuilder(address)
    for arg in args:
        builder.add_arg(arg)
    return builder.build().dgram


@pytest.fixture
def receiver():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5.0)
    yield sock
    sock.close()


@pytest.mark.parametrize("pitch, velocity, duration_ms, channel", [(60, 90, 250.0, 1), (0, 1, 10.0, 16),
                                                                   (127, 127, 1234.56789, 4), (61, 64, 0.001, 2)])
def test_note_datagrams_are_python_oscs_own(receiver, pitch, velocity, duration_ms, channel):
    replies = OscReplies("127.0.0.1", receiver.getsockname()[1])
    replies.note_on(pitch, velocity, duration_ms, channel)
    replies.note_off(pitch, channel)
    assert receiver.recv(1024) == built("/djai/note", pitch, velocity, round(duration_ms, 3), channel)
    assert receiver.recv(1024) == built("/djai/note_off", pitch, channel)
