"""Pure Data (Debian puredata-core), headless, as a live OSC host: the shipped patch loads and plays."""
import subprocess
from pathlib import Path

import pytest


from tests.live.conftest import free_udp_port, running_daemon
from tests.peer import need_executables

ROOT = Path(__file__).resolve().parents[2]
PATCH = ROOT / "max_patches" / "pd" / "djai_live.pd"
DRIVER = Path(__file__).with_name("pd_client.pd")
FAILURES = ("couldn't create", "error", "bad arguments", "no such object")

need_executables("pd", install="apt-get install puredata-core")


def run_pd(*args: str, timeout: float = 20) -> str:
    completed = subprocess.run(["pd", "-nogui", "-nosound", "-nomidi", "-stderr", "-sleepgrain", "0.5", *args],
                               capture_output=True, text=True, timeout=timeout)
    return completed.stdout + completed.stderr


def test_the_shipped_patch_loads_without_errors():
    # Pd exits 0 even when an object fails to create: the verdict is in what it prints
    output = run_pd("-open", str(PATCH), "-send", "pd quit")
    problems = [line for line in output.splitlines() if any(word in line.lower() for word in FAILURES)]
    assert not problems, problems


def test_pure_data_plays_a_phrase_and_hears_the_answer():
    reply_port = free_udp_port()
    with running_daemon("--mode", "every", "--every-n", "4", "--length", "6", "--tempo-bpm", "300",
                        reply_port=reply_port) as (_, port):
        messages = (f"djai-connect connect 127.0.0.1 {port}; djai-listen listen {reply_port}; "
                    "djai-test-play bang")
        output = run_pd("-open", str(PATCH), "-open", str(DRIVER), "-send", messages, timeout=30)
    notes = [line.split(":", 1)[1].split() for line in output.splitlines() if line.startswith("djai-out:")]
    offs = [line.split(":", 1)[1].split() for line in output.splitlines() if line.startswith("djai-out-off:")]
    phrases = [line for line in output.splitlines() if line.startswith("djai-phrase:")]
    assert len(phrases) == 1, output
    assert len(notes) == 6 and len(offs) == 6, output
    # [r djai-phrase]: phrase_id count, then onset_ms pitch velocity duration_ms per note
    phrase = [float(word) for word in phrases[0].split(":", 1)[1].split()]
    assert phrase[:2] == [1, 6] and len(phrase) == 2 + 4 * 6, phrases
    planned = [phrase[2 + 4 * i: 6 + 4 * i] for i in range(6)]
    # [r djai-out]: pitch velocity duration_ms channel, the phrase's notes in order, on channel_out 1
    for fields, (_, pitch, velocity, duration) in zip(notes, planned):
        assert [float(word) for word in fields] == pytest.approx([pitch, velocity, duration, 1], rel=1e-5, abs=1e-3), fields
        assert 0 <= pitch <= 127 and 1 <= velocity <= 127 and duration >= 10.0
    assert all(len(fields) == 2 and float(fields[1]) == 1 for fields in offs), offs  # pitch channel
    assert sorted(float(fields[0]) for fields in notes) == sorted(float(fields[0]) for fields in offs)
