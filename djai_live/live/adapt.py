"""`/djai/adapt [SECONDS]`: fine-tune the model playing on the recorded takes, in the background, and swap
the result in between answers.

The fine-tune is `python -m djai_live.adapt_takes TAKES --from MODEL --max-minutes ...` (the takes cut into
pieces, then `djai-live train` on them: see :mod:`djai_live.adapt_takes`) as a process of its own, at the
lowest priority the machine has (``nice`` 19, and ``SCHED_IDLE`` where Linux grants it: it runs only on
CPU time nothing else wants) and on one thread, so the daemon's notes keep their time while it runs. The
takes' performer tracks are what it learns from (training leaves the daemon's answer tracks out). When it
finishes, the new model goes to the model loader as a `/djai/load` does; when it fails, the old model
plays on and the reason is said.
"""
from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from ..adapt_takes import ADAPTED_FOLDER, is_take
from ..midi_files import scan_midi_files

log = logging.getLogger(__name__)

MIN_SECONDS, MAX_SECONDS = 10.0, 3600.0
DEFAULT_SECONDS = 60.0
PROGRESS_EVERY_S = 2.0


class AdaptError(RuntimeError):
    """An adaptation that cannot start: said once, the old model plays on."""


def _background_priority() -> None:
    """In the child, before it runs: the least urgent work on the machine."""
    os.nice(19)
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        pass   # not Linux, or not granted: nice 19 alone


class Adapter:
    """One fine-tune at a time on the takes in ``takes_dir``. ``model_path()`` is the model playing;
    ``on_progress(fraction)``, ``on_done(path)`` and ``on_failed(reason)`` are called on the adapter's
    thread."""

    def __init__(self, takes_dir: str | os.PathLike, model_path: Callable[[], Path],
                 on_progress: Callable[[float], None], on_done: Callable[[Path], None],
                 on_failed: Callable[[str], None], python: str = sys.executable) -> None:
        self.takes_dir = Path(takes_dir)
        self.model_path = model_path
        self.on_progress, self.on_done, self.on_failed = on_progress, on_done, on_failed
        self.python = python
        self.process: subprocess.Popen | None = None
        self.started: float | None = None
        self.last_model: Path | None = None
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, seconds: float) -> Path:
        """Start a fine-tune of at most ``seconds`` (reading the takes included); returns the model file it
        will write.

        Raises:
            AdaptError: one is running, there are no takes, or TensorFlow is not installed.
        """
        if self.running:
            raise AdaptError(f"already adapting (started {time.monotonic() - (self.started or 0.0):.0f} s ago); "
                             "wait for /djai/adapt done")
        if not MIN_SECONDS <= seconds <= MAX_SECONDS:
            raise AdaptError(f"seconds must be {MIN_SECONDS:g}-{MAX_SECONDS:g}, got {seconds:g}")
        takes = [path for path in scan_midi_files(self.takes_dir) if is_take(Path(path), self.takes_dir)] \
            if self.takes_dir.is_dir() else []
        if not takes:
            raise AdaptError(f"no takes in {self.takes_dir} yet: play first (recording keeps each take there)")
        if importlib.util.find_spec("tensorflow") is None:
            raise AdaptError("adapting trains the model, which needs TensorFlow: pip install 'djai-live[train]'")
        base = self.model_path()
        folder = self.takes_dir / ADAPTED_FOLDER
        folder.mkdir(exist_ok=True)
        output = folder / f"{base.stem.split('-adapted-')[0]}-adapted-{time.strftime('%Y%m%d-%H%M%S')}.keras"
        command = [self.python, "-m", "djai_live.adapt_takes", str(self.takes_dir), "--from", str(base),
                   "-o", str(output), "--max-minutes", f"{seconds / 60.0:.4f}"]
        env = {**os.environ, "OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
               "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
        log.info("adapting %s on %d take(s) for at most %.0f s: %s", base.name, len(takes), seconds, " ".join(command))
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                        env=env, preexec_fn=_background_priority, start_new_session=True)
        self.started = time.monotonic()
        self._thread = threading.Thread(target=self._watch, args=(self.process, output, seconds),
                                        name="djai-adapt", daemon=True)
        self._thread.start()
        return output

    def _watch(self, process: subprocess.Popen, output: Path, seconds: float) -> None:
        errors: deque[str] = deque(maxlen=20)
        reader = threading.Thread(target=lambda: errors.extend(line.rstrip() for line in process.stderr or ()),
                                  name="djai-adapt-log", daemon=True)
        reader.start()
        started = time.monotonic()
        while process.poll() is None:
            if self._closing.wait(PROGRESS_EVERY_S):
                return
            # train stops at its --max-minutes (reading and saving included): time is its progress
            self.on_progress(min(0.99, (time.monotonic() - started) / seconds))
        reader.join(2.0)
        if process.returncode == 0 and output.is_file():
            self.last_model = output
            self.on_done(output)
            return
        said = [line for line in errors if line.strip()]
        reason = said[-1] if said else f"the fine-tune exited with status {process.returncode}"
        self.on_failed(reason)

    def close(self) -> None:
        """Stop a fine-tune still running (the daemon is stopping): nothing half-written is loaded."""
        self._closing.set()
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(5.0)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
