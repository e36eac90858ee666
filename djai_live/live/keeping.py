"""`serve --record DIR`: the takes kept (:mod:`.takes`) and the adaptations made from them (:mod:`.adapt`),
wired to the daemon's event stream, its model loader and the model playing. An edge: it reads the event
stream and writes files; the policies never see it."""
from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from ..model_files import resolve_model_path
from .adapt import Adapter
from .commands import Command
from .events import ErrorRaised, EventStream, Reply
from .listening import ListeningState
from .loader import ModelLoader
from .osc import acknowledged_value
from .takes import HostTime, TakeRecorder

log = logging.getLogger(__name__)


class TakeKeeping:
    """The recorder (an inline subscriber of ``stream``) and the adapter, for the takes in ``folder``.
    ``model_name()`` is the model playing (the conductor's)."""

    def __init__(self, folder: str, silence_s: float, stream: EventStream, listening: ListeningState,
                 loader: ModelLoader, model: str, model_name: Callable[[], str],
                 realtime_priority: int | None, adapt_every_s: float | None = None,
                 submit: Callable[[Command], None] | None = None) -> None:
        self.stream, self.listening, self.loader, self.model_name = stream, listening, loader, model_name
        self.adapt_every_s, self.submit = adapt_every_s, submit
        self.unadapted_s = 0.0   # the length of the takes written since the last adaptation asked for
        self.recorder = TakeRecorder(folder, self._host_time, self._description,
                                     lambda: listening.settings.beats_per_bar, silence_s=silence_s,
                                     on_error=lambda message: stream.publish(ErrorRaised(message)),
                                     realtime_priority=realtime_priority, on_take=self._take_written)
        stream.subscribe_inline(self.recorder)
        self._model_paths = {model: resolve_model_path(model)}
        self.adapter = Adapter(folder, self._model_path, self._progress, self._adapted, self._failed)

    def start(self) -> None:
        """Raises OSError: the folder cannot hold takes."""
        self.recorder.start()

    def stop_adapting(self) -> None:
        self.adapter.close()

    def close(self) -> None:
        """After the daemon's last note-off: the take in progress ends with every note ended."""
        self.recorder.close()

    def model_loaded(self, name: str, path: Path) -> None:
        self._model_paths[name] = path

    # --- the recorder's thread -----------------------------------------------------------------------
    def _host_time(self, when: float) -> HostTime:
        """The host's tempo and beat (the clocks are read from any thread)."""
        position = self.listening.host_position(when)
        if position is None:
            return HostTime(self.listening.bpm(when), None)
        return HostTime(position.bpm, position.beat)

    def _description(self) -> dict:
        return {"model": self.model_name(),
                "settings": {name: acknowledged_value(value) for name, value in self.listening.settings.items()}}

    def _take_written(self, path: Path, seconds: float) -> None:
        """A take ended (the performer paused: between songs). Every ``adapt_every_s`` of takes, an
        adaptation is asked for, through the command path as a /djai/adapt would be."""
        self.unadapted_s += seconds
        if self.adapt_every_s is None or self.submit is None or self.unadapted_s < self.adapt_every_s:
            return
        if self.adapter.running:
            return   # asked again after the next take
        self.unadapted_s = 0.0
        log.info("%.1f minutes of takes since the last adaptation: adapting", self.adapt_every_s / 60.0)
        self.submit(Command("adapt", ()))

    # --- the adaptation's thread ---------------------------------------------------------------------
    def _model_path(self) -> Path:
        """The file of the model playing (what an adaptation starts from)."""
        name = self.model_name()
        return self._model_paths.get(name) or resolve_model_path(name)

    def _progress(self, fraction: float) -> None:
        self.stream.publish(Reply("adapt", ("progress", round(fraction, 3))))

    def _adapted(self, path: Path) -> None:
        log.info("adapted model written: %s; swapping it in between answers", path)
        self.stream.publish(Reply("adapt", ("done", str(path))))
        self.loader.request_file(path, path.stem)

    def _failed(self, reason: str) -> None:
        message = f"/djai/adapt failed: {reason}; still playing {self.model_name()!r}"
        log.warning("%s", message)
        self.stream.publish(Reply("adapt", ("failed", reason)))
        self.stream.publish(ErrorRaised(message))
