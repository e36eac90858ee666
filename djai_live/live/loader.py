"""`/djai/load NAME_OR_PATH`: find a model, load it and warm it up on a worker thread, off the hot path.

A request names a bundled model ('default', ...) or a model file in the models folder (``serve
--models-dir``, by default the folder of ``--model``); a path that leads outside that folder, through
``..`` or a symbolic link, is refused. What is loaded is handed over ready to answer; a request that
fails (missing, damaged, refused) is reported and changes nothing.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path
from collections.abc import Callable

from ..generation import Generator
from ..model_files import ModelFileError, bundled_models, resolve_model_path
from .settings import LiveSettings

log = logging.getLogger(__name__)
MODEL_SUFFIX = ".keras"


class ModelRequestError(ValueError):
    """A /djai/load request that names no model we may load."""


def resolve_request(text: str, models_dir: Path) -> Path:
    """The model file a request names: a bundled model's name, or a path in ``models_dir`` (relative to it
    or absolute; '.keras' may be left out).

    Raises:
        ModelRequestError: nothing by that name, or a path outside ``models_dir``.
    """
    text = text.strip()
    bundled = bundled_models()
    if not text:
        raise ModelRequestError(f"expected a model name ({', '.join(bundled)}) or a file in {models_dir}")
    if text in bundled:
        return resolve_model_path(text)
    folder = models_dir.resolve()
    candidate = Path(text).expanduser()
    if not candidate.is_absolute():
        candidate = folder / candidate
    if not candidate.exists() and candidate.suffix != MODEL_SUFFIX:
        candidate = candidate.with_name(candidate.name + MODEL_SUFFIX)
    resolved = candidate.resolve()  # links resolved: a link that leads out of the folder is outside it
    if not resolved.is_relative_to(folder):
        raise ModelRequestError(f"{text!r} is outside the models folder {folder}; refused "
                                "(serve --models-dir names the folder)")
    if not resolved.is_file():
        raise ModelRequestError(f"no model {text!r}: not a bundled model ({', '.join(bundled)}) "
                                f"and no such file in {folder}")
    return resolved


def available_models(models_dir: Path) -> list[str]:
    """The names a /djai/load of each model it may load takes: the bundled ones, then the folder's files."""
    names = list(bundled_models())
    bundled_files = {resolve_model_path(name).resolve() for name in names}
    if models_dir.is_dir():
        names += sorted(path.stem for path in models_dir.glob("*" + MODEL_SUFFIX)
                        if path.stem not in names and path.resolve() not in bundled_files)
    return names


def warm_up(generator: Generator) -> float:
    """One throw-away answer so that the first real one does not pay for cold caches; returns its ms."""
    from .call_response import CallAndResponse  # (the policies import this module's neighbours)
    from .listening import ListeningState
    from .policy import SILENT

    started = time.perf_counter()
    warm = ListeningState(generator, LiveSettings(), seed=0)
    for i, pitch in enumerate((60, 64, 67, 72)):
        warm.note_on(pitch, 80, 1, now=i * 0.25)
        warm.note_off(pitch, 1, now=i * 0.25 + 0.2)
    CallAndResponse(warm, SILENT).answer(now=1.0)
    return (time.perf_counter() - started) * 1000.0


class ModelLoader:
    """Loads requested models one at a time on its own thread.

    ``on_loaded(request, generator, path)`` receives a model loaded and warmed up; ``on_failed(request,
    reason)`` a request that failed. Both are called on the loader's thread.
    """

    def __init__(self, models_dir: Path, average_transpositions: int | None,
                 on_loaded: Callable[[str, Generator, Path], None], on_failed: Callable[[str, str], None]) -> None:
        self.models_dir = Path(models_dir)
        self.average_transpositions = average_transpositions
        self.on_loaded, self.on_failed = on_loaded, on_failed
        self._requests: queue.Queue[str | tuple[str, Path] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="djai-loader", daemon=True)
        self._thread.start()

    def request(self, text: str) -> None:
        self._requests.put(text)

    def request_file(self, path: Path, name: str) -> None:
        """A model file the daemon made itself (an adaptation), outside the models folder: loaded as is."""
        self._requests.put((name, path))

    def close(self) -> None:
        self._requests.put(None)
        self._thread.join(timeout=5.0)

    def _run(self) -> None:
        while (item := self._requests.get()) is not None:
            started = time.perf_counter()
            text, made = item if isinstance(item, tuple) else (item, None)
            try:
                path = made if made is not None else resolve_request(text, self.models_dir)
                generator = Generator.from_file(path, self.average_transpositions)
                warm_ms = warm_up(generator)
            except Exception as error:  # missing, damaged, refused, or a runtime that cannot run it
                known = isinstance(error, (ModelRequestError, ModelFileError))
                reason = str(error) if known else f"{type(error).__name__}: {error}"
                self.on_failed(text, reason)
                continue
            log.info("model %r loaded from %s in %.0f ms (warm-up %.1f ms)", text, path,
                     (time.perf_counter() - started) * 1000.0, warm_ms)
            self.on_loaded(text, generator, path)
