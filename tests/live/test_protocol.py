"""The OSC contract: valid messages become commands, anything else a ProtocolError (never a crash)."""
import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from djai_live.live.commands import Command
from djai_live.live.protocol import INBOUND, ProtocolError, parse


@pytest.mark.parametrize("address, args, expected", [
    ("/djai/note", [60, 90], Command("note_on", (60, 90, 1))),
    ("/djai/note", [60.0, 90.0, 3.0], Command("note_on", (60, 90, 3))),  # Pd and Max send floats
    ("/djai/note", [60, 0], Command("note_off", (60, 1))),               # Max's notein note-off
    ("/djai/note_on", [61, 1, 16], Command("note_on", (61, 1, 16))),
    ("/djai/note_off", [61], Command("note_off", (61, 1))),
    ("/djai/generate", [], Command("generate", ())),
    ("/djai/generate", [4.0], Command("generate", (4,))),
    ("/djai/set", ["mode", "every"], Command("set", ("mode", "every"))),
    ("/djai/panic", [], Command("panic")),
    ("/djai/status", [], Command("status")),
    ("/djai/set", ["scale", "dorian", "D"], Command("set", ("scale", "dorian", "D"))),
    ("/djai/set", ["scale", "custom", 0.0, 3.0, 7.0], Command("set", ("scale", "custom", 0.0, 3.0, 7.0))),
    ("/djai/tempo", [97.5], Command("tempo", (97.5,))),
    ("/djai/beat", [3, 2.5], Command("beat", (3.0, 2.5))),
    ("/djai/capabilities", [], Command("capabilities")),
])
def test_valid_messages(address, args, expected):
    assert parse(address, args) == expected


@pytest.mark.parametrize("address, args, message", [
    ("/djai/note", [128, 90], "pitch must be 0-127"),
    ("/djai/note", [60.5, 90], "must be an integer"),
    ("/djai/note", [math.nan, 90], "finite"),
    ("/djai/note", [math.inf, 90], "finite"),
    ("/djai/note", ["C4", 90], "must be a number"),
    ("/djai/note", [True, 90], "must be a number"),
    ("/djai/note", ["hello"], "pitch must be a number, got str 'hello'"),
    ("/djai/note_off", [60, "x"], "channel must be a number, got str"),
    ("/djai/tempo", ["fast"], "bpm must be a number"),
    ("/djai/note", [60], "expected pitch velocity"),
    ("/djai/note", [60, 90, 1, 2], "expected pitch velocity"),
    ("/djai/note", [60, 90, 17], "channel must be 1-16"),
    ("/djai/generate", [0], "count must be 1-128"),
    ("/djai/set", [1, 2], "name must be a string"),
    ("/djai/ping", [1], "no arguments"),
    ("/djai/nope", [], "unknown address"),
    ("/djai/tempo", [0], "bpm must be 20-400"),
    ("/djai/tempo", [math.nan], "bpm must be"),
    ("/djai/beat", [1], "expected bar beat"),
    ("/djai/set", ["mode"], "expected name value"),
])
def test_invalid_messages_name_the_problem(address, args, message):
    with pytest.raises(ProtocolError, match=message):
        parse(address, args)


def near(low, high):
    """Integers and floats around a range's edges, where range checks go wrong, and far outside it."""
    return st.one_of(st.integers(low - 3, high + 3), st.floats(low - 3, high + 3),
                     st.sampled_from([low - 0.5, high + 0.5, float(low), float(high)]))


values = st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
                   st.booleans(), st.binary(max_size=8), st.none(), near(0, 127), near(1, 16), near(20, 400))


def is_number(value) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def accepted_within_the_contract(command: Command) -> None:
    """What each accepted command may carry: plain ints and floats within the documented ranges."""
    kind, args = command.kind, command.args
    whole = lambda value, low, high: type(value) is int and low <= value <= high  # noqa: E731
    if kind == "note_on":
        pitch, velocity, channel = args
        assert whole(pitch, 0, 127) and whole(velocity, 1, 127) and whole(channel, 1, 16), args
    elif kind == "note_off":
        pitch, channel = args
        assert whole(pitch, 0, 127) and whole(channel, 1, 16), args
    elif kind == "generate":
        assert args == () or (len(args) == 1 and whole(args[0], 1, 128)), args
    elif kind == "tempo":
        (bpm,) = args
        assert type(bpm) is float and 20.0 <= bpm <= 400.0, args
    elif kind == "beat":
        bar, beat = args
        assert type(bar) is float and is_number(bar) and type(beat) is float and 0.0 <= beat <= 64.0, args
    elif kind == "set":
        assert 2 <= len(args) <= 14 and isinstance(args[0], str), args
    elif kind == "load":
        assert len(args) == 1 and isinstance(args[0], str) and args[0].strip() == args[0] != "", args
    elif kind == "learn":
        assert len(args) == 1 and isinstance(args[0], str) and args[0].strip() == args[0] != "", args
    elif kind == "record":
        assert len(args) == 1 and type(args[0]) is bool, args
    elif kind == "adapt":
        assert args == () or (len(args) == 1 and type(args[0]) is float and 10.0 <= args[0] <= 3600.0), args
    else:
        assert kind in {"reset", "panic", "ping", "status", "capabilities"} and args == (), command


@given(st.one_of(st.sampled_from(sorted(INBOUND)), st.text(max_size=20)), st.lists(values, max_size=6))
# one past each edge, always tried: a random draw lands there too rarely to catch a range check that is gone
@example("/djai/note", [128, 90])
@example("/djai/note", [60, 90, 17])
@example("/djai/generate", [129])
@example("/djai/adapt", [9.99])
@example("/djai/adapt", [3600.01])
@example("/djai/record", [2])
def test_fuzzed_messages_never_escape_as_anything_but_protocol_errors(address, args):
    try:
        command = parse(address, args)
    except ProtocolError as error:
        assert str(error), "a ProtocolError must say what was wrong"
        return
    assert address in INBOUND
    accepted_within_the_contract(command)


@given(st.sampled_from(["/djai/note", "/djai/note_on"]), near(0, 127), near(0, 127), near(1, 16))
@example("/djai/note", 60, 90, 17)    # each range's edges, always tried (see above)
@example("/djai/note", 60, 90, 0)
@example("/djai/note", 128, 90, 1)
@example("/djai/note_on", 60, 128, 16)
def test_every_note_inside_the_ranges_is_accepted_and_every_one_outside_refused(address, pitch, velocity, channel):
    inside = all(is_number(v) and v == int(v) and low <= v <= high
                 for v, low, high in ((pitch, 0, 127), (velocity, 0, 127), (channel, 1, 16)))
    try:
        command = parse(address, [pitch, velocity, channel])
    except ProtocolError:
        assert not inside, (pitch, velocity, channel)
        return
    assert inside, (pitch, velocity, channel)
    accepted_within_the_contract(command)
    assert command.args[:1] == (int(pitch),)


@pytest.mark.parametrize("address, low, high, integral", [("/djai/tempo", 20, 400, False),
                                                          ("/djai/generate", 1, 128, True)])
@given(value=st.one_of(st.floats(-10, 500), st.integers(-10, 500)))
def test_single_numbers_are_accepted_exactly_inside_their_range(address, low, high, integral, value):
    inside = low <= value <= high and (not integral or value == int(value))
    try:
        command = parse(address, [value])
    except ProtocolError:
        assert not inside, value
        return
    assert inside, value
    accepted_within_the_contract(command)


def test_load_takes_one_name_or_path():
    from djai_live.live.commands import Command
    from djai_live.live.protocol import ProtocolError, parse

    assert parse("/djai/load", ["chorale"]) == Command("load", ("chorale",))
    assert parse("/djai/load", [" my models/tuned.keras "]) == Command("load", ("my models/tuned.keras",))
    for bad in ([], [""], [3], ["a", "b"]):
        with pytest.raises(ProtocolError, match="/djai/load"):
            parse("/djai/load", bad)
