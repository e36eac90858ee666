"""Pure Data (Debian puredata-core), headless, as a live OSC host: [djai_live PORT REPLY_PORT] created with
arguments talks to a real daemon, and [djai_live_midiout] plays what comes back on the right channels."""
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from pythonosc.osc_message import OscMessage
from pythonosc.udp_client import SimpleUDPClient

from tests.support.osc import free_udp_port, running_daemon
from tests.peer import need_executables

ROOT = Path(__file__).resolve().parents[2]
PD_DIR = ROOT / "max_patches" / "pd"
HELP_PATCHES = sorted(PD_DIR.glob("*-help.pd"))
DRIVER = Path(__file__).with_name("pd_client.pd")
FAILURES = ("couldn't create", "error", "bad arguments", "no such object", "unknown message")

need_executables("pd", install="apt-get install puredata-core")
PD = ["pd", "-nogui", "-nosound", "-nomidi", "-stderr", "-sleepgrain", "0.5", "-path", str(PD_DIR)]


def problems(lines: list[str]) -> list[str]:
    return [line for line in lines if any(word in line.lower() for word in FAILURES)]


def driver(tmp_path: Path, port: int, reply_port: int) -> Path:
    """The test driver with the abstraction created on the ports this test chose."""
    text = DRIVER.read_text()
    assert "djai_live 9000 9001" in text
    path = tmp_path / "pd_client.pd"
    path.write_text(text.replace("djai_live 9000 9001", f"djai_live {port} {reply_port}"))
    return path


class PureData:
    """A headless Pd process whose printed lines are collected as they come, so a test can wait on them."""

    def __init__(self, patch: Path, send: str) -> None:
        self.process = subprocess.Popen([*PD, "-open", str(patch), "-send", send], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def printed(self, name: str) -> list[str]:
        return [line.split(":", 1)[1].strip() for line in list(self.lines) if line.startswith(f"{name}:")]

    def wait_for(self, done, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError("Pd did not print what was expected:\n" + "\n".join(self.lines))
            time.sleep(0.02)   # polling what the reader thread collected, not waiting for Pd to be ready

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self._reader.join(5)


@pytest.mark.parametrize("patch", HELP_PATCHES, ids=lambda p: p.name)
def test_the_help_patches_and_their_abstractions_load_without_errors(patch):
    # Pd exits 0 even when an object fails to create: the verdict is in what it prints
    completed = subprocess.run([*PD, "-open", str(patch), "-send", "pd quit"], capture_output=True, text=True,
                               timeout=20)
    assert not problems((completed.stdout + completed.stderr).splitlines())


def test_every_abstraction_has_a_help_patch_beside_it():
    abstractions = {p.stem for p in PD_DIR.glob("*.pd")} - {p.stem for p in HELP_PATCHES}
    assert abstractions == {"djai_live", "djai_live_midiout"}
    assert {f"{name}-help" for name in abstractions} == {p.stem for p in HELP_PATCHES}


def test_the_abstraction_with_arguments_plays_a_phrase_and_shows_acknowledgements(tmp_path):
    reply_port = free_udp_port()
    with running_daemon("--mode", "every", "--every-n", "4", "--length", "6", "--tempo-bpm", "300",
                        reply_port=reply_port) as (_, port):
        pd = PureData(driver(tmp_path, port, reply_port),
                      "djai-test-control set temperature 0.9; djai-test-control reset; "
                      "djai-test-control set scale dorian D; djai-test-play bang")
        try:
            pd.wait_for(lambda: len(pd.printed("djai-note-off")) >= 6)
        finally:
            pd.close()
    notes = [fields.split() for fields in pd.printed("djai-note")]
    offs = [fields.split() for fields in pd.printed("djai-note-off")]
    assert len(notes) == 6 and len(offs) == 6, pd.lines
    assert sorted(n[0] for n in notes) == sorted(o[0] for o in offs)
    # the last outlet carries /djai/phrase as "phrase ID COUNT" then onset_ms pitch velocity duration_ms per note,
    # and each note arrives as planned: pitch velocity duration_ms channel (channel_out 1)
    phrases = [line.split()[1:] for line in pd.printed("djai-other") if line.startswith("phrase")]
    assert len(phrases) == 1, pd.lines
    phrase = [float(word) for word in phrases[0]]
    assert phrase[1] == 6 and len(phrase) == 2 + 4 * 6, phrase
    planned = [phrase[2 + 4 * i: 6 + 4 * i] for i in range(6)]
    for fields, (_, pitch, velocity, duration) in zip(notes, planned):
        assert [float(word) for word in fields] == pytest.approx([pitch, velocity, duration, 1], abs=1e-3), fields
    assert all(len(fields) == 2 and fields[1] == "1" for fields in offs), offs
    # the player sends each note on the channel the daemon named
    played = {tuple(line.split()[1:]) for line in pd.printed("djai-played") if line.startswith("note")}
    assert {(pitch, velocity, channel) for pitch, velocity, _, channel in notes} <= played
    assert {(pitch, "0", channel) for pitch, channel in offs} <= played
    other = pd.printed("djai-other")
    assert any(line.startswith("set temperature 0.9") for line in other), other
    assert "reset" in other, other
    # /djai/key is two atoms, so [route key] then [route D] reach the scale's name (one symbol 'D dorian' would not)
    assert "dorian" in pd.printed("djai-key-in-D"), pd.lines
    assert not problems(pd.lines)


def test_all_notes_off_a_model_swap_and_four_channels_reach_the_patch(tmp_path):
    """A stand-in daemon (a UDP socket here) hears /djai/load from the patch and plays four voices on four
    channels back, then /djai/loaded, acknowledgements and /djai/all_notes_off, as the daemon does."""
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.settimeout(20)
    reply_port = free_udp_port()
    pd = PureData(driver(tmp_path, daemon.getsockname()[1], reply_port), "djai-test-control load chorale")
    try:
        # the patch's first message is also the sign that its reply socket is bound (both happen at load)
        load = OscMessage(daemon.recv(65536))
        assert (load.address, load.params) == ("/djai/load", ["chorale"])
        client = SimpleUDPClient("127.0.0.1", reply_port)
        for pitch, channel in ((60, 1), (64, 2), (67, 3), (48, 4)):
            client.send_message("/djai/note", [pitch, 90, 5000, channel])
        client.send_message("/djai/note_off", [67, 3])
        client.send_message("/djai/loaded", "chorale")
        client.send_message("/djai/set", ["mode", "accompany"])
        client.send_message("/djai/reset", [])
        client.send_message("/djai/all_notes_off", [])
        pd.wait_for(lambda: len([line for line in pd.printed("djai-played") if line.startswith("ctl")]) >= 32)
    finally:
        pd.close()
        daemon.close()
    played = [tuple(line.split()) for line in pd.printed("djai-played")]
    notes = [entry[1:] for entry in played if entry[0] == "note"]
    assert notes[:5] == [("60", "90", "1"), ("64", "90", "2"), ("67", "90", "3"), ("48", "90", "4"),
                         ("67", "0", "3")], played
    # all notes off ends exactly the voices still sounding, each on its own channel, then every channel's
    # All Notes Off (CC 123) and All Sound Off (CC 120)
    assert sorted(notes[5:]) == [("48", "0", "4"), ("60", "0", "1"), ("64", "0", "2")], played
    controls = [entry[1:] for entry in played if entry[0] == "ctl"]
    assert sorted(controls, key=lambda c: (int(c[2]), int(c[1]))) == \
        [("0", str(cc), str(channel)) for channel in range(1, 17) for cc in (120, 123)]
    assert played.index(("ctl", *controls[0])) > max(i for i, entry in enumerate(played) if entry[0] == "note")
    assert pd.printed("djai-all-off") == ["bang"]
    assert pd.printed("djai-other") == ["loaded chorale", "set mode accompany", "reset"]
    assert not problems(pd.lines)


def test_the_daemons_panic_leaves_nothing_sounding_in_the_patch(tmp_path):
    reply_port = free_udp_port()
    with running_daemon("--mode", "every", "--every-n", "4", "--length", "6", "--tempo-bpm", "60",
                        reply_port=reply_port) as (_, port):
        pd = PureData(driver(tmp_path, port, reply_port), "djai-test-play bang")
        try:
            pd.wait_for(lambda: pd.printed("djai-note"))
            SimpleUDPClient("127.0.0.1", port).send_message("/djai/panic", [])
            pd.wait_for(lambda: len([line for line in pd.printed("djai-played") if line.startswith("ctl")]) >= 32)
        finally:
            pd.close()
    assert pd.printed("djai-all-off")
    sounding: dict[tuple[str, str], int] = {}
    for line in pd.printed("djai-played"):
        kind, *fields = line.split()
        if kind == "note":
            pitch, velocity, channel = fields
            sounding[pitch, channel] = sounding.get((pitch, channel), 0) + (1 if velocity != "0" else -1)
    assert all(count <= 0 for count in sounding.values()), sounding
    assert not problems(pd.lines)
