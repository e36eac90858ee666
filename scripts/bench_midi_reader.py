#!/usr/bin/env python3
"""What the daemon's JACK input reader costs: `djai_live.live.midi.MidiInput` alone in this process on a JACK
dummy server (32-frame periods), its process CPU over 10 s with nothing arriving (the baseline: read every
POLL_S), then over 10 s of CCs at 100/s sent by another process (read every POLL_BUSY_S meanwhile).

    apt-get install jackd2
    python scripts/bench_midi_reader.py
"""
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["JACK_DEFAULT_SERVER"] = "pollcpu"
jack = subprocess.Popen(["jackd", "-n", "pollcpu", "--no-realtime", "-d", "dummy", "-r", "48000", "-p", "32"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
subprocess.run(["jack_wait", "-s", "pollcpu", "-w", "-t", "5"], check=True, capture_output=True)
sender = subprocess.Popen([sys.executable, "-c", """
import rtmidi, time, sys
out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, 'PollSender'); out.open_virtual_port('out')
print('ready', flush=True); sys.stdin.readline()
t = time.monotonic()
for i in range(1000):
    while time.monotonic() < t + i * 0.01: time.sleep(0.0005)
    out.send_message([0xB0, 21, i % 128])
time.sleep(0.5)
"""], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
assert sender.stdout.readline().strip() == "ready"
from djai_live.live.midi import MidiInput  # noqa: E402
got: list = []
port = MidiInput("PollSender", "jack", got.append, to_command=tuple).open()
time.sleep(1.0)
c0 = time.process_time()
time.sleep(10)
idle = time.process_time() - c0
sender.stdin.write("go\n")
sender.stdin.flush()
c0 = time.process_time()
time.sleep(10)
busy = time.process_time() - c0
print(f"reader CPU: nothing arriving {idle / 10 * 100:.1f}% of a core, CCs at 100/s {busy / 10 * 100:.1f}% "
      f"({len(got)} messages read)")
port.close()
sender.wait()
jack.terminate()
jack.wait()
