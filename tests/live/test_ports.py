"""The port watcher's decisions, with fake ports and a fake server (the real thing: test_midi_jack.py)."""
from djai_live.live.midi import MidiInput, MidiOutput
from djai_live.live.ports import PortWatcher


class Recorded:
    """Opening and connecting recorded instead of done."""

    def setup(self) -> None:
        self.calls: list[str] = []
        self.names: list[str] = []  # what the backend lists now

    def open(self):
        self.calls.append("open")
        self.device = None if self.virtual else self.match(self.names)
        self._rt = object()
        return self

    def reconnect(self) -> None:
        self.calls.append("reconnect")
        self.device = self.match(self.names)

    def close(self) -> None:
        self.calls.append("close")
        self._rt = None


class FakeInput(Recorded, MidiInput):
    def __init__(self, wanted: str) -> None:
        MidiInput.__init__(self, wanted, None, on_command=lambda command: None)
        self.setup()


class FakeOutput(Recorded, MidiOutput):
    def __init__(self, wanted: str) -> None:
        MidiOutput.__init__(self, wanted, None)
        self.setup()


class FakeLister:
    def __init__(self) -> None:
        self.outputs: list[str] = []
        self.inputs: list[str] = []
        self.up = True
        self.shut_down = False
        self.closed = 0

    def lost(self) -> bool:
        return self.shut_down

    def delivery_s(self) -> float:
        return 0.0   # a backend that stamps each message when it arrives

    def listing(self):
        if not self.up:
            return None
        self.shut_down = False
        return list(self.outputs), list(self.inputs)

    def close(self) -> None:
        self.closed += 1
        self.shut_down = False  # as JackLister: a closed client has nothing more to say


def watcher_with(keyboard: FakeInput, synth: FakeOutput, lister: FakeLister):
    told = []
    watcher = PortWatcher.__new__(PortWatcher)  # no thread, no backend: poll() is called by hand
    watcher.ports, watcher.tell, watcher.lister = [synth, keyboard], lambda *event: told.append(event[::2]), lister
    watcher.gone = {port.name: False for port in watcher.ports}
    watcher.server_lost = False
    return watcher, told


def test_a_device_gone_is_told_once_and_reconnected_by_name_when_back():
    keyboard, synth, lister = FakeInput("kbd"), FakeOutput("synth"), FakeLister()
    lister.outputs, lister.inputs = ["kbd:out", "djai_live:djai_live out"], ["synth:in"]
    keyboard.names, synth.names = lister.outputs, lister.inputs
    keyboard.open(), synth.open()
    watcher, told = watcher_with(keyboard, synth, lister)
    watcher.poll()
    assert told == []
    lister.outputs = ["djai_live:djai_live out"]  # the keyboard is unplugged
    watcher.poll()
    watcher.poll()
    assert [state for state, _ in told] == ["gone"] and "'kbd:out' is gone" in told[0][1]
    lister.outputs = keyboard.names = ["kbd:out", "djai_live:djai_live out"]  # and back
    watcher.poll()
    assert [state for state, _ in told] == ["gone", "back"] and keyboard.calls[-1] == "reconnect"
    assert synth.calls == ["open"]  # the synth was never touched


def test_our_own_port_is_never_taken_for_the_device():
    """--midi-in djai_live (or a part of our name) must not connect our input to our own output."""
    keyboard = FakeInput("djai_live")
    watcher, told = watcher_with(keyboard, FakeOutput("x"), FakeLister())
    keyboard.names = ["djai_live:djai_live out"]
    watcher._follow(keyboard, ["djai_live:djai_live out"])
    assert told and told[0][0] == "gone"


def test_a_server_gone_closes_every_port_first_and_makes_them_again_when_it_answers():
    keyboard, synth, lister = FakeInput("virtual"), FakeOutput("synth"), FakeLister()
    lister.inputs = synth.names = ["synth:in"]
    keyboard.open(), synth.open()
    watcher, told = watcher_with(keyboard, synth, lister)
    lister.shut_down, lister.up = True, False  # the JACK server went away
    watcher.poll()
    watcher.poll()
    assert keyboard.calls == synth.calls == ["open", "close"] and lister.closed == 1
    assert sorted(state for state, _ in told) == ["gone", "gone"]
    lister.up = True  # a server answers again; the synth is not back yet
    lister.inputs = synth.names = []
    watcher.poll()
    assert keyboard.calls[-1] == "open" and synth.calls[-1] == "close"
    lister.inputs = synth.names = ["synth:in"]
    watcher.poll()
    assert synth.calls[-1] == "open" and [state for state, _ in told][-2:] == ["back", "back"]


def test_an_alsa_device_replugged_under_another_client_number_is_the_same_device():
    keyboard = FakeInput("USB")
    keyboard.device = "USB Keyboard:USB Keyboard MIDI 1 20:0"
    assert keyboard.match(["Midi Through:Midi Through Port-0 14:0", "USB Keyboard:USB Keyboard MIDI 1 24:0"]) \
        == "USB Keyboard:USB Keyboard MIDI 1 24:0"


def test_the_jack_watcher_sets_the_half_cycle_delivery_on_the_input():
    """JACK stamps a message at the start of the cycle after it was sent: half a cycle late on average.
    The watcher tells the input how long a cycle is, at start and at each look (a server restarted with
    another buffer size), and the input's stamps take it off."""
    class FakeJack(FakeLister):
        cycle_s = 64 / 48000

        def delivery_s(self) -> float:
            return self.cycle_s / 2

    keyboard, synth, lister = FakeInput("kbd"), FakeOutput("synth"), FakeJack()
    lister.outputs, lister.inputs = keyboard.names, synth.names = ["kbd:out"], ["synth:in"]
    keyboard.open(), synth.open()
    watcher, _ = watcher_with(keyboard, synth, lister)
    watcher.poll()
    assert keyboard.timeline.delivery_s == 32 / 48000
    lister.cycle_s = 256 / 48000
    watcher.poll()
    assert keyboard.timeline.delivery_s == 128 / 48000
    assert keyboard.timeline.stamp(0.0, 10.0) == 10.0 - 128 / 48000
