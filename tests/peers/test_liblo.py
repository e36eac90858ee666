"""liblo's command-line tools (Debian liblo-tools) as a third-party OSC host."""
import shutil
import subprocess
import time

import pytest

from tests.live.conftest import free_udp_port, running_daemon

pytestmark = pytest.mark.skipif(shutil.which("oscsend") is None or shutil.which("oscdump") is None,
                                reason="liblo-tools not installed (apt-get install liblo-tools)")


def test_oscsend_plays_and_oscdump_hears_the_answer():
    reply_port = free_udp_port()
    dump = subprocess.Popen(["oscdump", "-L", str(reply_port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        with running_daemon("--mode", "every", "--every-n", "3", "--length", "5", "--tempo-bpm", "300",
                            reply_port=reply_port) as (_, port):
            for pitch in (60, 64, 67):
                # integers as Max sends them, then floats as Pd sends them
                subprocess.run(["oscsend", "127.0.0.1", str(port), "/djai/note", "ii", str(pitch), "90"], check=True)
                time.sleep(0.05)
                subprocess.run(["oscsend", "127.0.0.1", str(port), "/djai/note", "ff", f"{pitch}.0", "0.0"], check=True)
            subprocess.run(["oscsend", "127.0.0.1", str(port), "/djai/note", "s", "not a pitch"], check=True)
            time.sleep(3.0)
    finally:
        dump.terminate()
        output, _ = dump.communicate(timeout=10)
    # oscdump prints "TIMETAG ADDRESS TYPES ARGS..."
    lines = [words[1:] for words in (line.split() for line in output.splitlines())
             if len(words) > 1 and words[1].startswith("/djai/")]
    phrases = [line for line in lines if line[0] == "/djai/phrase"]
    ons = [line for line in lines if line[0] == "/djai/note"]
    offs = [line for line in lines if line[0] == "/djai/note_off"]
    errors = [line for line in lines if line[0] == "/djai/error"]
    assert len(phrases) == 1 and phrases[0][3] == "5"  # address, type tags, phrase_id, count
    assert len(ons) == 5 and len(offs) == 5
    assert sorted(line[2] for line in ons) == sorted(line[2] for line in offs)
    assert errors and "pitch must be a number, got str" in " ".join(errors[0])  # the wrong type is named
