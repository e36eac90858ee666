"""The one command path: every command kind has one handler, and what it changes is said on the event stream."""
import pytest

from djai_live.generation import Generator
from djai_live.live.commands import KINDS, Command
from djai_live.live.conductor import Conductor
from djai_live.live.events import ErrorRaised, KeyChanged, Reply, SettingChanged
from djai_live.live.listening import ListeningState
from djai_live.live.settings import LiveSettings
from tests.support.live import FakeClock, RecordingOutput

EDGE_FACTS = {"sounding": 0, "lateness_ms_p99": 0.0, "realtime": False, "dropped": 0, "events_dropped": 0,
              "midi_in_open": False, "midi_in": "", "midi_out": ""}


def make(mode="phrase", model="default"):
    clock = FakeClock()
    listening = ListeningState(Generator.from_file(model), LiveSettings(mode=mode, length=4), clock=clock, seed=0)
    published, requested = [], []
    conductor = Conductor(model, listening, RecordingOutput(clock), published.append,
                          requested.append, lambda: EDGE_FACTS)
    return conductor, published, requested


def test_every_command_kind_has_one_handler_in_the_table():
    conductor, _, _ = make()
    assert set(conductor.table) == set(KINDS)


def test_an_unknown_command_is_rejected_and_counted():
    conductor, published, _ = make()
    conductor.dispatch(Command("dance"), 0.0)
    assert published == [ErrorRaised("unknown command 'dance'")] and conductor.rejected == 1


def test_a_setting_is_acknowledged_with_the_value_stored_or_rejected_unchanged():
    conductor, published, _ = make()
    conductor.dispatch(Command("set", ("temperature", 0.5)), 0.0)
    conductor.dispatch(Command("set", ("temperature", 99)), 0.0)
    assert published[0] == SettingChanged("temperature", 0.5)
    assert isinstance(published[1], ErrorRaised) and published[1].message.startswith("/djai/set: temperature")
    assert conductor.settings.temperature == 0.5 and conductor.rejected == 1


def test_a_mode_the_model_cannot_play_is_rejected_and_nothing_changes():
    conductor, published, _ = make()
    policy = conductor.policy
    conductor.dispatch(Command("set", ("mode", "accompany")), 0.0)
    assert isinstance(published[-1], ErrorRaised) and "several instruments" in published[-1].message
    assert conductor.settings.mode == "phrase" and conductor.policy is policy


def test_generate_with_nothing_heard_says_so():
    conductor, published, _ = make(mode="manual")
    conductor.dispatch(Command("generate"), 0.0)
    assert published == [ErrorRaised("/djai/generate: nothing to answer yet; play or send some notes first")]


def test_status_and_the_key_are_replies_on_the_stream():
    conductor, published, _ = make()
    conductor.dispatch(Command("status"), 0.0)
    status, key = published
    assert isinstance(status, Reply) and status.kind == "status"
    values = dict(zip(status.values[::2], status.values[1::2]))
    assert values["model"] == "default" and values["mode"] == "phrase" and values["events_dropped"] == 0
    assert key == KeyChanged(("C", "chromatic"), "C chromatic")  # after every status, even unchanged


def test_load_goes_to_the_loader_and_a_failure_is_an_error():
    conductor, published, requested = make()
    conductor.dispatch(Command("load", ("chorale",)), 0.0)
    conductor.dispatch(Command("load_failed", ("nope", "no such file")), 0.0)
    assert requested == ["chorale"]
    assert published == [ErrorRaised("/djai/load nope: no such file; still playing 'default'")]


@pytest.mark.parametrize("kind", ["reset", "ping"])
def test_acknowledged_commands_reply(kind):
    conductor, published, _ = make()
    conductor.dispatch(Command(kind), 0.0)
    assert published == [Reply({"reset": "reset", "ping": "pong"}[kind])]


def test_a_heard_note_is_said_on_the_stream_after_the_policy_took_it():
    from djai_live.live.events import NoteHeard, NoteReleased

    conductor, published, _ = make()
    conductor.dispatch(Command("note_on", (60, 90, 1)), 1.5)
    conductor.dispatch(Command("note_off", (60, 1)), 1.75)
    assert published == [NoteHeard(60, 90, 1, 1.5), NoteReleased(60, 1, 1.75)]
    assert len(conductor.listening.notes) == 1  # taken by the policy first


@pytest.mark.parametrize("kind", ["status", "capabilities"])
def test_a_status_asked_for_one_edge_is_addressed_to_it_alone(kind):
    conductor, published, _ = make()
    conductor.dispatch(Command(kind, ("page",)), 0.0)
    assert [(type(event), getattr(event, "audience", None)) for event in published] == [(Reply, "page")]
    conductor.dispatch(Command(kind), 0.0)  # as OSC asks: to every edge, and status says the key too
    assert published[1].audience == ""
    assert [type(event) for event in published[2:]] == ([KeyChanged] if kind == "status" else [])
