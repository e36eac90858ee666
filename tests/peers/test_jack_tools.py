"""JACK's own MIDI tools as the third-party peers: jack_midiseq plays, jack_midi_dump listens."""
import re
import subprocess
import threading
import time


from tests.support.osc import OscPeer, free_udp_port, running_daemon
from tests.peer import need_executables

need_executables("jack_midiseq", "jack_midi_dump", "jack_lsp", "jack_connect", "stdbuf",
                 install="apt-get install jackd2")


def jack_ports() -> list[str]:
    return subprocess.run(["jack_lsp"], capture_output=True, text=True).stdout.splitlines()


def wait_for_port(fragment: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        matches = [port for port in jack_ports() if fragment in port]
        if matches:
            return matches[-1]
        time.sleep(0.1)
    raise AssertionError(f"no JACK port matching {fragment!r}: {jack_ports()}")


def test_jack_midiseq_plays_and_jack_midi_dump_hears_every_note_end(jack_server):
    reply_port = free_udp_port()
    with running_daemon("--midi-api", "jack", "--midi-in", "virtual", "--midi-out", "virtual", "--mode", "every",
                        "--every-n", "4", "--length", "5", "--tempo-bpm", "300", "--interrupt", "off",
                        reply_port=reply_port):
        replies = OscPeer(free_udp_port(), listen_port=reply_port)  # the OSC replies mirror the MIDI out
        dump = subprocess.Popen(["stdbuf", "-oL", "jack_midi_dump", "-a"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(dump.stdout), daemon=True)
        reader.start()
        sequencer = None
        try:
            monitor = wait_for_port("midi-monitor")
            subprocess.run(["jack_connect", wait_for_port("djai_live out"), monitor], check=True)
            # four notes in a half-second loop at 48 kHz: start, pitch, length in samples (paced, not a flood)
            sequencer = subprocess.Popen(["jack_midiseq", "djai_test_seq", "24000", "0", "60", "2000", "6000", "62",
                                          "2000", "12000", "64", "2000", "18000", "65", "2000"],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            subprocess.run(["jack_connect", wait_for_port("djai_test_seq"), wait_for_port("djai_live in")], check=True)
            replies.wait_for("/djai/phrase", 1, timeout=20)  # four notes heard, one answer
            sequencer.terminate()
            sequencer.wait(5)
            replies.wait_for("/djai/note_off", 5, timeout=20)  # the answer played out
            deadline = time.monotonic() + 5
            while sum("note off" in line or "velocity   0" in line for line in list(lines)) < 5 \
                    and time.monotonic() < deadline:
                time.sleep(0.02)  # polling interval: the dump prints within a JACK cycle or two
        finally:
            replies.close()
            if sequencer is not None and sequencer.poll() is None:
                sequencer.kill()
            dump.terminate()
            dump.wait(10)
            reader.join(5)
    output = "".join(lines)
    events = re.findall(r"note (on|off)\s+\(channel\s+\d+\): pitch\s+(\d+), velocity\s+(\d+)", output)
    sounding: dict[str, int] = {}
    ons = 0
    for kind, pitch, velocity in events:
        if kind == "on" and int(velocity) > 0:
            ons += 1
            sounding[pitch] = sounding.get(pitch, 0) + 1
        else:
            sounding[pitch] = sounding.get(pitch, 0) - 1
    assert ons >= 5, output
    assert all(count == 0 for count in sounding.values()), f"notes without note-off: {sounding}\n{output}"
