#!/usr/bin/env python3
"""What the live page costs the hot path: `djai-live serve` as its own process, measured from outside
over real UDP, in alternating runs of the same session: no page and no browser (``off``); three headless
chromium drawing the page from a file, --ui off (``browsers``: what the browsers' own CPU costs a 2-core
machine); and `serve --ui` with the three pages open and drawing, plus a reader that stops reading for the whole run
and a fourth tab frozen by the browser (Page.setWebLifecycleState) as long (``pages``).

Per run:
1. answer latency: /djai/generate sent -> /djai/phrase (10 notes) received (kernel arrival stamps);
2. streamed-note lateness: each /djai/note's kernel arrival against its announced onset (the phrase's
   arrival + onset_ms);
3. with ``--accompany-notes N`` (and a model of several instruments): the harmonizing latency of
   ``--mode accompany``, from a melody note sent to the first accompanying note received;
4. with pages: a note sent over OSC -> the page's own clock when its event reached each page (the
   page's performance.timeOrigin + now against the sender's time.time()), and the frames each page drew;
   at the end the frozen reader reads again: the events it lost, and whether it caught up.

Runs alternate (off, browsers, pages, pages, browsers, off, ...), so the spread between the runs of one
kind is the noise the others are compared with; pages against browsers is what the page's server costs.
A 2-core machine shared with other work makes every figure noisy.

    python scripts/bench_page.py                  # 2 rounds: 6 runs, about 4 minutes
    python scripts/bench_page.py --rounds 1 --phrases 4
    python scripts/bench_page.py --model chorale --rounds 1 --accompany-notes 40   # and the harmonizing
"""
from __future__ import annotations

import argparse
import json
import signal
import socket
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pythonosc.osc_packet import OscPacket
from pythonosc.udp_client import SimpleUDPClient

from tests.support.osc import KERNEL_STAMP, SO_TIMESTAMPNS, free_udp_port, running_daemon, wall_to_monotonic
from tests.support.page import browser, free_tcp_port, open_page

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_latency import answer_latencies  # (one answer-latency loop for both benches)

# off: no page, no browser; browsers: the browsers drawing the page from a file (their CPU alone, --ui off);
# pages: serve --ui with the browsers on it and a frozen reader
KINDS = ("off", "browsers", "pages")


class StampedReceiver:
    """The daemon's replies received on the calling thread, each stamped by the kernel on arrival."""

    def __init__(self, port: int) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.socket.bind(("127.0.0.1", port))
        self.to_monotonic = wall_to_monotonic()

    def _receive(self, timeout: float) -> tuple[float, list] | None:
        self.socket.settimeout(max(timeout, 0.001))
        try:
            data, ancillary, _, _ = self.socket.recvmsg(65536, socket.CMSG_SPACE(KERNEL_STAMP.size))
        except TimeoutError:
            return None
        stamp = time.monotonic()
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                seconds, nanoseconds = KERNEL_STAMP.unpack(payload[:KERNEL_STAMP.size])
                stamp = seconds + nanoseconds * 1e-9 + self.to_monotonic
        return stamp, [(t.message.address, list(t.message.params)) for t in OscPacket(data).messages]

    def until(self, address: str, timeout: float = 5.0) -> tuple[float, list]:
        deadline = time.monotonic() + timeout
        while True:
            got = self._receive(deadline - time.monotonic())
            if got is None:
                raise TimeoutError(f"no {address} within {timeout}s")
            for found, args in got[1]:
                if found == address:
                    return got[0], args

    def drain(self, seconds: float) -> list[tuple[float, str, list]]:
        received = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            got = self._receive(deadline - time.monotonic())
            if got is None:
                break
            received += [(got[0], address, args) for address, args in got[1]]
        return received


def p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def play_prompt(client: SimpleUDPClient) -> None:
    for pitch in (60, 62, 64, 65, 67, 69, 71, 72):
        client.send_message("/djai/note", [pitch, 90])
        time.sleep(0.02)
        client.send_message("/djai/note", [pitch, 0])
    time.sleep(0.2)


def streamed_lateness(client, receiver: StampedReceiver, phrases: int) -> tuple[list[float], int]:
    errors, missing = [], 0
    for _ in range(phrases):
        client.send_message("/djai/generate", [])
        phrase_time, phrase = receiver.until("/djai/phrase")
        announced = [phrase_time + phrase[2 + 4 * i] / 1000 for i in range(phrase[1])]
        ons = [t for t, address, _ in receiver.drain(announced[-1] - time.monotonic() + 0.3) if address == "/djai/note"]
        errors += [abs(on - due) * 1000 for on, due in zip(ons, announced)]
        missing += max(0, len(announced) - len(ons))
        client.send_message("/djai/panic", [])
        receiver.drain(0.05)
    return errors, missing


def harmonizing(client, receiver: StampedReceiver, notes: int, bpm: float = 100.0,
                with_ms: float = 25.0) -> tuple[list[float], int, int]:
    """``--mode accompany`` (a model of several instruments): a melody played a note a beat; from each
    note-on sent to the first daemon note that sounds with it (within ``with_ms``), as bench_accompany times
    it; and how many had a planned note sound just before them instead (within ``with_ms``), and none."""
    client.send_message("/djai/set", ["mode", "accompany"])
    receiver.drain(0.3)
    melody = [72, 74, 76, 77, 79, 77, 76, 74]
    sent, received = [], []
    beat = 60.0 / bpm
    for i in range(notes):
        pitch = melody[i % len(melody)]
        sent.append(time.monotonic())
        client.send_message("/djai/note", [pitch, 90, 1])
        received += receiver.drain(beat * 0.9)
        client.send_message("/djai/note", [pitch, 0, 1])
        received += receiver.drain(sent[-1] + beat - time.monotonic())
    client.send_message("/djai/set", ["mode", "manual"])
    client.send_message("/djai/panic", [])
    receiver.drain(0.2)
    ons = [t for t, address, _ in received if address == "/djai/note"]
    latencies, ahead, none = [], 0, 0
    for on in sent:
        after = [t for t in ons if on <= t < on + with_ms / 1000]
        if after:
            latencies.append((after[0] - on) * 1000)
        elif any(on - with_ms / 1000 <= t < on for t in ons):
            ahead += 1
        else:
            none += 1
    return latencies, ahead, none


def page_latency(client, drivers, notes: int) -> list[float]:
    """Notes sent over OSC -> their arrival in each page (epoch ms on both sides: one machine's clock)."""
    before = [driver.execute_script("return djai.heardLog.length;") for driver in drivers]
    sent = []
    for i in range(notes):
        sent.append(time.time() * 1000)
        client.send_message("/djai/note", [48 + i % 24, 90])
        time.sleep(0.05)
        client.send_message("/djai/note", [48 + i % 24, 0])
        time.sleep(0.05)
    time.sleep(0.5)
    latencies = []
    for driver, start in zip(drivers, before):
        log = driver.execute_script(f"return djai.heardLog.slice({start});")
        if len(log) != notes:
            print(f"  a page saw {len(log)} of {notes} notes")
        latencies += [entry["receivedEpochMs"] - at for entry, at in zip(log, sent)]
    return latencies


def frozen_reader(port: int) -> socket.socket:
    """A page that stops reading: connected to /events, its receive buffer small, never read until the end."""
    reader = socket.socket()
    reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    reader.connect(("127.0.0.1", port))
    reader.sendall(f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    return reader


def thaw(reader: socket.socket, client, timeout: float = 30.0) -> tuple[int, float]:
    """Read again: (events it was told it lost, seconds until a status asked for now reached it)."""
    asked = time.monotonic()
    client.send_message("/djai/set", ["velocity_scale", 0.99])  # a marker after everything it missed
    reader.settimeout(timeout)
    data, dropped = b"", 0
    while time.monotonic() - asked < timeout:
        data += reader.recv(1 << 16)
        *complete, data = data.split(b"\n\n")
        for chunk in complete:
            if b"data: " not in chunk:
                continue
            message = json.loads(chunk.split(b"data: ", 1)[1])
            if message["type"] == "gap":
                dropped = message["dropped"]
            if message["type"] == "set" and message["name"] == "velocity_scale":
                return dropped, time.monotonic() - asked
    return dropped, float("nan")


def thaw_tab(tab, client, frozen_epoch_ms: float, timeout: float = 30.0) -> tuple[int, float, int]:
    """The frozen tab woken: (the gaps it was told of, seconds until a note played now is on it, notes it
    took while frozen: 0 if it was)."""
    woken_epoch_ms = time.time() * 1000
    tab.execute_cdp_cmd("Page.setWebLifecycleState", {"state": "active"})
    woken = time.monotonic()
    client.send_message("/djai/note", [127, 1])
    client.send_message("/djai/note", [127, 0])
    while time.monotonic() - woken < timeout:
        if tab.execute_script("return djai.heardLog.some((entry) => entry.pitch === 127);"):
            break
        time.sleep(0.02)
    caught_up = time.monotonic() - woken if time.monotonic() - woken < timeout else float("nan")
    while_frozen = tab.execute_script(f"return djai.heardLog.filter((entry) => entry.receivedEpochMs > "
                                      f"{frozen_epoch_ms} && entry.receivedEpochMs < {woken_epoch_ms}).length;")
    return tab.execute_script("return djai.gaps;"), caught_up, while_frozen


def run(kind: str, args) -> dict:
    reply_port, ui_port = free_udp_port(), free_tcp_port()
    flags = ["--mode", "manual", "--length", "10", "--tempo-bpm", "240"]
    if kind == "pages":
        flags += ["--ui", str(ui_port)]
    page_file = (Path(__file__).resolve().parents[1] / "djai_live" / "page" / "index.html").as_uri()
    result: dict = {"kind": kind}
    with ExitStack() as stack:
        process, port = stack.enter_context(running_daemon(*flags, model=args.model, reply_port=reply_port))
        client = SimpleUDPClient("127.0.0.1", port)
        receiver = StampedReceiver(reply_port)
        drivers, reader = [], None
        if kind == "pages":
            for _ in range(args.pages):
                driver = stack.enter_context(browser())
                open_page(driver, f"http://127.0.0.1:{ui_port}/")
                drivers.append(driver)
            reader = frozen_reader(ui_port)
            frozen_at = time.monotonic()
            frozen_tab = stack.enter_context(browser())  # a real tab, frozen by the browser itself
            open_page(frozen_tab, f"http://127.0.0.1:{ui_port}/")
            frozen_tab.execute_cdp_cmd("Page.setWebLifecycleState", {"state": "frozen"})
            frozen_epoch_ms = time.time() * 1000
        elif kind == "browsers":  # the same browsers drawing the same page, from a file, with no server
            for _ in range(args.pages):
                driver = stack.enter_context(browser())
                driver.get(page_file)
                drivers.append(driver)
        play_prompt(client)
        answer_latencies(client, receiver, 20)  # warm up
        frames = [driver.execute_script("return djai.frames;") for driver in drivers]
        framed = time.monotonic()
        result["answer"] = answer_latencies(client, receiver, args.answers)
        client.send_message("/djai/set", ["tempo_bpm", 120.0])
        result["streamed"], result["missing"] = streamed_lateness(client, receiver, args.phrases)
        if args.accompany_notes:
            result["harmonizing"], result["ahead"], result["unanswered"] = harmonizing(client, receiver,
                                                                                      args.accompany_notes)
        if drivers:
            seconds = time.monotonic() - framed
            result["fps"] = [(driver.execute_script("return djai.frames;") - before) / seconds
                             for driver, before in zip(drivers, frames)]
        if reader is not None:
            result["page"] = page_latency(client, drivers, args.page_notes)
            result["frozen_s"] = time.monotonic() - frozen_at
            result["frozen_dropped"], result["caught_up_s"] = thaw(reader, client)
            reader.close()
            result["tab"] = thaw_tab(frozen_tab, client, frozen_epoch_ms)
        client.send_message("/djai/status", [])
        _, status = receiver.until("/djai/status")
        values = dict(zip(status[::2], status[1::2]))
        result["daemon_lateness_p99"] = values["lateness_ms_p99"]
        result["alive"] = process.poll() is None
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default")
    parser.add_argument("--rounds", type=int, default=2, help="each round: a run with no page and one with pages")
    parser.add_argument("--pages", type=int, default=3)
    parser.add_argument("--answers", type=int, default=100)
    parser.add_argument("--phrases", type=int, default=6)
    parser.add_argument("--page-notes", type=int, default=40)
    parser.add_argument("--kinds", default=",".join(KINDS), help="which runs, of " + ", ".join(KINDS))
    parser.add_argument("--accompany-notes", type=int, default=0,
                        help="also time the harmonizing (--mode accompany) of this many melody notes: with a model "
                        "of several instruments, --model chorale")
    args = parser.parse_args()
    # a SIGTERM unwinds the runs, so that their daemons and browsers are ended, not orphaned
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    kinds = tuple(kind for kind in KINDS if kind in args.kinds.split(","))

    runs = []
    for round_ in range(args.rounds):
        for kind in (kinds if round_ % 2 == 0 else kinds[::-1]):
            result = run(kind, args)
            runs.append(result)
            line = (f"run {len(runs)} {kind:>8}: answer p50 {p(result['answer'], 50):6.3f} p99 "
                    f"{p(result['answer'], 99):6.3f} ms | streamed lateness p50 {p(result['streamed'], 50):6.3f} "
                    f"p99 {p(result['streamed'], 99):6.3f} ms ({result['missing']} missing) | daemon's own p99 "
                    f"{result['daemon_lateness_p99']:.3f} ms")
            if "harmonizing" in result:
                line += (f"\n            harmonizing: note -> first accompanying note p50 "
                         f"{p(result['harmonizing'], 50):6.3f} p99 {p(result['harmonizing'], 99):6.3f} ms "
                         f"(n={len(result['harmonizing'])}; {result['ahead']} met by a planned note just before "
                         f"them, {result['unanswered']} by none within 25 ms)")
            if "fps" in result:
                fps = ", ".join(f"{fps:.0f}" for fps in result["fps"])
                line += f"\n            the {args.pages} browsers drew {fps} frames/s"
            if kind == "pages":
                line += (f"; note -> page p50 {p(result['page'], 50):6.2f} p99 {p(result['page'], 99):6.2f} "
                         f"max {max(result['page']):6.2f} ms (n={len(result['page'])})\n            frozen reader: "
                         f"{result['frozen_s']:.0f} s unread, {result['frozen_dropped']} events dropped for it, "
                         f"caught up {result['caught_up_s']:.2f} s after reading again\n            frozen tab "
                         f"(the browser's own freeze, as long): told of {result['tab'][0]} gap(s); a note played "
                         f"on waking was on it {result['tab'][1]:.2f} s later; notes it took while frozen: "
                         f"{result['tab'][2]} (0: it was frozen)")
            print(line, flush=True)

    print("\nsummary (each run's p99; the runs without a page show the noise):")
    for measure in ("answer", "streamed") + (("harmonizing",) if args.accompany_notes else ()):
        by_kind = {kind: [p(r[measure], 99) for r in runs if r["kind"] == kind] for kind in kinds}
        print(f"  {measure:>8} p99 ms: " + " | ".join(f"{kind} {', '.join(f'{v:.3f}' for v in values)}"
                                                     for kind, values in by_kind.items()))
        if {"pages", "browsers", "off"} <= set(kinds):
            print(f"{'':>12}every run with pages no worse than the worst with the browsers alone: "
                  f"{max(by_kind['pages']) <= max(by_kind['browsers'])}; than the worst with no browser: "
                  f"{max(by_kind['pages']) <= max(by_kind['off'])}")
    every_page = [v for r in runs if r["kind"] == "pages" for v in r["page"]]
    print(f"  note -> page, all runs: p99 {p(every_page, 99):.2f} ms (n={len(every_page)})")
    alive = all(r["alive"] for r in runs)
    print("daemon alive after every run:", alive)
    return 0 if alive else 1


if __name__ == "__main__":
    sys.exit(main())
