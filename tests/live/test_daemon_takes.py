"""`serve --record DIR` as users run it: a daemon process of its own, played over OSC, killed with -9 in the
middle of a take. The take read back holds what was played and answered, at its times."""
import signal
import time

import pretty_midi

from tests.support.osc import OscPeer, free_udp_port, running_daemon

PROMPT = [60, 62, 64, 65, 67, 65, 64, 62, 60, 64]


def take_notes(path) -> dict[str, list[tuple[int, float, float]]]:
    midi = pretty_midi.PrettyMIDI(str(path))
    return {instrument.name: [(n.pitch, n.start, n.end) for n in instrument.notes] for instrument in midi.instruments}


def test_a_take_survives_kill_9_with_every_note_at_its_time(tmp_path):
    takes = tmp_path / "takes"
    reply_port = free_udp_port()
    with running_daemon("--record", str(takes), "--mode", "manual", "--length", "8", "--tempo-bpm", "240",
                        "--seed", "1", reply_port=reply_port) as (process, port):
        host = OscPeer(port, listen_port=reply_port)
        try:
            played = []
            for pitch in PROMPT:
                played.append((pitch, time.monotonic()))
                host.send("/djai/note", pitch, 90)
                time.sleep(0.06)
                played.append((pitch, time.monotonic()))
                host.send("/djai/note", pitch, 0)
                time.sleep(0.03)
            host.send("/djai/generate")
            host.wait_for("/djai/note_off", 8, timeout=20)
            status = host.wait_for_status(lambda values: values.get("notes_in") == len(PROMPT))
            assert status["recording"] == 1 and str(status["take"]).startswith(str(takes))
            time.sleep(1.6)   # one flush (1 s) and then some: what a kill -9 may lose is older than that
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            answered = [(args[0], when) for when, address, args in host.messages("/djai/note") if args[1] > 0]
            ended = [(args[0], when) for when, address, args in host.messages("/djai/note_off")]
        finally:
            host.close()
    [take] = takes.glob("take-*.mid")
    assert not list(takes.glob("*.part"))
    found = take_notes(take)
    performer = found["performer"]
    answers = [note for name, notes in found.items() if name.startswith("djai_live answer") for note in notes]
    assert [p for p, _, _ in performer] == PROMPT
    assert sorted(p for p, _ in answered) == sorted(p for p, _, _ in answers) and len(answers) == 8
    zero = played[0][1] - performer[0][1]   # the take's time 0 on the host's clock
    # the performer's notes at their arrival (sent here, stamped by the daemon as they came in)
    for (_, start, end), (_, sent_on), (_, sent_off) in zip(performer, played[::2], played[1::2]):
        assert abs(start + zero - sent_on) < 0.001 and abs(end + zero - sent_off) < 0.001
    # the daemon's at their sending (stamped by this host's kernel as they arrived)
    for pitch, start, end in sorted(answers, key=lambda note: note[1]):
        on = min((when for p, when in answered if p == pitch), key=lambda when: abs(when - zero - start))
        off = min((when for p, when in ended if p == pitch), key=lambda when: abs(when - zero - end))
        assert abs(start + zero - on) < 0.001 and abs(end + zero - off) < 0.001


def test_record_and_adapt_say_what_they_need(tmp_path):
    reply_port = free_udp_port()
    with running_daemon("--mode", "manual", reply_port=reply_port) as (_, port):
        host = OscPeer(port, listen_port=reply_port)
        try:
            host.send("/djai/record", "on")
            host.send("/djai/adapt", 30)
            errors = [args[0] for _, _, args in host.wait_for("/djai/error", 2)]
        finally:
            host.close()
    assert "serve with --record DIR" in errors[0] and "/djai/record" in errors[0]
    assert errors[1].startswith("/djai/adapt: no takes")
    with running_daemon("--record", str(tmp_path / "empty"), reply_port=reply_port) as (_, port):
        host = OscPeer(port, listen_port=reply_port)
        try:
            host.send("/djai/record", "off")
            [(_, _, acknowledged)] = host.wait_for("/djai/record", 1)
            host.send("/djai/adapt", 30)
            [(_, _, [error])] = host.wait_for("/djai/error", 1)
            host.send("/djai/record", "maybe")
            second = host.wait_for("/djai/error", 2)[-1][2][0]
        finally:
            host.close()
    assert acknowledged == [0, str(tmp_path / "empty")]
    assert "no takes in" in error and "play first" in error
    assert "/djai/record: expected on or off" in second
