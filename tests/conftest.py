"""Shared fixtures: real corpus files, broken MIDI files, and a tiny model trained once per session."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.peer import REQUIRE_PEERS_VARIABLE, need_executables, peers_required

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["DJAI_LIVE_CACHE"] = tempfile.mkdtemp(prefix="djai_live_test_cache_")

DATA = Path(__file__).parent / "data"
PATTERN = [60, 62, 64, 67, 65, 64, 62, 59]
TINY_MODEL_FOLDER = "DJAI_LIVE_TEST_TINY_MODEL_DIR"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return DATA / "corpus"


@pytest.fixture(scope="session")
def chorale() -> Path:
    return DATA / "corpus" / "bach" / "bwv1.6.mid"


@pytest.fixture(scope="session")
def piano_file() -> Path:
    return DATA / "piano" / "mozart_k545.mid"


def write_pattern_midi(path: Path, repeats: int = 40, transpose: int = 0) -> Path:
    """A melody that repeats PATTERN, eighth notes at 120 BPM."""
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    track = pretty_midi.Instrument(program=0, name="pattern")
    time = 0.0
    for i in range(repeats * len(PATTERN)):
        pitch = PATTERN[i % len(PATTERN)] + transpose
        track.notes.append(pretty_midi.Note(velocity=90, pitch=pitch, start=time, end=time + 0.25))
        time += 0.25
    midi.instruments.append(track)
    midi.write(str(path))
    return path


def write_bad_midi_files(folder: Path) -> dict[str, Path]:
    """One file per kind of damage the reader must survive."""
    folder.mkdir(parents=True, exist_ok=True)
    good = (DATA / "corpus" / "bach" / "bwv1.6.mid").read_bytes()
    header_only = b"MThd\x00\x00\x00\x06\x00\x01\x00\x00\x01\xe0"
    files = {
        "random": os.urandom(2048),
        "truncated": good[: len(good) // 3],
        "empty": b"",
        "text": b"this is not a MIDI file, just some text with a .mid name\n",
        "header_only": header_only,
    }
    paths = {}
    for name, data in files.items():
        paths[name] = folder / f"{name}.mid"
        paths[name].write_bytes(data if name != "random" else b"RIFF" + data)
    return paths


@pytest.fixture(scope="session")
def pattern_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pattern")
    for i, transpose in enumerate((0, 0, 0, 0, 0, 0)):
        write_pattern_midi(folder / f"pattern_{i}.mid", repeats=30 + 5 * i, transpose=transpose)
    return folder


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, pattern_dir) -> Path:
    """A small GRU trained on the repeating pattern: it must learn it."""
    from djai_live.config import DjaiConfig
    from djai_live.corpus import scan_midi_files
    from djai_live.training import train

    output = tmp_path_factory.mktemp("model") / "tiny.keras"
    # scripts/plant_bugs.py trains it once for the bugs planted outside training (a folder to share it in)
    shared = Path(os.environ[TINY_MODEL_FOLDER]) if os.environ.get(TINY_MODEL_FOLDER) else None
    if shared is not None and (shared / output.name).exists():
        for made in shared.iterdir():
            shutil.copy2(made, output.parent / made.name)
        return output
    config = DjaiConfig(model_type="gru", n_layers=1, n_units=48, sequence_length_i=16, sequence_length_o=8,
                        batch_size=16, learning_rate=0.01, dropout=0.0)
    train(scan_midi_files(pattern_dir), config, output, epochs=40, patience=40, validation_split=0.2,
          cache_dir=None, verbose=0)
    if shared is not None:
        shared.mkdir(parents=True, exist_ok=True)
        for made in output.parent.iterdir():
            if made.is_file():
                shutil.copy2(made, shared / made.name)
    return output


@pytest.fixture(scope="session")
def jack_server():
    """A JACK server with the dummy driver: real MIDI ports in user space, no sound card needed. It runs
    under a name of its own (JACK_DEFAULT_SERVER, inherited by the daemons and peers the tests start), so
    test runs of several checkouts on one machine do not share a server.

    CI installs jackd2; the tests that need it are skipped only where it is not installed (and fail
    there instead where DJAI_LIVE_REQUIRE_PEERS=1: see tests/peer.py)."""
    need_executables("jackd", "jack_wait", install="apt-get install jackd2")
    from tests.live.jack_devices import JackServerProcess

    previous = os.environ.get("JACK_DEFAULT_SERVER")
    server = JackServerProcess()
    try:
        server.start()
    except RuntimeError as error:
        pytest.fail(str(error))
    try:
        yield server
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = previous


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Where peers are required, no test may skip (a safety net for a skip that bypasses tests/peer.py)."""
    outcome = yield
    report = outcome.get_result()
    if peers_required() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"{REQUIRE_PEERS_VARIABLE}=1 but the test skipped: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """The same for a whole module skipped at import (pytest.importorskip, a module-level skip)."""
    outcome = yield
    report = outcome.get_result()
    if peers_required() and report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"{REQUIRE_PEERS_VARIABLE}=1 but {collector.nodeid} was skipped: {reason}"
