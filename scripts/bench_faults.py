#!/usr/bin/env python3
"""The faults that end a gig, each made against a real `djai-live serve` process, and what is left after.

1. listener:  the host's OSC listener closes mid-note and comes back; then /djai/panic.
2. kill -9:   the daemon is killed mid-note; a new daemon starts (its start-up all-notes-off).
3. unplug:    keyboard and synth (other processes' JACK ports) killed mid-note and started again.
4. jack:      the JACK server restarted under the daemon; libjack's complaints in its log, measured.
5. lateness:  streamed notes' lateness at the receiver (kernel arrival stamps, SO_TIMESTAMPNS) idle and
              under two busy processes, with and without real-time scheduling (--no-realtime).
6. swap:      /djai/load mid-performance to a recognisable model (the default with its pitch head moved
              to 96-107): answers lost, notes left unended, phrases until the new model answers.

"Stuck" counts notes a receiver would still sound: an OSC host that plays /djai/note and ends a note on
/djai/note_off or /djai/all_notes_off, and a synth that ends notes on note-off, CC 123 or CC 120.
The JACK cases run a JACK server of their own (dummy driver, a name of its own); skip them with --no-jack.

    python scripts/bench_faults.py                    # everything (about 3 minutes)
    python scripts/bench_faults.py --phrases 10 --no-jack
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.osc import NoReply, OscPeer, free_udp_port, sounding_at_host  # noqa: E402
from tests.live.jack_devices import Device, JackServerProcess, Synth, sounding_after  # noqa: E402
from tests.live.model_variants import write_register_model  # noqa: E402

ROWS: list[tuple[str, str, str]] = []


def new_host(port: int = 0) -> OscPeer:
    """An OSC host on reply port ``port`` that records every reply with its kernel arrival stamp (on
    ``time.monotonic``'s clock), so a receiver busy or descheduled does not blur the measure; ``.to(port)``
    once the daemon is up. Waits last 15 s: a daemon under the faults made here may be slow to answer."""
    return OscPeer(listen_port=port, timeout=15.0)


def row(case: str, measure: str, value: object) -> None:
    ROWS.append((case, measure, str(value)))
    print(f"  {case:<10} {measure:<52} {value}", flush=True)


@contextmanager
def daemon(*args: str, reply_port: int, log: Path | None = None, kill: bool = False):
    """`djai-live serve` as a process; yields (process, OSC port). Its log goes to ``log`` (a file: a pipe
    nobody reads would stall it)."""
    port = free_udp_port()
    log_file = open(log or os.devnull, "w")
    process = subprocess.Popen([sys.executable, "-m", "djai_live.cli", "serve", "--osc-port", str(port),
                                "--reply-port", str(reply_port), *args], stdout=subprocess.PIPE, stderr=log_file,
                               text=True, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1",
                                                         "PYTHONPATH": str(ROOT)})
    try:
        line = process.stdout.readline()
        if "djai-live ready" not in line:
            raise RuntimeError(f"the daemon did not start ({args}); see {log}")
        yield process, port
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            process.wait(15)
        log_file.close()


def prompt(host: OscPeer, pitches=(60, 62, 64, 65, 67)) -> None:
    """Notes for the daemon to answer; waits until it heard them (/djai/generate would overtake them)."""
    heard = host.status()["notes_in"]
    for pitch in pitches:
        host.send("/djai/note", pitch, 90)
        time.sleep(0.02)
        host.send("/djai/note", pitch, 0)
    deadline = time.monotonic() + 10
    while host.status()["notes_in"] < heard + len(pitches):
        if time.monotonic() > deadline:
            raise TimeoutError("the daemon did not hear the prompt")


def phrase_end(stamp: float, phrase: list) -> float:
    return stamp + max(phrase[2 + 4 * i] + phrase[5 + 4 * i] for i in range(phrase[1])) / 1000.0


def until(stamp: float) -> None:
    """Sleep until ``stamp`` on ``time.monotonic``'s clock, the one the host's stamps are given on."""
    while time.monotonic() < stamp:
        time.sleep(min(0.05, max(stamp - time.monotonic(), 0.0)))


def answers_again(host: OscPeer) -> bool:
    count = len(host.messages("/djai/phrase"))
    host.send("/djai/generate")
    try:
        host.wait_for("/djai/phrase", count + 1, timeout=10)
        return True
    except NoReply:
        return False


# --- 1 ------------------------------------------------------------------------------------------------
def case_listener() -> None:
    reply = free_udp_port()
    host = new_host(reply)
    with daemon("--mode", "manual", "--length", "4", "--tempo-bpm", "60", reply_port=reply) as (_, port):
        host.to(port)
        prompt(host)
        host.send("/djai/generate")
        stamp, _, phrase = host.wait_for("/djai/phrase")[0]
        host.wait_for("/djai/note")
        host.close()  # the patch is reopened: its listener is gone
        heard = host.messages()
        until(phrase_end(stamp, phrase) + 0.3)
        host = new_host(reply).to(port)
        row("listener", "notes stuck at the host when it is back", len(sounding_at_host(heard)))
        host.send("/djai/panic")
        host.wait_for("/djai/all_notes_off")
        row("listener", "stuck after /djai/panic (host ignoring all_notes_off)",
            len(sounding_at_host(heard + host.messages(), all_notes_off=False)))
        row("listener", "answers again", answers_again(host))
    host.close()


# --- 2 ------------------------------------------------------------------------------------------------
def case_kill(jack: bool) -> None:
    reply = free_udp_port()
    host = new_host(reply)
    synth = Synth("bench_synth").plug() if jack else None
    midi = ("--midi-api", "jack", "--midi-out", "bench_synth") if jack else ()
    with daemon("--mode", "manual", "--length", "6", "--tempo-bpm", "40", *midi, reply_port=reply, kill=True) \
            as (process, port):
        host.to(port)
        prompt(host)
        host.send("/djai/generate")
        host.wait_for("/djai/note")
        if synth:
            synth.wait_for(lambda received: sounding_after(received))
        process.kill()
        process.wait(10)
    row("kill -9", "notes stuck at the OSC host after the kill", len(sounding_at_host(host.messages())))
    if synth:
        row("kill -9", "notes stuck at the synth after the kill", len(synth.sounding()))
    started = time.monotonic()
    with daemon("--mode", "manual", *midi, reply_port=reply) as (_, port):
        ready_s = time.monotonic() - started
        host.to(port)
        host.wait_for("/djai/all_notes_off")
        row("kill -9", "stuck at the OSC host once a new daemon is up", len(sounding_at_host(host.messages())))
        if synth:
            synth.wait_for(lambda received: sum(1 for m in received if m[:2] == (0xBF, 120)) >= 1)
            row("kill -9", "stuck at the synth once a new daemon is up", len(synth.sounding()))
        row("kill -9", "new daemon ready (s)", f"{ready_s:.1f}")
        prompt(host)
        row("kill -9", "the new daemon answers", answers_again(host))
    host.close()
    if synth:
        synth.close()


# --- 3 ------------------------------------------------------------------------------------------------
def case_unplug() -> None:
    reply = free_udp_port()
    host = new_host(reply)
    synth, keyboard = Synth("bench_synth").plug(), Device("keyboard", "bench_kbd").plug()
    try:
        with daemon("--midi-api", "jack", "--midi-in", "bench_kbd", "--midi-out", "bench_synth", "--mode", "every",
                    "--every-n", "1", "--length", "4", "--tempo-bpm", "30", reply_port=reply) as (_, port):
            host.to(port)
            play_until_heard(host, keyboard, 60)
            synth.wait_for(lambda received: sounding_after(received))
            before = list(synth.messages)
            unplugged = time.monotonic()
            synth.unplug()
            keyboard.unplug()
            wait_port_states(host, {("in", "gone"), ("out", "gone")})
            row("unplug", "both told gone (s after the unplugging)", f"{time.monotonic() - unplugged:.2f}")
            plugged = time.monotonic()
            synth, keyboard = Synth("bench_synth").plug(), Device("keyboard", "bench_kbd").plug()
            wait_port_states(host, {("in", "back"), ("out", "back")})
            row("unplug", "both reconnected (s after plugging back)", f"{time.monotonic() - plugged:.2f}")
            play_until_heard(host, keyboard, 62)
            synth.wait_for(lambda received: any(m[0] == 0x90 and m[2] for m in received))
            row("unplug", "keyboard heard and synth answered again", True)
            host.send("/djai/panic")
            synth.wait_for(lambda received: any(m[:2] == (0xB0, 120) for m in received))
            row("unplug", "stuck at the synth after panic (old note included)",
                len(sounding_after(before + synth.messages)))
    finally:
        synth.close()
        keyboard.close()
        host.close()


def play_until_heard(host: OscPeer, keyboard: Device, pitch: int) -> None:
    heard = host.status()["notes_in"]
    for _ in range(20):  # JACK may lose what is sent in the first cycles after a connection
        keyboard.send(0x90, pitch, 90)
        keyboard.send(0x80, pitch, 0)
        deadline = time.monotonic() + 1.0  # /djai/status can overtake a note: ask again before playing again
        while time.monotonic() < deadline:
            if host.status()["notes_in"] > heard:
                return
    raise TimeoutError("the daemon never heard the keyboard")


def wait_port_states(host: OscPeer, expected: set, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not expected <= {tuple(m[2][:2]) for m in host.messages("/djai/midi_port")}:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {expected}: {host.messages('/djai/midi_port')}")
        time.sleep(0.005)
    host.received = [m for m in host.received if m[1] != "/djai/midi_port"]


# --- 4 ------------------------------------------------------------------------------------------------
def case_jack_restart(server: JackServerProcess, folder: Path) -> None:
    reply = free_udp_port()
    host = new_host(reply)
    synth = Synth("bench_synth").plug()
    log = folder / "jack_restart.log"
    try:
        with daemon("--midi-api", "jack", "--midi-in", "virtual", "--midi-out", "bench_synth", "--mode", "manual",
                    "--length", "3", "--tempo-bpm", "300", reply_port=reply, log=log) as (_, port):
            host.to(port)
            size_before = log.stat().st_size
            synth.unplug()
            stopped = time.monotonic()
            server.stop()
            wait_port_states(host, {("in", "gone"), ("out", "gone")})
            time.sleep(3.0)  # the outage itself: the daemon keeps trying to reach the server
            outage_bytes = log.stat().st_size - size_before
            outage_s = time.monotonic() - stopped
            server.start()
            synth = Synth("bench_synth").plug()
            restarted = time.monotonic()
            wait_port_states(host, {("in", "back"), ("out", "back")})
            row("jack", "ports made again and reconnected (s after the restart)",
                f"{time.monotonic() - restarted:.2f}")
            row("jack", "daemon log during the outage (bytes/s)", f"{outage_bytes / outage_s:.0f}")
            prompt(host, (60, 64, 67))
            host.send("/djai/generate")
            synth.wait_for(lambda received: sum(1 for m in received if m[0] == 0x80) >= 3)
            row("jack", "answers reach the synth again", True)
            row("jack", "OSC answered throughout (ping)", answers_ping(host))
    finally:
        synth.close()
        host.close()


def answers_ping(host: OscPeer) -> bool:
    count = len(host.messages("/djai/pong"))
    host.send("/djai/ping")
    try:
        host.wait_for("/djai/pong", count + 1, timeout=5)
        return True
    except NoReply:
        return False


# --- 5 ------------------------------------------------------------------------------------------------
def busy(count: int, seconds: float) -> list[subprocess.Popen]:
    loop = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass"
    return [subprocess.Popen([sys.executable, "-c", loop]) for _ in range(count)]


def lateness(phrases: int, realtime: bool, busy_processes: int) -> tuple[list[float], int, int, int]:
    reply = free_udp_port()
    host = new_host(reply)
    flags = () if realtime else ("--no-realtime",)
    workers: list[subprocess.Popen] = []
    with daemon("--mode", "manual", "--length", "16", "--tempo-bpm", "400", *flags, reply_port=reply) as (_, port):
        host.to(port)
        prompt(host)
        status = host.status()
        workers = busy(busy_processes, 600.0)
        try:
            late, announced, arrived = [], 0, 0
            for _ in range(phrases):
                host.received.clear()
                host.send("/djai/generate")
                stamp, _, phrase = host.wait_for("/djai/phrase", 1)[0]
                until(phrase_end(stamp, phrase) + 0.15)
                notes = host.messages("/djai/note")
                onsets = [stamp + phrase[2 + 4 * i] / 1000.0 for i in range(phrase[1])]
                announced += phrase[1]
                arrived += len(notes)
                late += [(note[0] - due) * 1000.0 for note, due in zip(notes, onsets)]
        finally:
            for worker in workers:
                worker.kill()
                worker.wait()
        dropped = host.status()["dropped"] - status["dropped"]
    host.close()
    return late, announced, arrived, dropped


def case_lateness(phrases: int) -> None:
    for label, realtime, processes in (("idle, realtime", True, 0), ("2 busy, realtime", True, 2),
                                       ("2 busy, --no-realtime", False, 2)):
        late, announced, arrived, dropped = lateness(phrases, realtime, processes)
        data = np.asarray(late)
        row("lateness", f"{label}: p50 / p99 / max ms late (n)",
            f"{np.percentile(data, 50):.2f} / {np.percentile(data, 99):.2f} / {data.max():.2f} ({len(data)})")
        row("lateness", f"{label}: notes arrived / announced, queue drops", f"{arrived} / {announced}, {dropped}")


# --- 6 ------------------------------------------------------------------------------------------------
def case_swap(phrases: int, folder: Path) -> None:
    from djai_live.model_files import default_model_path

    models = folder / "models"
    models.mkdir(exist_ok=True)
    write_register_model(default_model_path(), models / "high.keras", 96, 107)
    shutil.copy(default_model_path(), models / "low.keras")
    reply = free_udp_port()
    host = new_host(reply)
    with daemon("--model", str(models / "low.keras"), "--mode", "manual", "--length", "8", "--tempo-bpm", "400",
                reply_port=reply) as (_, port):
        host.to(port)
        prompt(host)
        requested = 0
        loaded_at = None
        for i in range(phrases):
            host.send("/djai/generate")
            requested += 1
            stamp, _, phrase = host.wait_for("/djai/phrase", requested)[-1]
            if i == phrases // 2:
                started = time.monotonic()
                host.send("/djai/load", "high")  # mid-phrase
                host.wait_for("/djai/loaded")
                loaded_at = time.monotonic() - started
            until(phrase_end(stamp, phrase) + 0.1)
        received = host.messages("/djai/phrase")
        loaded = host.wait_for("/djai/loaded")[0][0]
        after = [args for stamp, _, args in received if stamp > loaded]
        high = [min(args[3::4]) >= 96 for args in after]
        ons = len(host.messages("/djai/note"))
        offs = len(host.messages("/djai/note_off"))
        row("swap", "answers requested / received", f"{requested} / {len(received)}")
        row("swap", "note-ons / note-offs (every note ended)", f"{ons} / {offs}")
        row("swap", "/djai/loaded after the request (s)", f"{loaded_at:.2f}")
        row("swap", "phrases after /djai/loaded before the new model's", high.index(True) if True in high else "never")
        row("swap", "stuck at the host", len(sounding_at_host(host.messages(), all_notes_off=False)))
    host.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phrases", type=int, default=12, help="phrases per lateness condition and swap run")
    parser.add_argument("--no-jack", action="store_true", help="skip the cases that need jackd")
    parser.add_argument("--only", nargs="+", default=None,
                        choices=("listener", "kill", "unplug", "jack", "lateness", "swap"))
    args = parser.parse_args()
    wanted = set(args.only or ("listener", "kill", "unplug", "jack", "lateness", "swap"))
    jack = not args.no_jack and shutil.which("jackd") is not None
    folder = Path(tempfile.mkdtemp(prefix="bench_faults_"))
    server = JackServerProcess(f"bench_faults_{os.getpid()}").start() if jack else None
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; JACK {'on' if jack else 'off'}")
    try:
        if "listener" in wanted:
            case_listener()
        if "kill" in wanted:
            case_kill(jack)
        if jack and "unplug" in wanted:
            case_unplug()
        if jack and "jack" in wanted:
            case_jack_restart(server, folder)
        if "lateness" in wanted:
            case_lateness(args.phrases)
        if "swap" in wanted:
            case_swap(args.phrases, folder)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print("\n| case | measure | value |\n| --- | --- | --- |")
    for case, measure, value in ROWS:
        print(f"| {case} | {measure} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
