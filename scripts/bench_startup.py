#!/usr/bin/env python3
"""Start-up of `djai-live serve`: from starting the process to the first /djai/status answer over UDP.

The light path (the daemon as shipped: weights read with h5py, the model run in NumPy, TensorFlow never
imported) against a baseline measured in the same run: the same daemon in a process that imports
TensorFlow first, as a live path built on Keras would have to. Runs alternate between the two so that a
busy machine slows both alike; the script prints each one's median and the ratio.

    python scripts/bench_startup.py            # 5 runs of each
    python scripts/bench_startup.py --runs 10
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from pythonosc.osc_packet import OscPacket  # noqa: E402
from pythonosc.udp_client import SimpleUDPClient  # noqa: E402

from tests.support.osc import free_udp_port  # noqa: E402

WITH_TENSORFLOW = "import sys, tensorflow; from djai_live.cli import main; sys.exit(main(sys.argv[1:]))"


def time_to_first_status(prefix: list[str], model: str, timeout: float = 120.0) -> float:
    """Seconds from Popen to the first /djai/status reply; the daemon is asked every 10 ms until it answers."""
    osc_port, reply_port = free_udp_port(), free_udp_port()
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", reply_port))
    receiver.settimeout(0.01)
    client = SimpleUDPClient("127.0.0.1", osc_port)
    command = [sys.executable, *prefix, "--quiet", "serve", "--model", model, "--osc-port", str(osc_port),
               "--reply-port", str(reply_port)]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"})
    try:
        while time.monotonic() - started < timeout:
            if process.poll() is not None:
                raise RuntimeError(f"the daemon exited: {process.stderr.read()[-2000:]}")
            client.send_message("/djai/status", [])
            try:
                data, _ = receiver.recvfrom(65536)
            except TimeoutError:
                continue
            if any(m.message.address == "/djai/status" for m in OscPacket(data).messages):
                return time.monotonic() - started
        raise RuntimeError(f"no /djai/status within {timeout} s")
    finally:
        process.terminate()
        process.wait(20)
        receiver.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    light, heavy = [], []
    for _ in range(args.runs):
        light.append(time_to_first_status(["-m", "djai_live.cli"], args.model))
        heavy.append(time_to_first_status(["-c", WITH_TENSORFLOW], args.model))
    print(f"process start -> first /djai/status, model {args.model}, {args.runs} runs each (alternating):")
    print(f"  serve as shipped (TensorFlow never imported): median {statistics.median(light):.2f} s "
          f"(min {min(light):.2f}, max {max(light):.2f})")
    print(f"  baseline, the same serve after importing TensorFlow: median {statistics.median(heavy):.2f} s "
          f"(min {min(heavy):.2f}, max {max(heavy):.2f})")
    print(f"  the light path is ready {statistics.median(heavy) / statistics.median(light):.1f}x sooner")
    return 0


if __name__ == "__main__":
    sys.exit(main())
