#!/usr/bin/env python3
"""Build the Max patches in max_patches/ with py2max (which takes each object's inlets and outlets from
Cycling '74's reference), so the shipped .maxpat files are reproducible and lint-clean.

    python scripts/build_max_patches.py        # writes max_patches/djai_live.maxpat and djai.live.maxpat
    python scripts/build_max_patches.py --out-dir /tmp/x
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import py2max

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from djai_live.scales import SCALES  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "max_patches"


class Layout:
    """A patcher plus a helper that places boxes on a grid, so nothing overlaps."""

    def __init__(self, path: Path, width: int, height: int) -> None:
        self.patcher = py2max.Patcher(path)
        self.patcher.rect = [80.0, 80.0, float(width), float(height)]

    def obj(self, text: str, x: float, y: float, width: float = 110):
        if text.startswith("route "):
            # Max's [route] has 2 inlets whatever its arguments (the Max reference); py2max scales them
            selectors = len(text.split()) - 1
            return self.patcher.add_textbox(text, patching_rect=[x, y, width, 22], numinlets=2,
                                            numoutlets=selectors + 1, outlettype=[""] * (selectors + 1))
        return self.patcher.add_textbox(text, patching_rect=[x, y, width, 22])

    def msg(self, text: str, x: float, y: float, width: float = 110):
        return self.patcher.add_message(text, patching_rect=[x, y, width, 22])

    def note(self, text: str, x: float, y: float, width: float = 300, height: float = 20):
        return self.patcher.add_comment(text, patching_rect=[x, y, width, height])

    def wire(self, source, destination, outlet: int = 0, inlet: int = 0) -> None:
        self.patcher.add_line(source, destination, outlet=outlet, inlet=inlet)


def _menu_items(names: list[str]) -> list[str]:
    """umenu items are separated by commas in the saved patch."""
    items: list[str] = []
    for name in names:
        items += [name, ","]
    return items[:-1]


def build_main(out: Path = OUT) -> Path:
    path = out / "djai_live.maxpat"
    p = Layout(path, 1000, 780)
    p.note("djai_live: play into Max, the daemon answers. Start it first in a terminal: djai-live serve", 20, 10, 620)

    # 1. the daemon's address, editable
    p.note("1. where the daemon listens (djai-live serve --osc-port ...)", 20, 40, 380)
    host = p.msg("host 127.0.0.1", 20, 65, 100)
    port = p.msg("port 9000", 130, 65, 80)
    send = p.obj("udpsend 127.0.0.1 9000", 20, 380, 150)
    p.wire(host, send)
    p.wire(port, send)

    # 2. MIDI in
    p.note("2. your MIDI keyboard: notein -> /djai/note pitch velocity channel", 20, 100, 400)
    notein = p.obj("notein", 20, 125, 60)
    pack = p.obj("pack 0 0 0", 20, 165, 80)
    prepend_note = p.obj("prepend /djai/note", 20, 205, 120)
    p.wire(notein, pack, 0, 0)
    p.wire(notein, pack, 1, 1)
    p.wire(notein, pack, 2, 2)
    p.wire(pack, prepend_note)
    p.wire(prepend_note, send)
    p.note("listen to one MIDI channel only (0: all)", 160, 125, 240)
    channel_in = p.patcher.add_intbox(patching_rect=[160, 150, 50, 22])
    prepend_channel = p.obj("prepend /djai/set channel_in", 220, 150, 180)
    p.wire(channel_in, prepend_channel)
    p.wire(prepend_channel, send)

    # 3. live parameters
    p.note("3. live parameters -> /djai/set name value", 440, 40, 300)
    controls = [("temperature", "flonum", 65), ("top_p", "flonum", 95), ("length", "number", 125),
                ("phrase_gap_ms", "number", 155)]
    for name, kind, y in controls:
        p.note(name, 440, y, 100)
        box = (p.patcher.add_floatbox if kind == "flonum" else p.patcher.add_intbox)(patching_rect=[545, y, 55, 22])
        prepend = p.obj(f"prepend /djai/set {name}", 610, y, 200)
        p.wire(box, prepend)
        p.wire(prepend, send)
    p.note("mode", 440, 185, 100)
    mode = p.patcher.add_umenu(patching_rect=[545, 185, 90, 22], items=["phrase", ",", "every", ",", "manual"])
    prepend_mode = p.obj("prepend /djai/set mode", 645, 185, 165)
    p.wire(mode, prepend_mode, 1, 0)  # outlet 1: the chosen item's text
    p.wire(prepend_mode, send)

    # 4. actions
    p.note("4. actions", 440, 220, 100)
    for text, x in (("/djai/generate", 440), ("/djai/reset", 555), ("/djai/panic", 655), ("/djai/ping", 755)):
        p.wire(p.msg(text, x, 245, 105 if "generate" in text else 90), send)
    p.note("generate: answer now \u00b7 reset: forget what you played \u00b7 panic: silence everything now", 440, 272, 520)

    # 6. in time and in key
    p.note("6. in time and in key: clock, quantize, grid, scale, key", 440, 300, 400)
    menus = [("clock", ["free", "midi", "osc", "link"], 440), ("quantize_start", ["none", "beat", "bar"], 590),
             ("grid", ["none", "1/4", "1/8", "1/8t", "1/16", "1/16t", "1/32"], 740)]
    for name, items, x in menus:
        menu = p.patcher.add_umenu(patching_rect=[x, 325, 60, 22], items=_menu_items(items))
        prepend = p.obj(f"prepend /djai/set {name}", x, 355, 145)
        p.wire(menu, prepend, 1, 0)
        p.wire(prepend, send)
    scale = p.patcher.add_umenu(patching_rect=[440, 385, 110, 22], items=_menu_items(list(SCALES)))
    p.note("root 0-11", 555, 385, 60)
    root = p.patcher.add_intbox(patching_rect=[615, 385, 40, 22])
    pak = p.obj("pak s 0", 440, 410, 70)
    prepend_scale = p.obj("prepend /djai/set scale", 520, 410, 150)
    p.wire(scale, pak, 1, 0)
    p.wire(root, pak, 0, 1)
    p.wire(pak, prepend_scale)
    p.wire(prepend_scale, send)
    for text, x in (("/djai/set key auto", 680), ("/djai/set key off", 810)):
        p.wire(p.msg(text, x, 385, 125), send)
    latency = p.patcher.add_floatbox(patching_rect=[440, 445, 50, 22])
    p.note("clock latency ms: how late the host's clock arrives (a DAW's sync delay)", 495, 445, 200, 34)
    prepend_latency = p.obj("prepend /djai/set clock_latency_ms", 440, 480, 210)
    p.wire(latency, prepend_latency)
    p.wire(prepend_latency, send)
    p.note("with clock osc, Max's transport drives the daemon: every beat, /djai/beat bar beat and /djai/tempo bpm",
           700, 410, 290, 34)
    metro = p.obj("metro 4n @quantize 4n @active 1", 860, 300, 130)
    transport = p.obj("transport", 860, 440, 80)
    p.wire(metro, transport)
    pack_beat = p.obj("pack 0 0", 700, 450, 70)
    p.wire(transport, pack_beat, 1, 1)   # beats (cold), then bars (hot): Max fires outlets right to left
    p.wire(transport, pack_beat, 0, 0)
    prepend_beat = p.obj("prepend /djai/beat", 700, 480, 120)
    p.wire(pack_beat, prepend_beat)
    p.wire(prepend_beat, send)
    prepend_tempo = p.obj("prepend /djai/tempo", 830, 480, 130)
    p.wire(transport, prepend_tempo, 4, 0)
    p.wire(prepend_tempo, send)

    # 5. answers
    p.note("5. the daemon's answers (djai-live serve --reply-port ...)", 20, 420, 380)
    reply_port = p.msg("port 9001", 20, 445, 80)
    receive = p.obj("udpreceive 9001", 20, 480, 120)
    p.wire(reply_port, receive)
    route = p.obj("route /djai/note /djai/note_off /djai/phrase /djai/error /djai/pong /djai/status /djai/key",
                  20, 515, 560)
    p.wire(receive, route)
    unpack_on = p.obj("unpack 0 0 0 0", 20, 555, 110)
    p.note("pitch velocity duration_ms channel", 140, 555, 220)
    p.wire(route, unpack_on, 0, 0)
    makenote = p.obj("makenote 100 500", 20, 600, 120)
    p.wire(unpack_on, makenote, 0, 0)
    p.wire(unpack_on, makenote, 1, 1)
    p.wire(unpack_on, makenote, 2, 2)
    noteout = p.obj("noteout", 20, 690, 70)
    p.wire(makenote, noteout, 0, 0)
    p.wire(makenote, noteout, 1, 1)
    p.wire(unpack_on, noteout, 3, 2)
    keyboard = p.patcher.add_textbox("kslider", patching_rect=[160, 600, 336, 53])
    p.wire(makenote, keyboard, 0, 0)
    p.wire(makenote, keyboard, 1, 1)
    p.note("the daemon also ends each note itself (and at once on panic): /djai/note_off pitch channel", 560, 555, 420)
    unpack_off = p.obj("unpack 0 0", 560, 600, 80)
    p.wire(route, unpack_off, 1, 0)
    zero = p.msg("$1 0", 560, 635, 60)
    p.wire(unpack_off, zero, 0, 0)
    off_out = p.obj("noteout", 560, 690, 70)
    p.wire(zero, off_out, 0, 0)
    p.wire(unpack_off, off_out, 1, 2)
    printer = p.obj("print djai", 660, 690, 80)
    for outlet in (2, 3, 4, 5):
        p.wire(route, printer, outlet, 0)
    p.note("the key the answers keep to", 760, 640, 200)
    key_display = p.obj("prepend set", 760, 665, 80)
    p.wire(route, key_display, 6, 0)
    key_box = p.msg("", 850, 665, 130)
    p.wire(key_display, key_box)
    p.patcher.save()
    return path


def build_abstraction(out: Path = OUT) -> Path:
    path = out / "djai.live.maxpat"
    p = Layout(path, 760, 420)
    p.note("[djai.live SEND_PORT REPLY_PORT]: notes in, the daemon's notes out", 20, 5, 520)
    notes_in = p.patcher.add_textbox("inlet", patching_rect=[20, 50, 30, 22], comment="notes: pitch velocity [channel]")
    params_in = p.patcher.add_textbox("inlet", patching_rect=[300, 50, 30, 22],
                                      comment="messages: set NAME VALUE..., generate, reset, panic, ping, status, "
                                      "capabilities, tempo BPM, beat BAR BEAT")
    send = p.obj("udpsend 127.0.0.1 #1", 20, 230, 150)
    prepend_note = p.obj("prepend /djai/note", 20, 80, 120)
    p.wire(notes_in, prepend_note)
    p.wire(prepend_note, send)
    route = p.obj("route set generate reset panic ping status capabilities tempo beat", 300, 80, 420)
    p.wire(params_in, route)
    prepend_set = p.obj("prepend /djai/set", 300, 120, 120)
    p.wire(route, prepend_set, 0, 0)
    p.wire(prepend_set, send)
    # "generate" alone arrives as a bang, "generate 4" as a number: only the latter carries a count
    generate_kind = p.obj("route bang", 430, 120, 80)
    p.wire(route, generate_kind, 1, 0)
    generate = p.msg("/djai/generate", 430, 150, 110)
    p.wire(generate_kind, generate, 0, 0)
    generate_count = p.obj("prepend /djai/generate", 550, 150, 150)
    p.wire(generate_kind, generate_count, 1, 0)
    p.wire(generate, send)
    p.wire(generate_count, send)
    for index, text in enumerate(("/djai/reset", "/djai/panic", "/djai/ping", "/djai/status", "/djai/capabilities")):
        box = p.msg(text, 300 + 90 * index, 190, 85 if index < 4 else 120)
        p.wire(route, box, index + 2, 0)
        p.wire(box, send)
    for index, address in enumerate(("/djai/tempo", "/djai/beat")):
        prepend = p.obj(f"prepend {address}", 560 + 130 * index, 230, 120)
        p.wire(route, prepend, index + 7, 0)
        p.wire(prepend, send)
    receive = p.obj("udpreceive #2", 20, 280, 120)
    answers = p.obj("route /djai/note /djai/note_off", 20, 320, 220)
    p.wire(receive, answers)
    out_notes = p.patcher.add_textbox("outlet", patching_rect=[20, 380, 30, 22],
                                      comment="generated notes: pitch velocity duration_ms channel")
    out_offs = p.patcher.add_textbox("outlet", patching_rect=[120, 380, 30, 22], comment="note-offs: pitch channel")
    out_other = p.patcher.add_textbox("outlet", patching_rect=[220, 380, 30, 22],
                                      comment="everything else: /djai/phrase, /djai/error, /djai/pong, /djai/status")
    p.wire(answers, out_notes, 0, 0)
    p.wire(answers, out_offs, 1, 0)
    p.wire(answers, out_other, 2, 0)
    p.patcher.save()
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out-dir", type=Path, default=OUT)
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for path in (build_main(args.out_dir), build_abstraction(args.out_dir)):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
