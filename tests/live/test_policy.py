"""The policy factory: which policy plays which mode, what a change of mode does, and that a new policy
needs nothing but a class and a line in the table."""
import threading

import pytest

from djai_live.config import DjaiConfig
from djai_live.generation import Generator
from djai_live.live.accompany import Accompaniment
from djai_live.live.call_response import CallAndResponse
from djai_live.live.events import NoteStarted
from djai_live.live.listening import ListeningState
from djai_live.live.policy import POLICIES, Policy, PolicyError, check_mode, policy_for
from djai_live.live.settings import MODES, LiveSettings
from djai_live.model_files import bundled_models
from tests.support.live import FakeClock, RecordingOutput


@pytest.fixture(scope="module")
def chorale():
    if "chorale" not in bundled_models():
        pytest.skip("the chorale model is not bundled")
    return Generator.from_file("chorale")


def test_the_modes_the_settings_accept_are_the_policy_table():
    assert MODES == tuple(POLICIES) and set(MODES) == {"phrase", "every", "manual", "accompany"}


def test_a_mode_the_model_cannot_play_is_refused_with_what_to_do():
    with pytest.raises(PolicyError, match="several instruments"):
        check_mode("accompany", DjaiConfig(num_instruments=1))
    with pytest.raises(PolicyError, match="no policy plays mode 'solo'"):
        check_mode("solo", DjaiConfig())
    check_mode("phrase", DjaiConfig(num_instruments=1))


def test_a_change_within_a_policy_keeps_it_and_a_change_of_policy_rests_the_old_one(chorale):
    clock = FakeClock()
    listening = ListeningState(chorale, LiveSettings(mode="phrase"), clock=clock, seed=0)
    output = RecordingOutput(clock)
    answering = policy_for("phrase", listening, output)
    assert isinstance(answering, CallAndResponse) and answering.answer_after == "silence"
    assert policy_for("every", listening, output, answering) is answering and answering.answer_after == "notes"
    assert listening.folds_notes
    accompanying = policy_for("accompany", listening, output, answering)
    assert isinstance(accompanying, Accompaniment) and output.cancels == 1  # the phrase playing ended
    assert not listening.folds_notes  # the accompaniment folds its own context
    accompanying.heard_note_on(67, 90, 1, clock.now)
    assert output.started and accompanying.band.tokens
    back = policy_for("manual", listening, output, accompanying)
    assert isinstance(back, CallAndResponse) and output.cancels == 2 and accompanying.band.tokens == []
    assert listening.folds_notes and back.answer_after == "request"


class Echo(Policy):
    """A third policy, for the test: each note heard comes back an octave up, at once."""

    def heard_note_on(self, pitch: int, velocity: int, channel: int, arrival: float) -> None:
        if self.listening.note_on(pitch, velocity, channel, now=arrival):
            self.output.start_note(min(pitch + 12, 127), velocity, 100.0, self.listening.settings.channel_out, 0)


def test_a_third_policy_plays_through_the_daemon_with_a_line_in_the_table(monkeypatch):
    """Nothing in the daemon, the conductor or the edges names a policy: a new one is a class and a line."""
    from djai_live.live.commands import Command
    from djai_live.live.daemon import Daemon, ServeOptions

    monkeypatch.setitem(POLICIES, "echo", (lambda: Echo, {}))
    monkeypatch.setitem(LiveSettings.RANGES, "mode", (MODES + ("echo",), None, None))
    daemon = Daemon(ServeOptions(osc=False, realtime=False, seed=0), LiveSettings(mode="phrase"),
                    Generator.from_file("default"))
    heard, arrived = [], threading.Event()

    def listen(event) -> None:
        if isinstance(event, NoteStarted):
            heard.append(event.pitch)
            arrived.set()

    daemon.stream.subscribe_inline(listen)
    daemon.start()
    try:
        daemon.submit(Command("set", ("mode", "echo")))
        daemon.submit(Command("note_on", (60, 90, 1)))
        assert arrived.wait(10)
    finally:
        daemon.stop()
    assert heard == [72] and isinstance(daemon.conductor.policy, Echo)
