#!/usr/bin/env python3
"""Live latency of `djai-live serve`, measured from outside over real UDP on loopback.

1. Answer latency: from sending /djai/generate to receiving /djai/phrase (10 notes), many times: with the
   answer computed on request (`--prepare-answers off`), with answers prepared while idle (the default),
   and with the request sent 1 ms after a new note, while the daemon is still preparing.
2. The original design in the same run and on the same model: `model.predict` once per generated note,
   against the like job done by djai_live's runtime (a 10-note answer computed from the same window, in
   process): the headline ratio. Prepared answers are reported, never divided into that ratio: they were
   computed before the request.
3. Streaming accuracy: each /djai/note's arrival against its announced onset (phrase arrival + onset_ms),
   and how many announced notes never arrived.
4. A flood: N incoming notes per second (each a note-on and its note-off) for S seconds; the daemon's
   memory (VmRSS) before and after, how many of the notes it received and took (its notes_in counter,
   so notes lost in the kernel count as well as those its queue dropped), and the answer latency right after.

    python scripts/bench_latency.py                      # default model, 300 answers, 60 s flood
    python scripts/bench_latency.py --flood-seconds 10   # quicker
"""
from __future__ import annotations

import argparse
import socket
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pythonosc.osc_packet import OscPacket
from pythonosc.udp_client import SimpleUDPClient

from tests.support.osc import free_udp_port, running_daemon


def percentiles(values_ms: list[float]) -> str:
    data = np.asarray(values_ms)
    return (f"p50 {np.percentile(data, 50):7.3f} ms  p90 {np.percentile(data, 90):7.3f} ms  "
            f"p99 {np.percentile(data, 99):7.3f} ms  max {data.max():7.3f} ms  (n={len(data)})")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


class DirectReceiver:
    """Receives the daemon's replies on the calling thread, timestamped at recvfrom's return.

    A receiving thread would have to wait for the GIL while the sender spins (up to Python's 5 ms switch
    interval), and the benchmark would measure its own contention instead of the daemon.
    """

    def __init__(self, port: int) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", port))

    def until(self, address: str, timeout: float = 5.0) -> tuple[float, list]:
        """Block until a message with ``address`` arrives; (arrival time, arguments)."""
        deadline = time.monotonic() + timeout
        while True:
            self.socket.settimeout(max(deadline - time.monotonic(), 0.001))
            data, _ = self.socket.recvfrom(65536)
            arrived = time.monotonic()
            for timed in OscPacket(data).messages:
                if timed.message.address == address:
                    return arrived, list(timed.message.params)

    def drain(self, seconds: float) -> list[tuple[float, str, list]]:
        received = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.socket.settimeout(max(deadline - time.monotonic(), 0.001))
            try:
                data, _ = self.socket.recvfrom(65536)
            except TimeoutError:
                break
            arrived = time.monotonic()
            received += [(arrived, t.message.address, list(t.message.params)) for t in OscPacket(data).messages]
        return received


def play_prompt(client: SimpleUDPClient) -> None:
    """Eight notes for the daemon to answer, then a pause so that all are committed."""
    for pitch in (60, 62, 64, 65, 67, 69, 71, 72):
        client.send_message("/djai/note", [pitch, 90])
        time.sleep(0.02)
        client.send_message("/djai/note", [pitch, 0])
    time.sleep(0.2)


def answer_latencies(client: SimpleUDPClient, receiver: DirectReceiver, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        sent = time.monotonic()
        client.send_message("/djai/generate", [])
        arrived, _ = receiver.until("/djai/phrase")
        latencies.append((arrived - sent) * 1000)
        client.send_message("/djai/panic", [])
        receiver.drain(0.02)  # the notes the answer started, and their note-offs
    return latencies


def prompt_window(config) -> np.ndarray:
    from djai_live.corpus import read_midi_notes
    from djai_live.encoding import Codec, tokens_to_array

    prompt = Path(__file__).resolve().parents[1] / "tests" / "data" / "corpus" / "bach" / "bwv1.6.mid"
    return tokens_to_array(Codec(config).encode(read_midi_notes(prompt).tracks[0].notes))[-config.sequence_length_i:]


def runtime_per_answer_ms(model_name: str, phrases: int, length: int) -> float:
    """The like job with djai_live's runtime (the live path, as serve loads it): the same window primed,
    then one step per generated note, computed when asked, in process."""
    from djai_live.encoding import interval_token
    from djai_live.generation import Generator

    generator = Generator.from_file(model_name, 0)
    runtime, window = generator.runtime, prompt_window(generator.config)
    runtime.prime(window)  # warm up
    times = []
    for _ in range(phrases):
        started = time.perf_counter()
        logits, state = runtime.prime(window)
        previous = int(window[-1, 0])
        for _ in range(length):
            token = [int(np.argmax(logits[h])) for h in ("pitch", "dt", "duration", "velocity")]
            token += [0, interval_token(token[0], previous)]
            previous = token[0]
            logits, state = runtime.step(np.asarray(token, np.int64), state)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def predict_per_note_ms(model_name: str, phrases: int, length: int) -> float:
    """The original design: one model.predict over the whole window per generated note."""
    from djai_live.encoding import interval_token
    from djai_live.model import keras_log_probs, load_model

    model, config = load_model(model_name)
    window = prompt_window(config)
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

    for prepared in ("off", "on"):
        reply_port = free_udp_port()
        with running_daemon("--model", args.model, "--mode", "manual", "--length", "10", "--tempo-bpm", "240",
                            "--prepare-answers", prepared, reply_port=reply_port) as (process, port):
            client = SimpleUDPClient("127.0.0.1", port)
            receiver = DirectReceiver(reply_port)
            play_prompt(client)
            answer_latencies(client, receiver, 20)  # warm up both sides
            measured = answer_latencies(client, receiver, args.answers)
            print(f"/djai/generate -> /djai/phrase (10 notes), answers prepared {prepared:>3}: "
                  f"{percentiles(measured)}")
            if prepared == "on":
                latencies = measured
                fresh = []
                for i in range(args.answers // 3):  # a new note, then the request 1 ms after its note-off
                    client.send_message("/djai/note", [60 + i % 12, 90])
                    time.sleep(0.01)
                    client.send_message("/djai/note", [60 + i % 12, 0])
                    time.sleep(0.001)
                    sent = time.monotonic()
                    client.send_message("/djai/generate", [])
                    arrived, _ = receiver.until("/djai/phrase")
                    fresh.append((arrived - sent) * 1000)
                    client.send_message("/djai/panic", [])
                    receiver.drain(0.02)
                print(f"  the same, requested 1 ms after a new note (preparing still under way): {percentiles(fresh)}")
            else:
                unprepared = measured

    reply_port = free_udp_port()
    with running_daemon("--model", args.model, "--mode", "manual", "--length", "10", "--tempo-bpm", "240",
                        reply_port=reply_port) as (process, port):
        client = SimpleUDPClient("127.0.0.1", port)
        receiver = DirectReceiver(reply_port)
        play_prompt(client)
        answer_latencies(client, receiver, 20)

        client.send_message("/djai/set", ["tempo_bpm", 120.0])
        errors, announced_count, missing = [], 0, 0
        for _ in range(15):
            client.send_message("/djai/generate", [])
            phrase_time, phrase = receiver.until("/djai/phrase")
            announced = [phrase_time + phrase[2 + 4 * i] / 1000 for i in range(phrase[1])]
            ons = [t for t, address, _ in receiver.drain(announced[-1] - time.monotonic() + 0.3)
                   if address == "/djai/note"]
            errors += [abs(on - due) * 1000 for on, due in zip(ons, announced)]
            announced_count += len(announced)
            missing += max(0, len(announced) - len(ons))
            client.send_message("/djai/panic", [])
            receiver.drain(0.05)
        print(f"streamed note-on vs announced onset:        {percentiles(errors)}; "
              f"{missing} of {announced_count} announced notes never arrived")
        client.send_message("/djai/status", [])
        _, status = receiver.until("/djai/status")
        print(f"  the daemon's own lateness sending those notes (and the answers before), p99: "
              f"{dict(zip(status[::2], status[1::2]))['lateness_ms_p99']:.3f} ms")

        client.send_message("/djai/status", [])
        _, status = receiver.until("/djai/status")
        before = dict(zip(status[::2], status[1::2]))
        rss_before = rss_kib(process.pid)
        total = int(args.flood_rate * args.flood_seconds)
        started = time.monotonic()
        for i in range(total):  # each note: its note-on, then its note-off
            client.send_message("/djai/note", [40 + i % 40, 90])
            client.send_message("/djai/note", [40 + i % 40, 0])
            target = started + (i + 1) / args.flood_rate
            while time.monotonic() < target:
                pass
        rss_after = rss_kib(process.pid)
        receiver.drain(0.5)
        client.send_message("/djai/status", [])
        _, status = receiver.until("/djai/status")
        values = dict(zip(status[::2], status[1::2]))
        taken = values["notes_in"] - before["notes_in"]
        queue_dropped = values["dropped"] - before["dropped"]
        print(f"flood: {total} notes in {time.monotonic() - started:.1f} s; daemon VmRSS {rss_before} KiB -> "
              f"{rss_after} KiB ({(rss_after - rss_before) / max(rss_before, 1) * 100:+.1f}%); "
              f"buffer {values['buffer']}")
        print(f"  counted at the daemon: {taken} of {total} note-ons taken ({total - taken} lost); its queue dropped "
              f"{queue_dropped} of the {2 * total} messages (note-ons and note-offs, oldest first); rejected "
              f"{values['rejected'] - before['rejected']}")
        after = answer_latencies(client, receiver, 50)
        print(f"answer latency right after the flood:      {percentiles(after)}")
        print(f"the daemon's own scheduling lateness, p99:  {values['lateness_ms_p99']} ms")
        alive = process.poll() is None

    baseline = predict_per_note_ms(args.model, args.baseline_phrases, 10)
    runtime = runtime_per_answer_ms(args.model, max(args.baseline_phrases, 20), 10)
    prepared, computed = float(np.percentile(latencies, 50)), float(np.percentile(unprepared, 50))
    print(f"a 10-note answer from the same window, computed on request, in process: model.predict per note "
          f"(original design) median {baseline:.1f} ms, djai_live's runtime median {runtime:.2f} ms: "
          f"{baseline / runtime:.0f}x")
    print(f"the daemon computing on request, p50 round trip over UDP {computed:.2f} ms: {baseline / computed:.0f}x "
          f"the original's in-process time (answers prepared while idle arrive in {prepared:.2f} ms p50, but were "
          f"computed before the request: not a like comparison)")
    print("daemon alive after the flood:", alive)
    return 0 if alive else 1


if __name__ == "__main__":
    sys.exit(main())
