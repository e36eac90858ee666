"""MIDI controls without sockets: the mapping file, the commands MIDI bytes become, and what the conductor
does with them (the same checks and acknowledgements as OSC), the pedal, the transport, learn, feedback."""
from pathlib import Path

import pytest

from djai_live.generation import Generator
from djai_live.live.commands import Command
from djai_live.live.conductor import Conductor
from djai_live.live.control_map import (DEFAULT_HANDOVER_CC, Binding, MapError, control_value, example_map_path,
                                        parse_map, read_map_file, save_binding, value_for)
from djai_live.live.controls import ControlFeedback, MidiControls
from djai_live.live.events import ErrorRaised, Reply, SettingChanged
from djai_live.live.listening import ListeningState
from djai_live.live.protocol import parse
from djai_live.live.settings import LiveSettings
from djai_live.scales import SCALES
from tests.support.live import FakeClock, RecordingOutput

EDGE_FACTS = {"sounding": 0, "lateness_ms_p99": 0.0, "realtime": False, "dropped": 0, "events_dropped": 0,
              "midi_in_open": True, "midi_in": "", "midi_out": ""}
CC = 0xB0


def controls_of(data: dict) -> MidiControls:
    control_map, problems = parse_map(data, "map.toml")
    assert problems == []
    return MidiControls(control_map)


def make(controls: MidiControls, mode="phrase", model="default"):
    clock = FakeClock()
    listening = ListeningState(Generator.from_file(model), LiveSettings(mode=mode, length=4), clock=clock, seed=0)
    published: list = []
    output = RecordingOutput(clock)
    conductor = Conductor(model, listening, output, published.append, lambda name: None, lambda: EDGE_FACTS,
                          controls=controls)
    return conductor, published, output, clock


# --- the mapping file ----------------------------------------------------------------------------------
def test_the_example_map_that_ships_is_read_without_a_problem():
    control_map, problems = read_map_file(example_map_path())
    assert problems == []
    assert control_map.cc_of("temperature").cc == 21 and control_map.cc_of("handover").cc == DEFAULT_HANDOVER_CC


def test_each_bad_entry_is_one_line_and_the_rest_is_kept():
    data = {"cc": {"temperatur": 21, "top_p": {"cc": 22, "min": 0.0, "max": 1.0}, "mode": {"cc": 130},
                   "length": {"cc": 24, "min": 0.5}, "grid": {"cc": 25, "min": 1}, "swing": 26,
                   "every_n": {"cc": 26}},
            "program": {"0": "load default", "1": "set tempurature 3", "x": "panic", "2": "dance"},
            "actions": {"jump": 50, "generate": 68},
            "pads": {"channel": 17, "36": "handover"},
            "knobs": {}}
    control_map, problems = parse_map(data, "map.toml")
    lines = [str(problem) for problem in problems]
    expected = ["map.toml: unknown table [knobs]",
                "map.toml [cc] temperatur: unknown parameter",
                "map.toml [cc] top_p: min must be within top_p's range 0.01-1, got 0.0",
                "map.toml [cc] mode: cc must be a control number 0-119, got 130",
                "map.toml [cc] length: min must be within length's range 1-128, got 0.5",
                "map.toml [cc] grid: min and max are for numbers",
                "map.toml [cc] every_n: cc 26 on channel any is already swing's",
                "map.toml [actions] jump: unknown action",
                "map.toml [program] 1: unknown parameter 'tempurature'",
                "map.toml [program] x: the key must be a number 0-127",
                "map.toml [program] 2: expected an action",
                "map.toml [pads] channel: must be a MIDI channel 1-16, got 17",
                "map.toml [pads] 36: a pad triggers one of generate, stop, panic, reset, got 'handover'"]
    assert len(lines) == len(expected) and all(line.startswith(start) for line, start in zip(sorted(lines),
                                                                                             sorted(expected)))
    assert all("\n" not in line for line in lines)
    assert {binding.target for binding in control_map.bindings.values()} == {"swing", "generate", "handover"}
    assert control_map.programs == {0: ("load", "default")}


def test_an_unreadable_map_is_one_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[cc\ntemperature = 21")
    with pytest.raises(MapError, match="bad.toml: not valid TOML"):
        read_map_file(bad)
    with pytest.raises(MapError, match="missing.toml: cannot read the MIDI map"):
        read_map_file(tmp_path / "missing.toml")


def test_a_mode_the_model_cannot_play_is_said_at_start_up():
    from djai_live.live.policy import PolicyError, check_mode

    config = Generator.from_file("default").config
    control_map, _ = parse_map({"cc": {"mode": 23}, "program": {"4": "set mode accompany"}}, "map.toml")
    problems = [str(p) for p in control_map.model_problems(lambda mode: check_mode(mode, config), PolicyError)]
    assert len(problems) == 2 and all("cannot play accompany" in p for p in problems)


def test_the_pedal_is_cc_67_unless_the_map_says_otherwise():
    assert parse_map({}, "m")[0].binding_for(1, 67).target == "handover"
    assert parse_map({"actions": {"handover": 64}}, "m")[0].cc_of("handover").cc == 64
    assert parse_map({"actions": {"handover": False}}, "m")[0].cc_of("handover") is None
    assert parse_map({"cc": {"temperature": 67}}, "m")[0].binding_for(1, 67).target == "temperature"


# --- values both ways ----------------------------------------------------------------------------------
def test_numbers_scale_linearly_choices_split_evenly_and_switches_turn_at_64():
    settings_range = LiveSettings.RANGES["temperature"]
    temperature = Binding("temperature", 21, low=settings_range[1], high=settings_range[2])
    assert value_for(temperature, 0) == 0.0 and value_for(temperature, 127) == 10.0
    assert value_for(Binding("top_p", 22, low=0.5, high=1.0), 127) == 1.0
    assert value_for(Binding("length", 24, low=1.0, high=128.0), 64) == 65  # an int: rounded
    modes = LiveSettings.RANGES["mode"][0]
    assert [value_for(Binding("mode", 23), v) for v in (0, 31, 32, 63, 64, 95, 96, 127)] == \
        [modes[0], modes[0], modes[1], modes[1], modes[2], modes[2], modes[3], modes[3]]
    assert value_for(Binding("interrupt", 30), 63) == 0 and value_for(Binding("interrupt", 30), 64) == 1
    assert value_for(Binding("scale", 27), 127) == list(SCALES)[-1]


def test_a_value_sent_back_lands_on_the_control_that_sets_it():
    temperature = Binding("temperature", 21, low=0.0, high=10.0)
    assert value_for(temperature, control_value(temperature, 0.5)) == pytest.approx(0.5, abs=10.0 / 254)
    for binding, value in [(Binding("mode", 23), "every"), (Binding("interrupt", 30), 1),
                           (Binding("length", 24, low=1.0, high=128.0), 33)]:
        assert value_for(binding, control_value(binding, value)) == value
    assert control_value(Binding("top_p", 22, low=0.5, high=1.0), 0.2) is None  # outside the narrowed range


# --- MIDI bytes -> commands --------------------------------------------------------------------------
def test_mapped_controls_become_the_commands_osc_sends_and_nothing_unmapped_does():
    controls = controls_of({"cc": {"temperature": 21, "top_p": {"cc": 22, "channel": 2, "min": 0.5, "max": 1.0},
                                   "scale": {"cc": 27, "root": "D"}},
                            "program": {"1": "load chorale", "2": "set mode every", "3": "panic"},
                            "actions": {"generate": 68}, "pads": {"channel": 10, "36": "stop"}})
    assert controls.command_for((CC, 21, 127)) == Command("set", ("temperature", 10.0))
    assert controls.command_for((CC | 1, 22, 0)) == Command("set", ("top_p", 0.5))
    assert controls.command_for((CC, 22, 0)) is None  # top_p is on channel 2 only
    assert controls.command_for((CC, 1, 64)) is None  # the mod wheel: not mapped, nothing happens
    assert controls.command_for((CC, 27, 0)) == Command("set", ("scale", list(SCALES)[0], "D"))
    assert controls.command_for((0xC0, 1)) == Command("load", ("chorale",))
    assert controls.command_for((0xC0, 2)) == Command("set", ("mode", "every"))
    assert controls.command_for((0xC0, 3)) == Command("panic")
    assert controls.command_for((0xC0, 9)) is None
    assert controls.command_for((CC, 68, 127)) == Command("generate")
    assert controls.command_for((CC, 68, 0)) is None  # a button's release
    assert controls.command_for((CC, 67, 127)) == Command("handover", (True,))
    assert controls.command_for((CC, 67, 0)) == Command("handover", (False,))
    assert controls.command_for((0x99, 36, 100)) == Command("stop")  # a pad on channel 10
    assert controls.command_for((0x89, 36, 0)) is None              # its release is not a note either
    assert controls.command_for((0x90, 36, 100)) == Command("note_on", (36, 100, 1))  # channel 1: a note
    assert controls.control_command((0x90, 60, 100)) is None        # the controller port plays no notes
    for cc in (120, 123):
        assert controls.command_for((CC | 3, cc, 0)) == Command("transport", ("stop",))


# --- through the conductor: the same checks and answers as OSC ----------------------------------------
def test_a_cc_and_an_osc_set_are_acknowledged_the_same_way():
    controls = controls_of({"cc": {"temperature": 21}})
    by_midi, published_midi, _, _ = make(controls)
    by_osc, published_osc, _, _ = make(MidiControls())
    by_midi.dispatch(controls.command_for((CC, 21, 127)), 0.0)
    by_osc.dispatch(parse("/djai/set", ["temperature", 10.0]), 0.0)
    assert published_midi == published_osc == [SettingChanged("temperature", 10.0)]
    assert by_midi.settings.temperature == by_osc.settings.temperature == 10.0


def test_a_control_the_conductor_cannot_carry_out_is_a_djai_error_and_nothing_changes():
    controls = controls_of({"cc": {"mode": 23}})
    conductor, published, _, _ = make(controls)  # one instrument: accompany cannot be played
    conductor.dispatch(controls.command_for((CC, 23, 127)), 0.0)
    assert isinstance(published[-1], ErrorRaised) and "several instruments" in published[-1].message
    assert conductor.settings.mode == "phrase"
    conductor.dispatch(controls.command_for((CC, 23, 40)), 0.0)  # and it serves on
    assert published[-1] == SettingChanged("mode", "every")


def test_status_and_capabilities_list_the_mapping():
    conductor, published, _, _ = make(controls_of({"cc": {"temperature": 21}}))
    for kind in ("status", "capabilities"):
        conductor.dispatch(Command(kind), 0.0)
        reply = next(event for event in published if isinstance(event, Reply) and event.kind == kind)
        pairs = dict(zip(reply.values[::2], reply.values[1::2]))
        assert pairs["map:temperature"] == "cc 21 channel any 0-10" and pairs["map:handover"] == "cc 67 channel any"


def hear_a_phrase(conductor, clock, pitches=(60, 62, 64, 65)):
    for pitch in pitches:
        conductor.dispatch(Command("note_on", (pitch, 90, 1)), clock())
        clock.now += 0.1
        conductor.dispatch(Command("note_off", (pitch, 1)), clock())


def test_the_pedal_answers_at_once_and_the_performer_does_not_interrupt_while_it_is_held():
    controls = MidiControls(parse_map({}, "m")[0])
    conductor, published, output, clock = make(controls)
    conductor.dispatch(controls.command_for((CC, 67, 127)), clock())
    assert "nothing to answer yet" in published[-1].message  # nothing heard: said, nothing else happens
    hear_a_phrase(conductor, clock)
    conductor.dispatch(controls.command_for((CC, 67, 127)), clock())
    assert len(output.phrases) == 1 and published[-1] == Reply("handover", (1,))
    conductor.dispatch(controls.command_for((CC, 67, 127)), clock())  # held: the same value again
    assert len(output.phrases) == 1
    cancels = output.cancels
    conductor.dispatch(Command("note_on", (67, 90, 1)), clock())  # heard, but not interrupting
    assert output.cancels == cancels and conductor.policy.answer_deadline() is None
    conductor.dispatch(controls.command_for((CC, 67, 0)), clock())
    assert published[-1] == Reply("handover", (0,)) and not conductor.policy.daemon_turn
    conductor.dispatch(Command("note_on", (69, 90, 1)), clock())  # the performer's turn: it interrupts again
    assert output.cancels == cancels + 1


def test_stop_and_the_hosts_transport_end_what_sounds_and_midi_stop_holds_until_start():
    controls = MidiControls()
    conductor, published, output, clock = make(controls, mode="manual")
    hear_a_phrase(conductor, clock)
    conductor.dispatch(Command("generate"), clock())
    cancels = output.cancels
    conductor.dispatch(controls.command_for((CC, 123, 0)), clock())  # CC 123 from the host
    assert output.cancels == cancels + 1 and published[-1] == Reply("transport", ("stop",))
    conductor.dispatch(Command("stop"), clock())
    assert output.cancels == cancels + 2
    conductor.dispatch(Command("transport", ("pause",)), clock())  # MIDI Stop
    assert output.transport_stopped and output.cancels == cancels + 3
    conductor.dispatch(Command("status"), clock())
    status = next(event for event in reversed(published) if isinstance(event, Reply) and event.kind == "status")
    assert dict(zip(status.values[::2], status.values[1::2]))["transport_stopped"] == 1
    conductor.dispatch(Command("transport", ("continue",)), clock())
    assert not output.transport_stopped and published[-1] == Reply("transport", ("continue",))
    conductor.dispatch(Command("transport", ("pause",)), clock())
    conductor.dispatch(Command("set", ("clock", "osc")), clock())  # the clock that stopped is gone: no hold
    assert not output.transport_stopped


# --- learn ---------------------------------------------------------------------------------------------
MAP_TEXT = """# my controller
[cc]
temperature = 21   # the big knob
top_p = { cc = 22, min = 0.5, max = 1.0 }
"""


def test_learn_binds_the_next_control_acknowledges_it_and_writes_it_back_keeping_the_file(tmp_path):
    path = tmp_path / "map.toml"
    path.write_text(MAP_TEXT)
    control_map, _ = read_map_file(path)
    controls = MidiControls(control_map)
    conductor, published, _, _ = make(controls)
    conductor.dispatch(parse("/djai/learn", ["dance"]), 0.0)
    assert "unknown parameter or action 'dance'" in published[-1].message and controls.learning is None
    conductor.dispatch(parse("/djai/learn", ["top_p"]), 0.0)
    assert published[-1] == Reply("learn", ("top_p",)) and controls.learning == "top_p"
    learned = controls.command_for((CC | 4, 40, 99))
    assert learned == Command("learned", ("top_p", 40, 5)) and controls.learning is None
    assert controls.command_for((CC | 4, 40, 100)) is None  # not yet bound: the engine thread binds it
    conductor.dispatch(learned, 0.0)
    assert published[-1] == Reply("learned", ("top_p", 40, 5))
    assert controls.command_for((CC | 4, 40, 127)) == Command("set", ("top_p", 1.0))  # min/max kept
    assert controls.command_for((CC, 22, 127)) is None  # the old control is free
    saved = wait_for_text(path, "cc = 40")
    assert "# my controller" in saved and "# the big knob" in saved and "min = 0.5" in saved
    assert read_map_file(path)[0].binding_for(5, 40).target == "top_p"  # it survives a restart
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left


def test_learn_off_and_learn_without_a_file_say_so():
    controls = MidiControls()
    conductor, published, _, _ = make(controls)
    conductor.dispatch(parse("/djai/learn", ["generate"]), 0.0)
    conductor.dispatch(parse("/djai/learn", ["off"]), 0.0)
    assert published[-1] == Reply("learn", ("off",)) and controls.command_for((CC, 50, 127)) is None
    conductor.dispatch(parse("/djai/learn", ["generate"]), 0.0)
    conductor.dispatch(controls.command_for((CC, 50, 127)), 0.0)
    assert "no --midi-map file was given" in published[-1].message
    assert controls.command_for((CC, 50, 127)) == Command("generate")


def test_learning_a_control_another_target_had_moves_it(tmp_path):
    path = tmp_path / "map.toml"
    path.write_text(MAP_TEXT)
    save_binding(path, (), Binding("temperature", 22))
    control_map, problems = read_map_file(path)
    assert problems == [] and control_map.cc_of("temperature").cc == 22 and control_map.cc_of("top_p") is None


def test_learn_writes_into_the_config_files_midi_map_table(tmp_path):
    path = tmp_path / "live.toml"
    path.write_text("[serve]\nmode = 'every'\n\n[midi_map.cc]\ntemperature = 21\n")
    save_binding(path, ("midi_map",), Binding("generate", 68))
    text = path.read_text()
    assert "mode = 'every'" in text and "[midi_map.actions]" in text and "generate = 68" in text


def wait_for_text(path: Path, fragment: str, timeout: float = 5.0) -> str:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text()
        if fragment in text:
            return text
        time.sleep(0.01)
    raise AssertionError(f"{fragment!r} never written: {path.read_text()!r}")


# --- feedback ------------------------------------------------------------------------------------------
def test_feedback_sends_a_changed_value_back_as_its_control_change():
    controls = controls_of({"cc": {"temperature": {"cc": 21, "channel": 3}, "mode": 23}})
    sent: list = []
    feedback = ControlFeedback(controls, lambda *messages: sent.extend(messages))
    feedback(SettingChanged("temperature", 5.0))
    feedback(SettingChanged("mode", "every"))
    feedback(SettingChanged("top_p", 0.5))  # not mapped: nothing
    feedback(ErrorRaised("x"))
    assert sent == [(CC | 2, 21, 64), (CC, 23, 48)]
    feedback(SettingChanged("mode", "every"))  # the same again (an output routed back in): not echoed again
    feedback(SettingChanged("mode", "manual"))
    assert sent[2:] == [(CC, 23, 80)]


def test_the_pedal_in_accompaniment_plays_on_and_does_not_rest_while_held():
    controls = MidiControls(parse_map({}, "m")[0])
    conductor, published, output, clock = make(controls, mode="accompany", model="chorale")
    policy = conductor.policy
    conductor.dispatch(controls.command_for((CC, 67, 127)), clock())
    assert "nothing to play along with yet" in published[-1].message
    conductor.dispatch(Command("note_on", (67, 90, 1)), clock())
    clock.now += 0.5
    conductor.dispatch(Command("note_off", (67, 1)), clock())
    clock.now += 5.0
    policy.due(clock())  # the performer has stopped: it rests
    assert policy.band.resting and policy.next_deadline() is None
    started = len(output.started)
    conductor.dispatch(controls.command_for((CC, 67, 127)), clock())
    assert published[-1] == Reply("handover", (1,)) and not policy.band.resting
    assert len(output.started) > started or policy.band.plan is not None  # it plays on from the band
    assert policy._stop_time() is None  # and will not rest while held
    conductor.dispatch(controls.command_for((CC, 67, 0)), clock())
    assert policy._stop_time() is not None  # released: it rests after the performer's silence again
