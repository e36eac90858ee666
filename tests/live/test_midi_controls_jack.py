"""MIDI controls over real ports: the daemon on JACK (dummy driver) and other processes' ports as the
keyboard, the controller, the synth and a sender of MIDI clock (tests/live/jack_devices.py)."""
import time

from tests.live.jack_devices import Device, Synth, sounding_after
from tests.live.test_midi_jack import heard, wait_states
from tests.support.osc import OscPeer, free_udp_port, running_daemon

CC, PROGRAM = 0xB0, 0xC0
MAP = """# the test's controller
[cc]
temperature = 21
mode = 23            # a choice: phrase every manual accompany
[program]
1 = "load chorale"
2 = "set mode every"
[actions]
stop = 69
"""


def until_acknowledged(peer: OscPeer, address: str, send, condition=lambda args: True, tries: int = 20) -> list:
    """Send until the daemon answers ``address`` (JACK can lose what a newly connected port sends first)."""
    for _ in range(tries):
        send()
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            found = [args for _, _, args in peer.messages(address) if condition(args)]
            if found:
                return found[-1]
            time.sleep(0.01)
    raise AssertionError(f"no {address}: got {peer.messages()[-10:]}")


def test_a_controller_steers_settings_model_and_pedal_and_learn_writes_the_map(jack_server, tmp_path):
    path = tmp_path / "map.toml"
    path.write_text(MAP)
    synth, keyboard, controller = Synth("ctl_synth").plug(), Device("keyboard", "ctl_kbd").plug(), \
        Device("keyboard", "ctl_knobs").plug()
    reply_port = free_udp_port()
    try:
        with running_daemon("--midi-api", "jack", "--midi-in", "ctl_kbd", "--midi-out", "ctl_synth",
                            "--midi-control", "ctl_knobs", "--midi-map", str(path), "--midi-feedback", "on",
                            "--mode", "manual", "--length", "8", "--tempo-bpm", "60",
                            reply_port=reply_port) as (process, port):
            peer = OscPeer(port, listen_port=reply_port)
            # a knob: its value reaches the setting, acknowledged as /djai/set is, and is sent back (feedback)
            args = until_acknowledged(peer, "/djai/set", lambda: controller.send(CC, 21, 127),
                                      lambda args: args[0] == "temperature")
            assert args == ["temperature", 10.0] and peer.status()["temperature"] == 10.0
            synth.wait_for(lambda received: (CC, 21, 127) in received)
            # a choice the model cannot play: one /djai/error, the setting unchanged, the daemon serving
            peer.clear()
            controller.send(CC, 23, 127)  # accompany, with a model of one instrument
            (_, _, error), = peer.wait_for("/djai/error")
            assert "several instruments" in error[0] and peer.status()["mode"] == "manual"
            # the pedal (CC 67, the default): the daemon answers at once, the synth sounds it
            heard(peer, keyboard.send, 60)
            until_acknowledged(peer, "/djai/handover", lambda: controller.send(CC, 67, 127))
            synth.wait_for(lambda received: any(m[0] == 0x90 and m[2] > 0 for m in received))
            controller.send(CC, 67, 0)
            peer.wait_for("/djai/handover", 2)
            # stop now (CC 69): what sounds ends at the synth
            controller.send(CC, 69, 127)
            synth.wait_for(lambda received: not sounding_after(received), timeout=5.0)
            # a program change: the loaded model follows
            until_acknowledged(peer, "/djai/loaded", lambda: controller.send(PROGRAM, 1), tries=3)
            assert peer.status()["model"] == "chorale"
            # learn over OSC, then a CC: bound, acknowledged, written to the file, and it steers
            peer.send("/djai/learn", "top_p")
            peer.wait_for("/djai/learn")
            learned = until_acknowledged(peer, "/djai/learned", lambda: controller.send(CC, 40, 5))
            assert learned == ["top_p", 40, 1]
            until_acknowledged(peer, "/djai/set", lambda: controller.send(CC, 40, 127),
                               lambda args: args[0] == "top_p")
            assert peer.status()["top_p"] == 1.0
            learned_line = "top_p = {cc = 40, channel = 1}"
            deadline = time.monotonic() + 5
            while learned_line not in path.read_text() and time.monotonic() < deadline:
                time.sleep(0.05)  # (written on a thread of the daemon's own)
            assert learned_line in path.read_text() and "# the test's controller" in path.read_text()
            # the controller unplugged and back: followed like the other ports
            controller.unplug()
            wait_states(peer, {("control", "gone")})
            controller = Device("keyboard", "ctl_knobs").plug()
            wait_states(peer, {("control", "back")})
            peer.clear()
            until_acknowledged(peer, "/djai/set", lambda: controller.send(CC, 21, 0),
                               lambda args: args[0] == "temperature")
            assert process.poll() is None
    finally:
        for device in (synth, keyboard, controller):
            device.close()


def test_the_hosts_transport_ends_what_sounds_and_midi_stop_holds_until_continue(jack_server):
    """The host is another process sending notes, MIDI clock, Start/Stop/Continue and CC 123 on one port."""
    synth, host = Synth("tr_synth").plug(), Device("keyboard", "tr_host").plug()
    reply_port = free_udp_port()
    try:
        with running_daemon("--midi-api", "jack", "--midi-in", "tr_host", "--midi-out", "tr_synth", "--clock", "midi",
                            "--mode", "every", "--every-n", "1", "--length", "8", "--tempo-bpm", "30",
                            reply_port=reply_port) as (_, port):
            peer = OscPeer(port, listen_port=reply_port)
            host.send(0xFA)  # Start
            for _ in range(24):
                host.send(0xF8)
                time.sleep(0.02)
            heard(peer, host.send, 60)
            synth.wait_for(lambda received: sounding_after(received))  # the answer sounds (2 s a note)
            # CC 123 from the host: every note the daemon sounds ends
            until_acknowledged(peer, "/djai/transport", lambda: host.send(CC, 123, 0))
            synth.wait_for(lambda received: not sounding_after(received), timeout=2.0)
            # the next answer, then MIDI Stop: it ends, and nothing new sounds until Continue
            peer.clear()
            heard(peer, host.send, 62)
            synth.wait_for(lambda received: sounding_after(received))
            until_acknowledged(peer, "/djai/transport", lambda: host.send(0xFC), lambda args: args == ["pause"])
            synth.wait_for(lambda received: not sounding_after(received), timeout=2.0)
            stopped_at = len(synth.messages)
            heard(peer, host.send, 64)  # heard while stopped ...
            time.sleep(1.0)
            assert not any(m[0] & 0xF0 == 0x90 and m[2] > 0 for m in synth.messages[stopped_at:])  # ... not answered
            until_acknowledged(peer, "/djai/transport", lambda: host.send(0xFB), lambda args: args == ["continue"])
            heard(peer, host.send, 65)
            synth.wait_for(lambda received: sounding_after(received))  # answering again
    finally:
        synth.close()
        host.close()
