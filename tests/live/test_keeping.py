"""`serve --record DIR --adapt-every MINUTES`: an adaptation asked for, through the command path, once the
takes written since the last one add up to MINUTES, and never while one runs."""
from pathlib import Path

from djai_live.generation import Generator
from djai_live.live.commands import Command
from djai_live.live.events import EventStream
from djai_live.live.keeping import TakeKeeping
from djai_live.live.listening import ListeningState
from djai_live.live.settings import LiveSettings


class Loader:
    def request_file(self, path: Path, name: str) -> None:
        raise AssertionError("nothing is loaded here")


def keeping(tmp_path, adapt_every_s):
    asked: list[Command] = []
    listening = ListeningState(Generator.from_file("default"), LiveSettings(), seed=0)
    kept = TakeKeeping(str(tmp_path), 10.0, EventStream(), listening, Loader(), "default", lambda: "default", None,
                       adapt_every_s, asked.append)
    return kept, asked


def test_an_adaptation_is_asked_for_after_every_so_many_minutes_of_takes(tmp_path):
    kept, asked = keeping(tmp_path, 60.0)
    kept.recorder.on_take(tmp_path / "take-1.mid", 40.0)
    assert asked == []                                   # 40 s of takes: not yet
    kept.recorder.on_take(tmp_path / "take-2.mid", 25.0)
    assert asked == [Command("adapt", ())]               # 65 s: once, as /djai/adapt would
    kept.recorder.on_take(tmp_path / "take-3.mid", 50.0)
    assert len(asked) == 1                               # the count starts again from the adaptation

    class Running:
        running = True
    kept.adapter = Running()                             # type: ignore[assignment]
    kept.recorder.on_take(tmp_path / "take-4.mid", 30.0)
    assert len(asked) == 1                               # one runs: asked again after the next take
    del kept.adapter
    kept.adapter = type("Idle", (), {"running": False})()  # type: ignore[assignment]
    kept.recorder.on_take(tmp_path / "take-5.mid", 1.0)
    assert len(asked) == 2


def test_without_adapt_every_takes_are_only_kept(tmp_path):
    kept, asked = keeping(tmp_path, None)
    kept.recorder.on_take(tmp_path / "take-1.mid", 3600.0)
    assert asked == []
