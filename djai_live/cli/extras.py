"""Commands that need the optional training stack say so in one line, naming what to install."""
from __future__ import annotations

import importlib.util

from .options import CommandError

TRAIN_EXTRA_HINT = "pip install 'djai-live[train]' (in a clone: python3 -m pip install '.[train]')"


def training_stack_missing() -> list[str]:
    """The packages of the ``[train]`` extra that cannot be imported here."""
    return [name for name in ("tensorflow", "keras") if not _importable(name)]


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a broken or blocked install counts as missing
        return False


def require_training_stack(command: str) -> None:
    """Raises CommandError when TensorFlow or Keras is missing (the light install leaves them out)."""
    missing = training_stack_missing()
    if missing:
        raise CommandError(f"`djai-live {command}` needs {' and '.join(missing)}, which the light install leaves "
                           f"out: {TRAIN_EXTRA_HINT}")
