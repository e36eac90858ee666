"""What the commands log: our own messages at INFO by default; each phrase and setting change (the
``djai_live.events`` logger) with -v; our debug lines with -vv; other libraries' debug lines only with -vvv."""
from __future__ import annotations

import logging

EVENTS_LOGGER = "djai_live.events"


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
    if verbose < 3:
        for name in ("tensorflow", "absl", "h5py", "matplotlib", "PIL", "numba"):
            logging.getLogger(name).setLevel(logging.WARNING)
