#!/usr/bin/env python3
"""Build the Pure Data abstractions in max_patches/pd/ (vanilla objects only), so they are reproducible and
their connections are named rather than counted by hand.

    [djai_live 9000 9001]   talks to djai-live serve ($1: the daemon's OSC port, $2: the reply port)
    [djai_live_midiout]     plays its notes on MIDI, each on the channel the daemon names

Pd finds an abstraction in the folder of the patch that uses it or on its search path, and its help in
NAME-help.pd beside it (right-click > Help).

    python scripts/build_pd_patches.py                  # writes max_patches/pd/
    python scripts/build_pd_patches.py --out-dir /tmp/x
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "max_patches" / "pd"
# Messages [djai_live]'s right inlet understands, in the order of its [route]
CONTROL = ["set", "load", "generate", "reset", "panic", "ping", "status", "capabilities", "tempo", "beat",
           "connect", "disconnect", "listen"]
OSC = ["set", "load", "generate", "reset", "panic", "ping", "status", "capabilities", "tempo", "beat"]


def _escape(text: str) -> str:
    """Pd's file format escapes commas, semicolons and dollar signs in box text."""
    return text.replace("$", "\\$").replace(",", " \\,").replace(";", " \\;")


class Canvas:
    """One Pd canvas: boxes in creation order (their index is what `#X connect` counts) and connections."""

    def __init__(self, width: int, height: int, font: int = 12) -> None:
        self.header = f"#N canvas 0 50 {width} {height} {font};"
        self.lines: list[str] = []
        self.connections: list[str] = []

    def _add(self, line: str) -> int:
        self.lines.append(line)
        return len(self.lines) - 1

    def obj(self, x: int, y: int, text: str) -> int:
        return self._add(f"#X obj {x} {y} {_escape(text)};")

    def msg(self, x: int, y: int, text: str) -> int:
        return self._add(f"#X msg {x} {y} {_escape(text)};")

    def text(self, x: int, y: int, text: str) -> int:
        return self._add(f"#X text {x} {y} {_escape(text)};")

    def floatatom(self, x: int, y: int, width: int = 5, low: float = 0, high: float = 0) -> int:
        return self._add(f"#X floatatom {x} {y} {width} {low:g} {high:g} 0 - - - 0;")

    def wire(self, source: int, destination: int, outlet: int = 0, inlet: int = 0) -> None:
        self.connections.append(f"#X connect {source} {outlet} {destination} {inlet};")

    def render(self) -> str:
        return "\n".join([self.header, *self.lines, *self.connections]) + "\n"


def bridge() -> str:
    c = Canvas(900, 620)
    c.text(20, 10, "[djai_live PORT REPLY_PORT]: talks to djai-live serve over OSC. $1: the daemon's OSC port "
                   "(default 9000), $2: the port its answers come back to (default 9001)")
    notes_in = c.obj(20, 60, "inlet")
    control_in = c.obj(300, 60, "inlet")
    send = c.obj(20, 420, "netsend -u -b")
    receive = c.obj(20, 470, "netreceive -u -b")

    # at load: connect to $1 and listen on $2, each 0 (no argument) replaced by the default
    load = c.obj(20, 100, "loadbang")
    order = c.obj(20, 125, "t b b")
    c.wire(load, order)
    # [t b b] fires right to left: listen first, then connect
    for outlet, argument, default, command_text, target, x in ((1, "$2", 9001, "listen $1", receive, 150),
                                                                (0, "$1", 9000, "connect 127.0.0.1 $1", send, 20)):
        value = c.obj(x, 155, f"f {argument}")
        given = c.obj(x, 180, "sel 0")
        fallback = c.msg(x, 205, str(default))
        command = c.msg(x, 235, command_text)
        c.wire(order, value, outlet, 0)
        c.wire(value, given)
        c.wire(given, fallback, 0, 0)
        c.wire(given, command, 1, 0)
        c.wire(fallback, command)
        c.wire(command, target)

    note = c.obj(20, 390, "oscformat djai note")
    c.wire(notes_in, note)
    c.wire(note, send)

    route = c.obj(300, 100, "route " + " ".join(CONTROL))
    c.wire(control_in, route)
    for index, name in enumerate(OSC):
        x, y = 300 + 150 * (index % 4), 200 + 40 * (index // 4)
        box = c.obj(x, y, f"oscformat djai {name}")
        if name in ("set", "load"):
            # "set temperature 0.9" reaches here as "temperature 0.9": [list] makes it a list oscformat takes
            as_list = c.obj(x, y - 25, "list")
            c.wire(route, as_list, index, 0)
            c.wire(as_list, box)
        else:
            c.wire(route, box, index, 0)
        c.wire(box, send)
    connect = c.obj(300, 330, "list prepend connect")
    c.wire(route, connect, CONTROL.index("connect"), 0)
    connect_trim = c.obj(300, 355, "list trim")
    c.wire(connect, connect_trim)
    c.wire(connect_trim, send)
    disconnect = c.msg(470, 330, "disconnect")
    c.wire(route, disconnect, CONTROL.index("disconnect"), 0)
    c.wire(disconnect, send)
    listen = c.obj(580, 330, "list prepend listen")
    c.wire(route, listen, CONTROL.index("listen"), 0)
    listen_trim = c.obj(580, 355, "list trim")
    c.wire(listen, listen_trim)
    c.wire(listen_trim, receive)
    unknown = c.obj(580, 390, "print djai_live: unknown message")
    c.wire(route, unknown, len(CONTROL), 0)

    parse = c.obj(20, 500, "oscparse")
    trim = c.obj(20, 525, "list trim")
    ours = c.obj(20, 550, "route djai")
    answers = c.obj(20, 575, "route note note_off all_notes_off")
    c.wire(receive, parse)
    c.wire(parse, trim)
    c.wire(trim, ours)
    c.wire(ours, answers)
    for index in range(4):
        outlet = c.obj(20 + 120 * index, 610, "outlet")
        c.wire(answers, outlet, index, 0)
    c.text(20, 640, "outlets: notes (pitch velocity duration_ms channel), note-offs (pitch channel), all notes "
                    "off (bang), everything else without /djai/ (loaded NAME, set NAME VALUE, reset, "
                    "key ..., error ..., phrase ..., pong, status ...)")
    return c.render()


def midiout() -> str:
    c = Canvas(860, 560)
    c.text(20, 10, "[djai_live_midiout]: plays [djai_live]'s first three outlets on MIDI, each note on the "
                   "channel the daemon names; its outlet says what it played (note PITCH VELOCITY CHANNEL, "
                   "ctl VALUE CONTROLLER CHANNEL)")
    notes_in = c.obj(20, 60, "inlet")
    offs_in = c.obj(250, 60, "inlet")
    all_off_in = c.obj(480, 60, "inlet")
    unpack = c.obj(20, 100, "unpack f f f f")
    c.wire(notes_in, unpack)
    note = c.obj(20, 130, "pack f f f")
    for source, target in ((3, 2), (1, 1), (0, 0)):   # pitch velocity channel (the duration is the daemon's job)
        c.wire(unpack, note, source, target)
    off = c.msg(250, 130, "$1 0 $2")
    c.wire(offs_in, off)
    play = c.obj(20, 180, "t a a a")
    c.wire(note, play)
    c.wire(off, play)
    noteout = c.obj(20, 420, "noteout")
    # [bag] remembers what sounds (key = (channel - 1) * 128 + pitch), so all-notes-off can end exactly that
    key = c.obj(300, 230, "expr ($f3 - 1) * 128 + $f1; $f2")
    held = c.obj(300, 270, "bag")
    c.wire(play, key, 2, 0)
    c.wire(key, held, 1, 1)
    c.wire(key, held, 0, 0)
    c.wire(play, noteout, 1, 0)
    report_note = c.obj(20, 460, "list prepend note")
    c.wire(play, report_note, 0, 0)

    # all notes off: the held notes end (bag flush), then CC 123 (All Notes Off) and CC 120 (All Sound Off) on
    # channels 1-16, for notes this patch never saw (a daemon restarted, a patch reopened)
    all_off = c.obj(480, 100, "t b b b")
    c.wire(all_off_in, all_off)
    flush = c.msg(560, 140, "flush")
    c.wire(all_off, flush, 2, 0)
    c.wire(flush, held)
    decode = c.obj(300, 310, "expr $f1 % 128; int($f1 / 128) + 1")
    c.wire(held, decode)
    ended = c.obj(300, 340, "pack f 0 f")
    c.wire(decode, ended, 1, 2)
    c.wire(decode, ended, 0, 0)
    flushed = c.obj(300, 370, "t a a")   # not back through [bag]: it is being emptied
    c.wire(ended, flushed)
    c.wire(flushed, noteout, 1, 0)
    c.wire(flushed, report_note, 0, 0)
    reset = c.msg(520, 170, "0")
    count = c.msg(480, 170, "16")
    c.wire(all_off, reset, 1, 0)
    c.wire(all_off, count, 0, 0)
    until = c.obj(480, 200, "until")
    counter = c.obj(480, 230, "f")
    plus = c.obj(520, 230, "+ 1")
    c.wire(count, until)
    c.wire(until, counter)
    c.wire(counter, plus)
    c.wire(plus, counter, 0, 1)
    c.wire(reset, counter, 0, 1)
    controllers = c.msg(560, 270, "0 123 $1, 0 120 $1")
    c.wire(plus, controllers)
    sound_off = c.obj(560, 300, "t a a")
    c.wire(controllers, sound_off)
    ctlout = c.obj(560, 420, "ctlout")
    c.wire(sound_off, ctlout, 1, 0)
    report_ctl = c.obj(560, 460, "list prepend ctl")
    c.wire(sound_off, report_ctl, 0, 0)
    trim = c.obj(20, 490, "list trim")
    c.wire(report_note, trim)
    c.wire(report_ctl, trim)
    outlet = c.obj(20, 520, "outlet")
    c.wire(trim, outlet)
    return c.render()


def bridge_help() -> str:
    c = Canvas(980, 720)
    c.text(20, 10, "djai_live: a co-improviser you play with. Start the daemon first: djai-live serve (add --mode "
                   "accompany --model chorale to be accompanied). Put this folder on Pd's path (or beside your "
                   "patch) and create [djai_live 9000 9001]")
    c.text(20, 60, "your MIDI keyboard -> /djai/note pitch velocity channel")
    notein = c.obj(20, 85, "notein")
    pack = c.obj(20, 115, "pack f f f")
    for index in range(3):
        c.wire(notein, pack, index, index)
    test_notes = c.msg(150, 85, "60 100 1")
    test_off = c.msg(230, 85, "60 0 1")
    live = c.obj(20, 420, "djai_live 9000 9001")
    for box in (pack, test_notes, test_off):
        c.wire(box, live, 0, 0)
    c.text(400, 60, "messages -> the right inlet (each is acknowledged: see the last outlet)")
    messages = ["set temperature 0.9", "set mode accompany", "set mode phrase", "set mode every", "load chorale",
                "load default", "generate", "generate 4", "reset", "panic", "status", "ping",
                "set scale major 2", "set key auto", "set grid 1/16", "connect 127.0.0.1 9000", "listen 9001"]
    for index, text in enumerate(messages):
        column, row = divmod(index, 9)
        c.wire(c.msg(400 + 200 * column, 85 + 28 * row, text), live, 0, 1)
    for row, (name, low, high) in enumerate((("temperature", 0, 10), ("top_p", 0.01, 1), ("length", 1, 128))):
        atom = c.floatatom(20, 170 + 30 * row, 5, low, high)
        setter = c.msg(90, 170 + 30 * row, f"set {name} $1")
        c.text(250, 170 + 30 * row, name)
        c.wire(atom, setter)
        c.wire(setter, live, 0, 1)
    c.text(20, 270, "with clock osc: send tempo BPM and beat BAR BEAT from your transport")
    c.wire(c.msg(20, 295, "tempo 120"), live, 0, 1)
    c.wire(c.msg(120, 295, "beat 1 1"), live, 0, 1)

    player = c.obj(20, 480, "djai_live_midiout")
    for index in range(3):
        c.wire(live, player, index, index)
    c.wire(player, c.obj(20, 520, "print djai-played"))
    c.text(20, 550, "notes go out on the channel the daemon names (accompany: a voice per channel); all notes "
                    "off ends every held note and sends CC 123 and CC 120 on channels 1-16")
    shown = c.obj(400, 480, "route loaded set reset key error")
    c.wire(live, shown, 3, 0)
    labels = ["model", "last change", None, "key", "error"]
    shown_prepends = {}
    for index, label in enumerate(labels):
        if label is None:
            continue
        y = 510 + 30 * len(shown_prepends)
        prepend = c.obj(400, y, "list prepend set")
        trim = c.obj(530, y, "list trim")
        display = c.msg(610, y, "")
        c.text(800, y, label)
        c.wire(shown, prepend, index, 0)
        c.wire(prepend, trim)
        c.wire(trim, display)
        shown_prepends[label] = prepend
    reset = c.msg(400, 660, "reset")   # /djai/reset has no arguments: shown as the last change
    c.wire(shown, reset, 2, 0)
    c.wire(reset, shown_prepends["last change"])
    c.wire(shown, c.obj(560, 660, "print djai"), 5, 0)
    return c.render()


def midiout_help() -> str:
    c = Canvas(760, 420)
    c.text(20, 10, "djai_live_midiout: plays what [djai_live] receives, each note on the channel the daemon "
                   "names; all notes off ends every held note and sends CC 123 and CC 120 on channels 1-16")
    player = c.obj(20, 250, "djai_live_midiout")
    c.text(20, 60, "notes: pitch velocity duration_ms channel")
    for index, text in enumerate(("60 100 500 1", "64 90 500 2", "67 90 500 3", "48 90 500 4")):
        c.wire(c.msg(20 + 110 * index, 85, text), player, 0, 0)
    c.text(20, 125, "note-offs: pitch channel")
    for index, text in enumerate(("60 1", "64 2")):
        c.wire(c.msg(20 + 70 * index, 150, text), player, 0, 1)
    c.text(250, 125, "all notes off")
    c.wire(c.msg(250, 150, "bang"), player, 0, 2)
    c.wire(player, c.obj(20, 290, "print played"))
    c.text(20, 330, "see also: [djai_live]")
    return c.render()


PATCHES = {"djai_live.pd": bridge, "djai_live_midiout.pd": midiout, "djai_live-help.pd": bridge_help,
           "djai_live_midiout-help.pd": midiout_help}


def build(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in PATCHES.items():
        path = out / name
        path.write_text(make())
        written.append(path)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out-dir", type=Path, default=OUT)
    args = parser.parse_args()
    for path in build(args.out_dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
