"""What the commands log: our own messages at INFO by default; each phrase and setting change (the
``djai_live.events`` logger) with -v; our debug lines with -vv; other libraries' debug lines only with -vvv."""
from __future__ import annotations

import logging
import os

EVENTS_LOGGER = "djai_live.events"


def quiet_tensorflow() -> None:
    """TensorFlow's C++ start-up lines (CUDA factories, oneDNN) go to stderr before Python logging exists; the
    environment is the only switch, and it must be set before TensorFlow is imported."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")


def configure_logging(verbose: int, quiet: bool) -> None:
    if quiet:
        ours, events, others = logging.WARNING, logging.WARNING, logging.WARNING
    else:
        ours = logging.DEBUG if verbose >= 2 else logging.INFO
        events = logging.INFO if verbose >= 1 else logging.WARNING
        others = logging.DEBUG if verbose >= 3 else logging.WARNING
    logging.basicConfig(level=others, format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("djai_live").setLevel(ours)
    logging.getLogger(EVENTS_LOGGER).setLevel(min(events, ours) if verbose >= 2 else events)
    quiet_tensorflow()
    if verbose < 3:
        for name in ("tensorflow", "absl", "h5py", "matplotlib", "PIL", "numba"):
            logging.getLogger(name).setLevel(logging.WARNING)
