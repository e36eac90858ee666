"""The outbound OSC contract, end to end over real UDP: every field of /djai/phrase, /djai/note,
/djai/note_off, /djai/status, /djai/key and /djai/key_words, the /djai/error rate limit, and interrupt on and off."""
import time

import pytest

from djai_live.live.settings import LiveSettings
from tests.support.osc import assert_each_note_ends_once, perform

COUNTERS = ("notes_in", "phrases_out", "notes_out", "buffer", "held", "sounding", "rejected", "dropped",
            "generate_ms_last", "prepared_used", "lateness_ms_p99")
CLOCK_FIELDS = ("tempo", "beat", "sounding_scale")  # after the clock's own facts


def phrase_notes(phrase):
    phrase_id, count = phrase[:2]
    assert type(phrase_id) is int and type(count) is int and len(phrase) == 2 + 4 * count
    return [tuple(phrase[2 + 4 * i: 6 + 4 * i]) for i in range(count)]


def assert_ons_and_offs_pair_up(ons, offs):
    """Each /djai/note is followed by one /djai/note_off of its pitch and channel before that key sounds again."""
    assert_each_note_ends_once(kind for _, _, kind in sorted(
        [(t, 0, ("on", (a[0], a[3]))) for t, _, a in ons] + [(t, 1, ("off", tuple(a))) for t, _, a in offs]))


@pytest.mark.daemon_args("--mode", "manual", "--length", "6", "--seed", "4", "--channel-out", "5",
                         "--velocity-scale", "0.5", "--tempo-bpm", "240")
def test_phrase_notes_and_note_offs_carry_every_field(peer_and_daemon):
    peer, _ = peer_and_daemon
    perform(peer, (60, 64, 67, 72))
    peer.send("/djai/generate")
    (_, _, phrase), = peer.wait_for("/djai/phrase")
    notes = phrase_notes(phrase)
    assert phrase[0] == 1 and len(notes) == 6
    for onset_ms, pitch, velocity, duration_ms in notes:
        assert type(onset_ms) is float and type(duration_ms) is float
        assert type(pitch) is int and 0 <= pitch <= 127
        assert type(velocity) is int and 1 <= velocity <= 64     # velocity_scale 0.5 of at most 127
        assert duration_ms >= 10.0                                # the shortest note the daemon sends
    onsets = [note[0] for note in notes]
    assert onsets[0] == 0.0 and onsets == sorted(onsets)        # free time: from the moment it is sent

    ons = peer.wait_for("/djai/note", 6)
    offs = peer.wait_for("/djai/note_off", 6)
    # /djai/note: pitch velocity duration_ms channel, exactly the phrase's notes, in its order
    assert [tuple(args) for _, _, args in ons] == [(p, v, d, 5) for _, p, v, d in notes]
    assert all(type(a[0]) is int and type(a[1]) is int and type(a[2]) is float and type(a[3]) is int
               for _, _, a in ons)
    assert all(len(args) == 2 and type(args[0]) is int and args[1] == 5 for _, _, args in offs)
    assert sorted(args[0] for _, _, args in offs) == sorted(note[1] for note in notes)
    assert_ons_and_offs_pair_up(ons, offs)

    peer.send("/djai/generate", 3)
    (_, _, second), = peer.wait_for("/djai/phrase", 2)[1:]
    assert second[0] == 2 and second[1] == 3                       # ids count up; count as asked


@pytest.mark.daemon_args("--mode", "manual", "--length", "4", "--seed", "5", "--channel-out", "3", "--tempo-bpm", "400")
def test_status_names_every_parameter_counter_and_clock_field_with_its_value(peer_and_daemon):
    peer, _ = peer_and_daemon
    perform(peer, (60, 62, 64))
    peer.send("/djai/generate")
    peer.wait_for("/djai/note_off", 4)
    peer.send("/djai/note", 300, 90)                              # one rejected message
    peer.wait_for("/djai/error")
    values = peer.wait_for_status(lambda v: v["sounding"] == 0)
    names = list(values)
    assert names[0] == "model" and values["model"] == "default"
    expected = ["model", *LiveSettings.names(), *COUNTERS, *CLOCK_FIELDS]
    assert [name for name in names if name in expected] == expected, names
    settings = LiveSettings()
    for name in LiveSettings.names():
        default = getattr(settings, name)
        if isinstance(default, bool):
            assert type(values[name]) is int and values[name] in (0, 1), name
        elif isinstance(default, (int, float)):
            assert isinstance(values[name], (int, float)), name
        else:
            assert type(values[name]) is str, name
    assert values["mode"] == "manual" and values["length"] == 4 and values["channel_out"] == 3
    assert values["tempo_bpm"] == 400.0 and values["scale"] == "C chromatic" and values["interrupt"] == 1
    assert (values["notes_in"], values["phrases_out"], values["notes_out"]) == (3, 1, 4)
    assert (values["buffer"], values["held"], values["sounding"]) == (3, 0, 0)
    assert (values["rejected"], values["dropped"]) == (1, 0)
    assert values["generate_ms_last"] > 0 and values["lateness_ms_p99"] >= 0
    assert values["clock"] == "free" and values["tempo"] == 400.0 and values["beat"] == -1.0
    assert values["sounding_scale"] == "C chromatic"


@pytest.mark.daemon_args("--mode", "manual", "--length", "12", "--seed", "6", "--temperature", "1.5")
def test_key_is_sent_after_status_and_when_the_scale_answers_keep_to_changes(peer_and_daemon):
    peer, _ = peer_and_daemon
    keys = lambda: [args for _, _, args in peer.messages("/djai/key")]  # noqa: E731
    peer.status()
    peer.barrier()
    assert keys() == [["C", "chromatic"]]                            # /djai/key follows /djai/status, in atoms
    assert [args for _, _, args in peer.messages("/djai/key_words")] == [["C chromatic"]]
    peer.send("/djai/set", "scale", "dorian", "D")
    peer.barrier()
    assert keys()[-1] == ["D", "dorian"]
    peer.send("/djai/set", "temperature", 1.2)
    peer.send("/djai/set", "scale", "dorian", "D")                  # unchanged: nothing to announce
    peer.barrier()
    assert keys() == [["C", "chromatic"], ["D", "dorian"]]
    peer.send("/djai/set", "key", "auto")                           # until 8 notes are heard: the set scale
    peer.barrier()
    assert len(keys()) == 2
    perform(peer, (62, 64, 66, 67, 69, 71, 73, 74, 69, 66, 62))    # D major
    peer.send("/djai/generate")
    (_, _, phrase), = peer.wait_for("/djai/phrase")
    peer.barrier()
    assert keys()[-1] == ["D", "major"]
    assert {note[1] % 12 for note in phrase_notes(phrase)} <= {2, 4, 6, 7, 9, 11, 1}
    assert peer.status()["sounding_scale"] == "D major"


@pytest.mark.daemon_args("--mode", "manual")
def test_errors_are_rate_limited_but_every_rejection_is_counted(peer_and_daemon):
    peer, _ = peer_and_daemon
    sent = 200
    started = time.monotonic()
    for i in range(sent):
        peer.send("/djai/nope", i)
    peer.barrier()           # every error the daemon sent for them has arrived
    elapsed = time.monotonic() - started
    errors = peer.messages("/djai/error")
    # a burst of 20 goes through, then 20 a second: never more, however slow or fast the sending was
    assert 20 <= len(errors) <= 20 + 20 * elapsed + 1, (len(errors), elapsed)
    assert all("unknown address '/djai/nope'" in args[0] for _, _, args in errors)
    assert peer.status()["rejected"] == sent
    deadline = time.monotonic() + 10
    while len(peer.messages("/djai/error")) == len(errors):  # the budget refills: errors flow again
        assert time.monotonic() < deadline, "no /djai/error after the rate limit's budget refilled"
        peer.send("/djai/note", 60)
        peer.barrier()
    assert "expected pitch velocity" in peer.messages("/djai/error")[-1][2][0]


def play_and_interrupt(peer):
    """An answer long enough to interrupt; the performer plays once its first note sounded. Returns
    (the phrase, the time by which all its notes would have ended)."""
    perform(peer, (60, 62, 64))
    peer.send("/djai/generate")
    (sent_at, _, phrase), = peer.wait_for("/djai/phrase")
    notes = phrase_notes(phrase)
    assert notes[-1][0] > 1000.0, "the answer is too short to be interrupted: the test proves nothing"
    peer.wait_for("/djai/note", 1)
    peer.send("/djai/note", 40, 90)                                # the performer plays again
    peer.send("/djai/note", 40, 0)
    return notes, sent_at + max(onset + duration for onset, _, _, duration in notes) / 1000.0


@pytest.mark.daemon_args("--mode", "manual", "--length", "8", "--tempo-bpm", "60", "--seed", "7")
def test_interrupt_on_drops_the_rest_of_the_answer_when_the_performer_plays(peer_and_daemon):
    peer, _ = peer_and_daemon
    notes, all_ended = play_and_interrupt(peer)
    peer.wait_for_status(lambda values: values["notes_in"] == 4)
    while time.monotonic() < all_ended + 0.5:  # long after the whole answer would have ended
        time.sleep(0.05)
    ons, offs = peer.messages("/djai/note"), peer.messages("/djai/note_off")
    assert len(ons) < len(notes), "the whole answer played although the performer interrupted it"
    assert_ons_and_offs_pair_up(ons, offs)


@pytest.mark.daemon_args("--mode", "manual", "--length", "8", "--tempo-bpm", "60", "--seed", "7", "--interrupt", "off")
def test_interrupt_off_lets_the_answer_play_out_under_the_performer(peer_and_daemon):
    peer, _ = peer_and_daemon
    notes, _ = play_and_interrupt(peer)
    ons = peer.wait_for("/djai/note", len(notes), timeout=30)
    offs = peer.wait_for("/djai/note_off", len(notes), timeout=30)
    assert [args[0] for _, _, args in ons] == [note[1] for note in notes]
    assert_ons_and_offs_pair_up(ons, offs)
    assert peer.status()["notes_in"] == 4
