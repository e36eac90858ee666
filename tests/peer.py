"""Real peers (JACK, Pure Data, liblo, FluidSynth, Ableton Link, py2max): every test that needs one asks
here. Where a peer is missing the test is skipped, except where CI asks for every peer
(``DJAI_LIVE_REQUIRE_PEERS=1``, set by ``.ci/run``): there a missing peer is a failure, so a CI run can
never pass with a peer left untested."""
from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType

import pytest

REQUIRE_PEERS_VARIABLE = "DJAI_LIVE_REQUIRE_PEERS"


def peers_required() -> bool:
    return os.environ.get(REQUIRE_PEERS_VARIABLE, "") not in ("", "0")


def missing(reason: str) -> None:
    """Skip (or, where peers are required, fail) the current test or module: ``reason`` names the peer."""
    if peers_required():
        pytest.fail(f"{REQUIRE_PEERS_VARIABLE}=1 and a real peer is missing: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def need_executables(*names: str, install: str) -> None:
    absent = [name for name in names if shutil.which(name) is None]
    if absent:
        missing(f"{', '.join(absent)} not installed ({install})")


def need_module(name: str, install: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as error:
        missing(f"Python module {name!r} not importable: {error} ({install})")
        raise  # unreachable: missing() always raises
