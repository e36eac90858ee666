"""`serve --midi-map` and `[midi_map]` at start-up: a bad entry is one line and the daemon serves the rest; a
file that cannot be read is one error line and no daemon; the mapping is in /djai/status."""
import subprocess
import sys

from tests.support.osc import OscPeer, free_udp_port, running_daemon

BAD_AND_GOOD = """[cc]
temperature = 21
temperatur = 22
top_p = { cc = 23, min = 0.0 }
mode = 24
[program]
1 = "set tempo 3"
"""


def test_bad_entries_are_one_line_each_and_the_rest_serves(tmp_path):
    path = tmp_path / "map.toml"
    path.write_text(BAD_AND_GOOD)
    reply_port = free_udp_port()
    with running_daemon("--midi-map", str(path), reply_port=reply_port) as (process, port):
        peer = OscPeer(port, listen_port=reply_port)
        status = peer.status()
        assert status["map:temperature"] == "cc 21 channel any 0-10" and status["map:handover"] == "cc 67 channel any"
        assert "map:temperatur" not in status and "map:top_p" not in status
        peer.send("/djai/learn", "top_p")
        assert peer.wait_for("/djai/learn")[0][2] == ["top_p"]
        peer.close()
    said = [line for line in process.stderr.read().splitlines() if "MIDI map:" in line]
    assert len(said) == 4, said  # temperatur, top_p's min, the program's unknown parameter, mode's accompany
    assert any("[cc] temperatur: unknown parameter" in line for line in said)
    assert any("[cc] top_p: min must be within top_p's range" in line for line in said)
    assert any("[program] 1: unknown parameter 'tempo'" in line for line in said)
    assert any("cannot play accompany" in line for line in said)


def test_the_config_files_midi_map_table_is_the_map(tmp_path):
    path = tmp_path / "live.toml"
    path.write_text("[serve]\nmode = 'manual'\n\n[midi_map.cc]\nlength = { cc = 30, min = 2, max = 16 }\n")
    reply_port = free_udp_port()
    with running_daemon("--config", str(path), reply_port=reply_port) as (_, port):
        peer = OscPeer(port, listen_port=reply_port)
        status = peer.status()
        peer.close()
    assert status["mode"] == "manual" and status["map:length"] == "cc 30 channel any 2-16"


def test_a_map_that_cannot_be_read_is_one_error_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[cc\n")
    for path, words in ((bad, "bad.toml: not valid TOML"), (tmp_path / "none.toml", "none.toml: cannot read")):
        done = subprocess.run([sys.executable, "-m", "djai_live.cli", "serve", "--midi-map", str(path)],
                              capture_output=True, text=True, timeout=60)
        errors = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode != 0 and len(errors) == 1 and words in errors[0], done.stderr
