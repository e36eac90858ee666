#!/usr/bin/env python3
"""Live latency of `djai-live serve`, measured from outside over real UDP on loopback.

1. Answer latency: from sending /djai/generate to receiving /djai/phrase (10 notes), many times.
2. The original design in the same run and on the same model: `model.predict` once per generated note.
3. Streaming accuracy: each /djai/note's arrival against its announced onset (phrase arrival + onset_ms).
4. A flood: N incoming notes per second for S seconds; the daemon's memory (VmRSS) before and after, and
   the answer latency right after.

    python scripts/bench_latency.py                      # default model, 300 answers, 60 s flood
    python scripts/bench_latency.py --flood-seconds 10   # quicker
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.live.conftest import OscPeer, free_udp_port, running_daemon  # noqa: E402


def percentiles(values_ms: list[float]) -> str:
    data = np.asarray(values_ms)
    return (f"p50 {np.percentile(data, 50):7.3f} ms  p90 {np.percentile(data, 90):7.3f} ms  "
            f"p99 {np.percentile(data, 99):7.3f} ms  max {data.max():7.3f} ms  (n={len(data)})")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def answer_latencies(peer: OscPeer, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        before = len(peer.messages("/djai/phrase"))
        sent = time.monotonic()
        peer.send("/djai/generate")
        deadline = sent + 5
        while len(peer.messages("/djai/phrase")) <= before and time.monotonic() < deadline:
            pass  # spin: sleeping would add the sleep's own latency to the measurement
        arrived = peer.messages("/djai/phrase")[before][0]
        latencies.append((arrived - sent) * 1000)
        peer.send("/djai/panic")
        time.sleep(0.01)
    return latencies


def predict_per_note_ms(model_name: str, phrases: int, length: int) -> float:
    """The original design: one model.predict over the whole window per generated note."""
    from djai_live.corpus import read_midi_notes
    from djai_live.encoding import Codec, interval_token, tokens_to_array
    from djai_live.model import keras_log_probs, load_model

    model, config = load_model(model_name)
    codec = Codec(config)
    prompt = Path(__file__).resolve().parents[1] / "tests" / "data" / "corpus" / "bach" / "bwv1.6.mid"
    window = tokens_to_array(codec.encode(read_midi_notes(prompt).tracks[0].notes))[-config.sequence_length_i:]
    keras_log_probs(model, window[None])  # warm up
    times = []
    for _ in range(phrases):
        current = window.copy()
        started = time.perf_counter()
        for _ in range(length):
            log_probs = keras_log_probs(model, current[None])
            token = [int(np.argmax(log_probs[h][0, -1])) for h in ("pitch", "dt", "duration", "velocity")]
            token += [0, interval_token(token[0], int(current[-1, 0]))]
            current = np.vstack([current[1:], token])
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--answers", type=int, default=300)
    parser.add_argument("--baseline-phrases", type=int, default=5)
    parser.add_argument("--flood-rate", type=int, default=1000, help="incoming notes per second")
    parser.add_argument("--flood-seconds", type=float, default=60.0)
    args = parser.parse_args()

    reply_port = free_udp_port()
    with running_daemon("--model", args.model, "--mode", "manual", "--length", "10", "--tempo-bpm", "240",
                        reply_port=reply_port) as (process, port):
        peer = OscPeer(port, listen_port=reply_port)
        for pitch in (60, 62, 64, 65, 67, 69, 71, 72):
            peer.send("/djai/note", pitch, 90)
            time.sleep(0.02)
            peer.send("/djai/note", pitch, 0)
        time.sleep(0.2)
        answer_latencies(peer, 20)  # warm up both sides
        latencies = answer_latencies(peer, args.answers)
        print(f"/djai/generate -> /djai/phrase (10 notes): {percentiles(latencies)}")

        peer.clear()
        peer.send("/djai/set", "tempo_bpm", 120.0)
        errors = []
        for _ in range(15):
            before = len(peer.messages("/djai/phrase"))
            peer.send("/djai/generate")
            phrase_time, _, phrase = peer.wait_for("/djai/phrase", before + 1)[before]
            count = phrase[1]
            announced = [phrase_time + phrase[2 + 4 * i] / 1000 for i in range(count)]
            deadline = announced[-1] + 0.5
            while time.monotonic() < deadline:
                time.sleep(0.01)
            ons = [t for t, _, _ in peer.messages("/djai/note")][-count:]
            errors += [abs(on - due) * 1000 for on, due in zip(ons, announced)]
            peer.send("/djai/panic")
            time.sleep(0.05)
        print(f"streamed note-on vs announced onset:        {percentiles(errors)}")

        rss_before = rss_kib(process.pid)
        total = int(args.flood_rate * args.flood_seconds)
        started = time.monotonic()
        for i in range(total):
            peer.send("/djai/note", 40 + i % 40, 0 if i % 2 else 90)
            target = started + (i + 1) / args.flood_rate
            while time.monotonic() < target:
                pass
        rss_after = rss_kib(process.pid)
        peer.send("/djai/status")
        time.sleep(0.3)
        status = peer.messages("/djai/status")[-1][2]
        values = dict(zip(status[::2], status[1::2]))
        print(f"flood: {total} notes in {time.monotonic() - started:.1f} s; daemon VmRSS {rss_before} KiB -> "
              f"{rss_after} KiB ({(rss_after - rss_before) / max(rss_before, 1) * 100:+.1f}%); "
              f"dropped {values['dropped']}, buffer {values['buffer']}")
        after = answer_latencies(peer, 50)
        print(f"answer latency right after the flood:      {percentiles(after)}")
        alive = process.poll() is None
        peer.close()

    baseline = predict_per_note_ms(args.model, args.baseline_phrases, 10)
    ours = float(np.percentile(latencies, 50))
    print(f"model.predict per note (original design), 10 notes: median {baseline:.1f} ms in-process")
    print(f"speed-up of the daemon's p50 round trip over it: {baseline / ours:.0f}x")
    print("daemon alive after the flood:", alive)
    return 0 if alive else 1


if __name__ == "__main__":
    sys.exit(main())
