#!/usr/bin/env python3
"""Build the Max package max_patches/djai_live/ with py2max, so every shipped patch is reproducible and lint-clean.

The folder follows Cycling '74's own packages (Cycling74/ease, Cycling74/percolate): `package-info.json` at the
top, abstractions in `patchers/`, one `.maxhelp` per abstraction in `help/`, and the launch patch in `extras/`,
named by `homepatcher` so Max's Package Manager opens it ("Launch") and lists it in the Extras menu; a
`docs/NAME.maxref.xml` per abstraction gives Max's reference page (Cycling74/max-package-template's README).

    python scripts/build_max_patches.py                  # writes max_patches/djai_live/
    python scripts/build_max_patches.py --out-dir /tmp/x # writes /tmp/x/djai_live/
"""
from __future__ import annotations

import argparse
import json
import struct
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import py2max

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from djai_live import __version__
from djai_live.live.grid import GRIDS
from djai_live.scales import NOTE_NAMES, SCALES

PACKAGE = "djai_live"
OUT = Path(__file__).resolve().parents[1] / "max_patches"
LAUNCH_PATCH = "djai_live.maxpat"
MODES = ["phrase", "every", "manual", "accompany"]
# Messages the abstraction's right inlet understands, in the order of its [route]
CONTROL = ["set", "load", "generate", "reset", "panic", "ping", "status", "capabilities", "tempo", "beat",
           "host", "port", "listen"]
# What the daemon sends that the abstraction splits off for the player; the rest leaves by the last outlet
PLAYED = ["/djai/note", "/djai/note_off", "/djai/all_notes_off"]
SHOWN = ["/djai/loaded", "/djai/set", "/djai/reset", "/djai/key", "/djai/error"]
# (inlets, outlets) of each abstraction, counted from its own inlet and outlet boxes once it is built
ABSTRACTION_PORTS: dict[str, tuple[int, int]] = {}


class Layout:
    """A patcher plus helpers that place boxes by hand, so nothing overlaps."""

    def __init__(self, patcher: py2max.Patcher, width: int, height: int) -> None:
        self.patcher = patcher
        self.patcher.rect = [80.0, 80.0, float(width), float(height)]

    @classmethod
    def file(cls, path: Path, width: int, height: int) -> Layout:
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(py2max.Patcher(path), width, height)

    def obj(self, text: str, x: float, y: float, width: float = 110):
        name, *args = text.split()
        if name == "makenote" and len(args) >= 3:
            # A third argument (the MIDI channel) adds a fourth inlet and a third outlet (Max reference for
            # makenote); py2max's table has only the two-argument form.
            return self.patcher.add_textbox(text, patching_rect=[x, y, width, 22], numinlets=4, numoutlets=3,
                                            outlettype=["float", "float", "float"])
        if name in ABSTRACTION_PORTS:
            inlets, outlets = ABSTRACTION_PORTS[name]
            return self.patcher.add_textbox(text, patching_rect=[x, y, width, 22], numinlets=inlets,
                                            numoutlets=outlets, outlettype=[""] * outlets)
        return self.patcher.add_textbox(text, patching_rect=[x, y, width, 22])

    def msg(self, text: str, x: float, y: float, width: float = 110):
        return self.patcher.add_message(text, patching_rect=[x, y, width, 22])

    def note(self, text: str, x: float, y: float, width: float = 300, height: float = 20):
        return self.patcher.add_comment(text, patching_rect=[x, y, width, height])

    def port(self, kind: str, x: float, y: float, comment: str, index: int):
        """An inlet or outlet whose `comment` is the assistance Max shows on hover (py2max's own `comment=`
        would add a separate comment box instead); `index` numbers them from 1, left to right, as Max saves."""
        box = self.patcher.add_textbox(kind, patching_rect=[x, y, 30, 30])
        box._kwds.update(comment=comment, index=index)
        return box

    def tab(self, name: str, x: float, y: float) -> Layout:
        """A [p NAME] shown as a tab of the help window, as Max's own help files do."""
        box = self.patcher.add_subpatcher(f"p {name}", numinlets=0, numoutlets=0, outlettype=[],
                                          patching_rect=[x, y, 20 + 8 * len(name), 22])
        box._kwds["outlettype"] = []   # no outlets, none typed (py2max fills in one untyped outlet)
        box.subpatcher.showontab = 1
        return Layout(box.subpatcher, 760, 600)

    def wire(self, source, destination, outlet: int = 0, inlet: int = 0) -> None:
        self.patcher.add_line(source, destination, outlet=outlet, inlet=inlet)

    def save(self) -> None:
        self.patcher.save()

    def save_abstraction(self, name: str) -> None:
        kinds = [box.maxclass for box in self.patcher._boxes]
        ABSTRACTION_PORTS[name] = (kinds.count("inlet"), kinds.count("outlet"))
        self.save()


def _menu_items(names: list[str]) -> list[str]:
    """umenu items are separated by commas in the saved patch."""
    items: list[str] = []
    for name in names:
        items += [name, ","]
    return items[:-1]


def build_bridge(root: Path) -> Path:
    """[djai.live SEND_PORT REPLY_PORT]: OSC to the daemon and its answers back, split for a player."""
    path = root / "patchers" / "djai.live.maxpat"
    p = Layout.file(path, 900, 490)
    p.note("[djai.live SEND_PORT REPLY_PORT] (defaults 9000 9001): talks to djai-live serve over OSC", 20, 5, 560)
    notes_in = p.port("inlet", 20, 40, "notes: pitch velocity [channel] (velocity 0 ends a note)", 1)
    control_in = p.port("inlet", 300, 40, "messages: set NAME VALUE..., load MODEL, generate [COUNT], reset, panic, "
                        "ping, status, capabilities, tempo BPM, beat BAR BEAT, host HOST, port PORT, listen PORT", 2)
    send = p.obj("udpsend 127.0.0.1 #1", 20, 330, 150)
    receive = p.obj("udpreceive #2", 20, 370, 110)
    # patcherargs fills in the defaults when the box has no arguments, and re-applies given ones
    args = p.obj("patcherargs 9000 9001", 130, 80, 140)
    ports = p.obj("unpack 0 0", 130, 110, 80)
    send_port = p.obj("prepend port", 130, 140, 90)
    receive_port = p.obj("prepend port", 130, 170, 90)
    p.wire(args, ports)
    p.wire(ports, send_port, 0, 0)
    p.wire(ports, receive_port, 1, 0)
    p.wire(send_port, send)
    p.wire(receive_port, receive)

    prepend_note = p.obj("prepend /djai/note", 20, 290, 120)
    p.wire(notes_in, prepend_note)
    p.wire(prepend_note, send)

    route = p.obj("route " + " ".join(CONTROL), 300, 80, 580)
    p.wire(control_in, route)
    outlet = {name: index for index, name in enumerate(CONTROL)}
    for name, x in (("set", 300), ("load", 420)):
        prepend = p.obj(f"prepend /djai/{name}", x, 150, 115)
        p.wire(route, prepend, outlet[name], 0)
        p.wire(prepend, send)
    # "generate" alone arrives as a bang, "generate 4" as a number: only the latter carries a count
    generate_kind = p.obj("route bang", 540, 120, 70)
    p.wire(route, generate_kind, outlet["generate"], 0)
    generate = p.msg("/djai/generate", 540, 150, 100)
    generate_count = p.obj("prepend /djai/generate", 650, 150, 140)
    p.wire(generate_kind, generate, 0, 0)
    p.wire(generate_kind, generate_count, 1, 0)
    p.wire(generate, send)
    p.wire(generate_count, send)
    for index, name in enumerate(("reset", "panic", "ping", "status", "capabilities")):
        box = p.msg(f"/djai/{name}", 300 + 95 * index, 190, 90 if name != "capabilities" else 120)
        p.wire(route, box, outlet[name], 0)
        p.wire(box, send)
    for index, name in enumerate(("tempo", "beat")):
        prepend = p.obj(f"prepend /djai/{name}", 300 + 130 * index, 230, 120)
        p.wire(route, prepend, outlet[name], 0)
        p.wire(prepend, send)
    for index, name in enumerate(("host", "port")):
        prepend = p.obj(f"prepend {name}", 560 + 90 * index, 230, 85)
        p.wire(route, prepend, outlet[name], 0)
        p.wire(prepend, send)
    listen = p.obj("prepend port", 740, 230, 85)
    p.wire(route, listen, outlet["listen"], 0)
    p.wire(listen, receive)
    unknown = p.obj("print djai.live: unknown message", 560, 290, 210)
    p.wire(route, unknown, len(CONTROL), 0)

    answers = p.obj("route " + " ".join(PLAYED), 20, 405, 340)
    p.wire(receive, answers)
    comments = ["generated notes: pitch velocity duration_ms channel", "note-offs: pitch channel",
                "all notes off (bang): the daemon's panic, shutdown or start-up",
                "everything else: /djai/loaded, /djai/set, /djai/reset, /djai/key, /djai/error, /djai/phrase, "
                "/djai/pong, /djai/status, /djai/capabilities"]
    for index, comment in enumerate(comments):
        out = p.port("outlet", 20 + 110 * index, 440, comment, index + 1)
        p.wire(answers, out, index, 0)
    p.save_abstraction("djai.live")
    return path


def build_midiout(root: Path) -> Path:
    """[djai.live.midiout]: plays djai.live's first three outlets on MIDI, each note on its own channel."""
    path = root / "patchers" / "djai.live.midiout.maxpat"
    p = Layout.file(path, 760, 510)
    p.note("[djai.live.midiout]: the daemon's notes to MIDI, each on the channel it names", 20, 5, 520)
    notes_in = p.port("inlet", 20, 40, "notes: pitch velocity duration_ms channel; port NAME picks the MIDI device", 1)
    offs_in = p.port("inlet", 300, 40, "note-offs: pitch channel", 2)
    all_off_in = p.port("inlet", 480, 40, "all notes off (bang)", 3)
    device = p.obj("route port", 20, 80, 75)
    p.wire(notes_in, device)
    unpack = p.obj("unpack 0 0 0 0", 110, 120, 110)
    p.wire(device, unpack, 1, 0)
    # The channel travels through makenote with each note, so its note-off (the safety net if the daemon's
    # own note-off is lost) goes to the same channel even after other voices have played.
    makenote = p.obj("makenote 100 500 1", 110, 170, 130)
    for index in range(4):
        p.wire(unpack, makenote, index, index)
    noteout = p.obj("noteout", 110, 380, 70)
    ctlout = p.obj("ctlout", 480, 380, 60)
    device_name = p.obj("prepend port", 20, 340, 85)
    p.wire(device, device_name, 0, 0)
    p.wire(device_name, noteout)
    p.wire(device_name, ctlout)
    played = p.obj("pack 0 0 0", 110, 420, 80)  # what reaches noteout, for a display
    for index in range(3):
        p.wire(makenote, noteout, index, index)
        p.wire(makenote, played, index, index)

    unpack_off = p.obj("unpack 0 0", 300, 120, 80)
    p.wire(offs_in, unpack_off)
    off_velocity = p.obj("t i 0", 300, 170, 60)   # right to left: velocity 0, then the pitch
    p.wire(unpack_off, off_velocity, 0, 0)
    p.wire(unpack_off, noteout, 1, 2)
    p.wire(unpack_off, played, 1, 2)
    for index in (1, 0):
        p.wire(off_velocity, noteout, index, index)
        p.wire(off_velocity, played, index, index)

    # All notes off: makenote's held notes end now (stop), then All Notes Off (CC 123) and All Sound Off
    # (CC 120) on every channel, for notes this patch never saw (a daemon restarted, a patch reopened).
    all_off = p.obj("t b b", 480, 80, 50)
    p.wire(all_off_in, all_off)
    stop = p.msg("stop", 260, 120, 40)
    p.wire(all_off, stop, 1, 0)
    p.wire(stop, makenote, 0, 0)
    channels = p.obj("uzi 16", 480, 120, 60)
    p.wire(all_off, channels, 0, 0)
    each = p.obj("t i i", 480, 170, 50)
    p.wire(channels, each, 2, 0)
    for index, (text, x) in enumerate((("t 0 120 i", 480), ("t 0 123 i", 580))):
        controller = p.obj(text, x, 230, 80)
        p.wire(each, controller, index, 0)
        for outlet in (2, 1, 0):
            p.wire(controller, ctlout, outlet, outlet)
    p.note("Max sends each box's outlets right to left: channel, controller, then value", 480, 270, 260, 34)
    out = p.port("outlet", 110, 460, "what was played: pitch velocity channel", 1)
    p.wire(played, out)
    p.save_abstraction("djai.live.midiout")
    return path


def _params(p: Layout, target, x: float, y: float) -> None:
    """Live parameters, the mode menu and the model loader, each into the abstraction's right inlet."""
    p.note("3. live parameters -> set NAME VALUE (/djai/set)", x, y, 320)
    controls = [("temperature", "flonum"), ("top_p", "flonum"), ("length", "number"), ("phrase_gap_ms", "number")]
    for row, (name, kind) in enumerate(controls):
        top = y + 25 + 30 * row
        p.note(name, x, top, 100)
        add = p.patcher.add_floatbox if kind == "flonum" else p.patcher.add_intbox
        box = add(patching_rect=[x + 105, top, 55, 22])
        prepend = p.obj(f"prepend set {name}", x + 170, top, 170)
        p.wire(box, prepend)
        p.wire(prepend, target, 0, 1)
    top = y + 25 + 30 * len(controls)
    p.note("mode", x, top, 100)
    mode = p.patcher.add_umenu(patching_rect=[x + 105, top, 90, 22], items=_menu_items(MODES))
    prepend_mode = p.obj("prepend set mode", x + 205, top, 135)
    p.wire(mode, prepend_mode, 1, 0)  # outlet 1: the chosen item's text
    p.wire(prepend_mode, target, 0, 1)
    p.note("accompany: the daemon plays the model's other voices with you, each on its own channel (chorale: 2-4)",
           x, top + 25, 340, 34)
    top += 65
    p.note("model (bundled name or a file in --models-dir); edit the box to load your own", x, top, 340, 34)
    for index, name in enumerate(("default", "chorale")):
        load = p.msg(f"load {name}", x + 100 * index, top + 38, 95)
        p.wire(load, target, 0, 1)


def _answers(p: Layout, bridge, x: float, y: float) -> None:
    """The daemon's acknowledgements, its model and key, and its errors, shown in message boxes."""
    route = p.obj("route " + " ".join(SHOWN), x, y, 420)
    p.wire(bridge, route, 3, 0)
    labels = ["model", "last change", "", "key", "error"]
    prepends = {}
    for index, (address, label) in enumerate(zip(SHOWN, labels)):
        if address == "/djai/reset":
            continue
        top = y + 40 + 30 * len(prepends)
        p.note(label, x, top, 80)
        prepend = p.obj("prepend set", x + 85, top, 80)
        box = p.msg("", x + 175, top, 240)
        p.wire(route, prepend, index, 0)
        p.wire(prepend, box)
        prepends[address] = prepend
    # /djai/reset has no arguments: it arrives as a bang, which shows "reset" as the last change
    reset = p.msg("reset", x + 430, y + 40, 50)
    p.wire(route, reset, SHOWN.index("/djai/reset"), 0)
    p.wire(reset, prepends["/djai/set"])
    printer = p.obj("print djai", x + 430, y + 160, 80)
    p.wire(route, printer, SHOWN.index("/djai/error"), 0)
    p.wire(route, printer, len(SHOWN), 0)


def build_launch(root: Path) -> Path:
    path = root / "extras" / LAUNCH_PATCH
    p = Layout.file(path, 1040, 820)
    p.note("djai_live: play into Max, the daemon answers or accompanies. Start it first in a terminal: "
           "djai-live serve", 20, 10, 700)
    bridge = p.obj("djai.live 9000 9001", 20, 520, 200)

    p.note("1. where the daemon listens and where its answers come back (djai-live serve --osc-port --reply-port)",
           20, 40, 400, 34)
    for text, x in (("host 127.0.0.1", 20), ("port 9000", 130), ("listen 9001", 215)):
        p.wire(p.msg(text, x, 80, 100 if "host" in text else 80), bridge, 0, 1)

    p.note("2. your MIDI keyboard: notein -> /djai/note pitch velocity channel", 20, 120, 400)
    notein = p.obj("notein", 20, 145, 60)
    pack = p.obj("pack 0 0 0", 20, 185, 80)
    for index in range(3):
        p.wire(notein, pack, index, index)
    p.wire(pack, bridge, 0, 0)
    p.note("listen to one MIDI channel only (0: all)", 160, 145, 240)
    channel_in = p.patcher.add_intbox(patching_rect=[160, 170, 50, 22])
    prepend_channel = p.obj("prepend set channel_in", 220, 170, 150)
    p.wire(channel_in, prepend_channel)
    p.wire(prepend_channel, bridge, 0, 1)

    _params(p, bridge, 440, 40)

    p.note("4. actions", 20, 230, 100)
    for index, text in enumerate(("generate", "reset", "panic", "ping", "status")):
        p.wire(p.msg(text, 20 + 75 * index, 255, 70), bridge, 0, 1)
    p.note("generate: answer now \u00b7 reset: forget what you played \u00b7 panic: silence everything now", 20, 282,
           400, 34)

    p.note("6. in time and in key: clock, quantize, grid, scale, key", 440, 330, 400)
    menus = [("clock", ["free", "midi", "osc", "link"], 440), ("quantize_start", ["none", "beat", "bar"], 590),
             ("grid", ["none", "1/4", "1/8", "1/8t", "1/16", "1/16t", "1/32"], 740)]
    for name, items, x in menus:
        menu = p.patcher.add_umenu(patching_rect=[x, 355, 60, 22], items=_menu_items(items))
        prepend = p.obj(f"prepend set {name}", x, 385, 145)
        p.wire(menu, prepend, 1, 0)
        p.wire(prepend, bridge, 0, 1)
    scale = p.patcher.add_umenu(patching_rect=[440, 415, 110, 22], items=_menu_items(list(SCALES)))
    p.note("root 0-11", 555, 415, 60)
    root_box = p.patcher.add_intbox(patching_rect=[615, 415, 40, 22])
    pak = p.obj("pak s 0", 440, 445, 70)
    prepend_scale = p.obj("prepend set scale", 520, 445, 130)
    p.wire(scale, pak, 1, 0)
    p.wire(root_box, pak, 0, 1)
    p.wire(pak, prepend_scale)
    p.wire(prepend_scale, bridge, 0, 1)
    for text, x in (("set key auto", 680), ("set key off", 790)):
        p.wire(p.msg(text, x, 415, 100), bridge, 0, 1)
    latency = p.patcher.add_floatbox(patching_rect=[440, 480, 50, 22])
    p.note("clock latency ms: how late the host's clock arrives (a DAW's sync delay)", 495, 480, 220, 34)
    prepend_latency = p.obj("prepend set clock_latency_ms", 720, 480, 190)
    p.wire(latency, prepend_latency)
    p.wire(prepend_latency, bridge, 0, 1)
    p.note("with clock osc, Max's transport drives the daemon: every beat, beat BAR BEAT and tempo BPM",
           250, 330, 180, 62)
    metro = p.obj("metro 4n @quantize 4n @active 1", 250, 400, 180)
    transport = p.obj("transport", 250, 430, 80)
    p.wire(metro, transport)
    pack_beat = p.obj("pack 0 0", 250, 460, 70)
    p.wire(transport, pack_beat, 1, 1)   # beats (cold), then bars (hot): Max fires outlets right to left
    p.wire(transport, pack_beat, 0, 0)
    prepend_beat = p.obj("prepend beat", 250, 490, 90)
    p.wire(pack_beat, prepend_beat)
    p.wire(prepend_beat, bridge, 0, 1)
    prepend_tempo = p.obj("prepend tempo", 345, 490, 90)
    p.wire(transport, prepend_tempo, 4, 0)
    p.wire(prepend_tempo, bridge, 0, 1)

    p.note("5. the answers: each note on the channel the daemon names (four voices on channels 1-4 when "
           "accompanying); the daemon's all-notes-off flushes makenote and sends All Notes Off on every channel",
           20, 560, 420, 48)
    midiout = p.obj("djai.live.midiout", 20, 620, 140)
    for index in range(3):
        p.wire(bridge, midiout, index, index)
    played = p.obj("unpack 0 0 0", 20, 660, 90)
    p.wire(midiout, played)
    keyboard = p.patcher.add_textbox("kslider", patching_rect=[20, 700, 336, 53])
    p.wire(played, keyboard, 1, 1)
    p.wire(played, keyboard, 0, 0)
    _answers(p, bridge, 440, 560)
    p.save()
    return path


def build_bridge_help(root: Path) -> Path:
    path = root / "help" / "djai.live.maxhelp"
    top = Layout.file(path, 780, 640)
    top.patcher.showrootpatcherontab = 0
    p = top.tab("basic", 20, 20)
    p.note("djai.live: a co-improviser you play with. It sends your notes to djai-live serve over OSC and "
           "returns its answers. Start the daemon first: djai-live serve (add --mode accompany --model chorale "
           "to be accompanied)", 20, 10, 700, 48)
    p.note("arguments: the daemon's OSC port (9000) and the port its answers come back to (9001)", 20, 60, 560)
    bridge = p.obj("djai.live 9000 9001", 20, 330, 200)
    for index, text in enumerate(("60 100 1", "60 0 1", "64 90 1", "64 0 1")):
        p.wire(p.msg(text, 20 + 70 * index, 100, 65), bridge, 0, 0)
    p.note("notes in: pitch velocity channel (velocity 0 ends the note)", 20, 125, 320)
    messages = ["set temperature 0.9", "set mode accompany", "set mode phrase", "load chorale", "load default",
                "generate", "generate 4", "reset", "panic", "status", "ping", "listen 9001"]
    for index, text in enumerate(messages):
        column, row = divmod(index, 6)
        p.wire(p.msg(text, 360 + 150 * column, 100 + 30 * row, 140), bridge, 0, 1)
    p.note("messages: each is acknowledged (/djai/set, /djai/reset, /djai/loaded) on the last outlet", 360, 285, 400)
    midiout = p.obj("djai.live.midiout", 20, 420, 140)
    for index in range(3):
        p.wire(bridge, midiout, index, index)
    labels = ["print notes", "print note_offs", "print all_notes_off", "print other"]
    for index, text in enumerate(labels):
        p.wire(bridge, p.obj(text, 200 + 130 * index, 380, 120), index, 0)
    p.note("outlets: notes (pitch velocity duration_ms channel), note-offs (pitch channel), all notes off, "
           "everything else; djai.live.midiout plays the first three on MIDI", 200, 410, 520, 34)
    p.note("see also: djai.live.midiout, the launch patch djai_live (Extras menu), docs/hosts.md", 20, 470, 600)
    top.save()
    return path


def build_midiout_help(root: Path) -> Path:
    path = root / "help" / "djai.live.midiout.maxhelp"
    top = Layout.file(path, 780, 560)
    top.patcher.showrootpatcherontab = 0
    p = top.tab("basic", 20, 20)
    p.note("djai.live.midiout: plays what djai.live receives on MIDI, each note on the channel the daemon names, "
           "and silences everything on the daemon's all-notes-off", 20, 10, 700, 34)
    midiout = p.obj("djai.live.midiout", 20, 300, 140)
    p.note("a note: pitch velocity duration_ms channel (makenote ends it after the duration if the daemon's "
           "note-off never comes)", 20, 50, 560, 34)
    for index, text in enumerate(("60 100 500 1", "64 90 500 2", "67 90 500 3", "48 90 500 4")):
        p.wire(p.msg(text, 20 + 110 * index, 90, 100), midiout, 0, 0)
    p.note("a note-off: pitch channel", 20, 130, 300)
    for index, text in enumerate(("60 1", "64 2")):
        p.wire(p.msg(text, 20 + 70 * index, 155, 60), midiout, 0, 1)
    p.note("all notes off: makenote's held notes end now, then CC 123 and CC 120 on channels 1-16", 20, 195, 560)
    p.wire(p.patcher.add_textbox("button", patching_rect=[20, 220, 24, 24]), midiout, 0, 2)
    p.wire(p.msg("port from Max 1", 200, 250, 120), midiout, 0, 0)
    p.note("port NAME picks the MIDI output device", 330, 250, 300)
    played = p.obj("print played", 20, 340, 90)
    p.wire(midiout, played)
    p.note("see also: djai.live", 20, 380, 300)
    top.save()
    return path


# The reference pages: digest, arguments, messages and see-also, in the maxref.xml form of Cycling74/ease
REFERENCE = {
    "djai.live": {
        "digest": "Play with the djai-live co-improviser over OSC",
        "description": "Sends your notes and controls to djai-live serve and returns its answers: generated notes, "
                       "note-offs, all-notes-off, and its acknowledgements. Start the daemon first.",
        "args": [("send-port", "int", "The daemon's OSC port (djai-live serve --osc-port), default 9000"),
                 ("reply-port", "int", "The port its answers come back to (--reply-port), default 9001")],
        "methods": {
            "list": "In left inlet: a note, pitch velocity [channel]; velocity 0 ends it",
            "set": "In right inlet: set NAME VALUE... changes a live parameter (temperature, top_p, length, mode "
                   "phrase/every/manual/accompany, scale, key, clock, grid...); acknowledged on the last outlet",
            "load": "In right inlet: load MODEL swaps the daemon's model (default, chorale, or a file in "
                    "--models-dir); answered by /djai/loaded or /djai/error",
            "generate": "In right inlet: generate [COUNT] asks for an answer now",
            "reset": "In right inlet: the daemon forgets what you played",
            "panic": "In right inlet: every note ends now; the daemon answers with all notes off",
            "ping": "In right inlet: answered by /djai/pong",
            "status": "In right inlet: answered by /djai/status",
            "capabilities": "In right inlet: answered by /djai/capabilities",
            "tempo": "In right inlet: tempo BPM, the host's tempo (with clock osc)",
            "beat": "In right inlet: beat BAR BEAT, the host's position (with clock osc)",
            "host": "In right inlet: host HOST, where the daemon runs",
            "port": "In right inlet: port PORT, the daemon's OSC port",
            "listen": "In right inlet: listen PORT, where its answers come back",
        },
        "seealso": ["djai.live.midiout", "udpsend", "udpreceive"],
    },
    "djai.live.midiout": {
        "digest": "Play djai.live's answers on MIDI, each note on its own channel",
        "description": "Plays djai.live's notes through makenote and noteout on the channel each note names, ends "
                       "them on the daemon's note-offs, and on all notes off ends held notes and sends All Notes "
                       "Off (CC 123) and All Sound Off (CC 120) on channels 1-16.",
        "args": [],
        "methods": {
            "list": "In left inlet: pitch velocity duration_ms channel; in middle inlet: pitch channel (a note-off)",
            "bang": "In right inlet: all notes off",
            "port": "In left inlet: port NAME picks the MIDI output device",
        },
        "seealso": ["djai.live", "makenote", "noteout", "ctlout"],
    },
}


def write_reference(root: Path, name: str) -> Path:
    page = REFERENCE[name]
    element = ElementTree.Element("c74object", name=name, category="djai_live")
    ElementTree.SubElement(element, "digest").text = page["digest"]
    ElementTree.SubElement(element, "description").text = page["description"]
    metadata = ElementTree.SubElement(element, "metadatalist")
    ElementTree.SubElement(metadata, "metadata", name="author").text = "djai_live"
    ElementTree.SubElement(metadata, "metadata", name="tag").text = "djai_live"
    arguments = ElementTree.SubElement(element, "objarglist")
    for arg, kind, text in page["args"]:
        entry = ElementTree.SubElement(arguments, "objarg", name=arg, optional="1", type=kind)
        ElementTree.SubElement(entry, "digest").text = text
    methods = ElementTree.SubElement(element, "methodlist")
    for method, text in page["methods"].items():
        entry = ElementTree.SubElement(methods, "method", name=method)
        ElementTree.SubElement(entry, "digest").text = text
    seealso = ElementTree.SubElement(element, "seealsolist")
    for other in page["seealso"]:
        ElementTree.SubElement(seealso, "seealso", name=other)
    ElementTree.indent(element, space="\t")
    path = root / "docs" / f"{name}.maxref.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("<?xml version='1.0' encoding='utf-8' standalone='yes'?>\n"
                    + ElementTree.tostring(element, encoding="unicode") + "\n")
    return path


def write_package_info(root: Path) -> Path:
    # The fields of Cycling '74's package-info.json (Cycling74/max-package-template, Cycling74/ease)
    info = {
        "author": "djai_live",
        "description": "A real-time neural co-improviser: play into Max, djai-live serve answers or accompanies "
                       "you over OSC. Needs the djai-live daemon running (djai-live serve).",
        "homepatcher": LAUNCH_PATCH,
        "max_version_min": "8.0",
        "max_version_max": "none",
        "name": PACKAGE,
        "os": {"macintosh": {"platform": ["x64", "aarch64"], "min_version": "none"},
               "windows": {"platform": ["x64"], "min_version": "none"}},
        "package_extra": {"reverse_domain": "org.djai_live", "copyright": "GPL-3.0-or-later"},
        "tags": ["midi", "osc", "machine learning", "improvisation"],
        "version": __version__,
        "website": "",
    }
    path = root / "package-info.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(info, indent=2) + "\n")
    return path


# --- the Max for Live MIDI effect -------------------------------------------------------------------------
DEVICE = "djai_live.amxd"
# (inlets, outlets, outlet types) of the objects only the device uses, as Max saves them (Ableton/maxdevtools'
# Test.amxd and CPU Reporter.amxd; midiparse and midiformat from Max 8 patches found by content search)
DEVICE_OBJECTS = {
    "midiin": (1, 1, ["int"]), "midiout": (1, 0, []), "midiparse": (1, 8, ["", "", "", "int", "int", "", "int", ""]),
    "midiformat": (7, 2, ["int", ""]), "live.thisdevice": (1, 3, ["bang", "int", "int"]),
    "live.path": (1, 3, ["", "", ""]), "live.observer": (2, 2, ["", ""]), "change": (1, 3, ["", "int", "int"]),
    "sel": (2, 2, ["bang", ""]),
}
LIVE_UI = {"live.dial": (1, 2, ["", "float"]), "live.numbox": (1, 2, ["", "float"]),
           "live.menu": (1, 3, ["", "", "float"]), "live.text": (1, 2, ["", ""]), "live.comment": (1, 0, [])}
AMXD_META = 1            # the meta chunk's value in a MIDI effect Max 9 saved (Ableton/maxdevtools Test.amxd)
AMXD_TIME = 3_850_000_000  # a fixed creation time (Max's 1904 epoch), so a rebuild is byte for byte the same


class Device(Layout):
    """A Max for Live device's patcher: Live's own parameter objects (automatable and mappable), shown in
    the presentation view Live puts in the device chain."""

    def newobj(self, text: str, x: float, y: float, width: float = 110):
        inlets, outlets, types = DEVICE_OBJECTS[text.split()[0]]
        return self.patcher.add_textbox(text, patching_rect=[x, y, width, 22], numinlets=inlets,
                                        numoutlets=outlets, outlettype=types)

    def parameter(self, maxclass: str, name: str, x: float, y: float, shown: list[float], kind: int,
                  low: float = 0.0, high: float = 1.0, initial: float = 0.0, items: list[str] | None = None,
                  **options):
        """A live.* parameter: ``kind`` 0 float, 1 int, 2 a list of ``items`` (Live's parameter_type)."""
        inlets, outlets, types = LIVE_UI[maxclass]
        value = {"parameter_longname": name, "parameter_shortname": name, "parameter_type": kind,
                 "parameter_initial_enable": 1, "parameter_initial": [initial]}
        if items is not None:
            value["parameter_enum"] = items
            value["parameter_mmax"] = len(items) - 1
        else:
            value.update(parameter_mmin=low, parameter_mmax=high)
        box = self.patcher.add_box(py2max.Box(
            maxclass=maxclass, numinlets=inlets, numoutlets=outlets, outlettype=types,
            id=self.patcher.get_id(maxclass), patching_rect=[x, y, shown[2], shown[3]], parameter_enable=1,
            presentation=1, presentation_rect=shown, varname=name,
            saved_attribute_attributes={"valueof": value}, **options))
        return box

    def label(self, text: str, shown: list[float]):
        inlets, outlets, types = LIVE_UI["live.comment"]
        return self.patcher.add_box(py2max.Box(
            maxclass="live.comment", numinlets=inlets, numoutlets=outlets, outlettype=types, text=text,
            id=self.patcher.get_id("live.comment"), patching_rect=[shown[0], 560 + shown[1], shown[2], shown[3]],
            presentation=1, presentation_rect=shown))

    def shown(self, box, rect: list[float]):
        box._kwds.update(presentation=1, presentation_rect=rect)
        return box


def build_device(root: Path) -> Path:
    """djai_live.amxd: a MIDI effect. The track's notes go to the daemon (and on to the instrument), the
    daemon's notes come back into the track, Live's transport drives the daemon's OSC clock and its stop
    ends every note; the main parameters are live.* controls Live can automate and map."""
    path = root / "devices" / DEVICE
    p = Device(py2max.Patcher(), 1100, 700)
    p.patcher.openinpresentation = 1
    p.patcher.openrect = [0.0, 0.0, 0.0, 169.0]  # Live's device height, as Max saves a device (Test.amxd)
    p.note("djai_live: the track's notes to djai-live serve, its answers back into the track (start the daemon "
           "first: djai-live serve; the djai_live Max package must be installed for [djai.live])", 20, 5, 700)
    bridge = p.obj("djai.live 9000 9001", 20, 300, 200)
    # the track's MIDI: on to the instrument as it came, and its notes to the daemon
    midiin = p.newobj("midiin", 20, 40, 60)
    midiout = p.newobj("midiout", 20, 520, 60)
    p.wire(midiin, midiout)
    parse = p.newobj("midiparse", 100, 80, 120)
    p.wire(midiin, parse)
    p.wire(parse, bridge, 0, 0)  # pitch velocity: a note, velocity 0 its end

    # the daemon's notes into the track: makenote carries each note's channel to midiformat, as its own end
    unpack = p.obj("unpack 0 0 0 0", 20, 340, 110)
    p.wire(bridge, unpack, 0, 0)
    makenote = p.obj("makenote 100 500 1", 20, 370, 130)
    for index in range(4):
        p.wire(unpack, makenote, index, index)
    format_ = p.newobj("midiformat", 20, 480, 110)
    note = p.obj("pack 0 0", 20, 410, 70)
    p.wire(makenote, format_, 2, 6)     # the channel first (Max fires outlets right to left) ...
    p.wire(makenote, note, 1, 1)
    p.wire(makenote, note, 0, 0)
    p.wire(note, format_, 0, 0)         # ... then pitch velocity
    off = p.obj("unpack 0 0", 160, 340, 80)
    p.wire(bridge, off, 1, 0)
    off_note = p.obj("pack 0 0", 160, 410, 70)  # pitch, velocity 0
    p.wire(off, format_, 1, 6)
    p.wire(off, off_note, 0, 0)
    p.wire(off_note, format_, 0, 0)
    p.wire(format_, midiout, 0, 0)
    # all notes off (the daemon's, or Live's stop): makenote's notes end, then CC 123 and 120 on channels 1-16
    all_off = p.obj("t b b", 260, 340, 50)
    p.wire(bridge, all_off, 2, 0)
    stop = p.msg("stop", 260, 370, 40)
    p.wire(all_off, stop, 1, 0)
    p.wire(stop, makenote, 0, 0)
    channels = p.obj("uzi 16", 320, 370, 60)
    p.wire(all_off, channels, 0, 0)
    each = p.obj("t b b i", 320, 410, 70)
    p.wire(channels, each, 2, 0)
    p.wire(each, format_, 2, 6)
    for index, text in ((1, "120 0"), (0, "123 0")):
        controller = p.msg(text, 400 - 50 * index, 445, 45)
        p.wire(each, controller, index, 0)
        p.wire(controller, format_, 0, 2)   # control change: controller value

    # Live's transport: tempo and beat into the daemon's OSC clock, and its stop ends every note
    device = p.newobj("live.thisdevice", 560, 40, 100)
    loaded = p.obj("t b b b", 560, 70, 70)
    p.wire(device, loaded)
    for index, text in enumerate(("status", "set clock osc")):
        message = p.msg(text, 560 + 90 * index, 100, 85)
        p.wire(loaded, message, index + 1, 0)
        p.wire(message, bridge, 0, 1)
    # Live's API: is_playing of the song, observed (path first, then the property, then the object's id)
    live_path = p.newobj("live.path", 740, 130, 80)
    path_message = p.msg("path live_set", 740, 100, 90)
    p.wire(loaded, path_message, 0, 0)
    p.wire(path_message, live_path)
    observer = p.newobj("live.observer", 740, 190, 90)
    property_message = p.msg("property is_playing", 840, 130, 120)
    p.wire(loaded, property_message, 0, 0)
    p.wire(property_message, observer, 0, 0)
    p.wire(live_path, observer, 1, 1)
    playing = p.newobj("change", 740, 220, 60)
    p.wire(observer, playing)
    stopped = p.newobj("sel 0", 740, 250, 50)
    p.wire(playing, stopped)
    panic = p.msg("panic", 740, 280, 50)
    p.wire(stopped, panic, 0, 0)
    p.wire(stopped, all_off, 0, 0)
    p.wire(panic, bridge, 0, 1)
    metro = p.obj("metro 4n @quantize 4n @active 1", 560, 140, 170)
    transport = p.obj("transport", 560, 170, 80)
    p.wire(metro, transport)
    beat = p.obj("pack 0 0", 560, 200, 70)
    p.wire(transport, beat, 1, 1)
    p.wire(transport, beat, 0, 0)
    prepend_beat = p.obj("prepend beat", 560, 230, 90)
    p.wire(beat, prepend_beat)
    p.wire(prepend_beat, bridge, 0, 1)
    prepend_tempo = p.obj("prepend tempo", 655, 230, 90)
    p.wire(transport, prepend_tempo, 4, 0)
    p.wire(prepend_tempo, bridge, 0, 1)

    # the main parameters, each a live.* control Live can automate and map, each a /djai/set (or /djai/load)
    x = 1000
    temperature = p.parameter("live.dial", "temperature", x, 40, [5.0, 20.0, 44.0, 48.0], 0, 0.1, 2.0, 1.0)
    length = p.parameter("live.numbox", "length", x, 100, [55.0, 35.0, 40.0, 15.0], 1, 1, 64, 10)
    mode = p.parameter("live.menu", "mode", x, 140, [105.0, 20.0, 70.0, 15.0], 2, items=MODES)
    scale = p.parameter("live.menu", "scale", x, 180, [185.0, 20.0, 90.0, 15.0], 2, items=list(SCALES))
    root_ = p.parameter("live.menu", "root", x, 220, [185.0, 50.0, 40.0, 15.0], 2, items=list(NOTE_NAMES))
    grid = p.parameter("live.menu", "grid", x, 260, [105.0, 50.0, 70.0, 15.0], 2, items=list(GRIDS))
    model = p.parameter("live.menu", "model", x, 300, [285.0, 20.0, 70.0, 15.0], 2, items=["default", "chorale"])
    panic_button = p.parameter("live.text", "panic", x, 340, [285.0, 50.0, 70.0, 15.0], 2, items=["panic", "panic"],
                               mode=0, text="panic", texton="panic")
    # a number's value leaves by outlet 0; a menu's item text by outlet 1
    for box, text, outlet, y in ((temperature, "prepend set temperature", 0, 40),
                                 (length, "prepend set length", 0, 100), (mode, "prepend set mode", 1, 140),
                                 (grid, "prepend set grid", 1, 260), (model, "prepend load", 1, 300)):
        prepend = p.obj(text, x - 200, y, 150)
        p.wire(box, prepend, outlet, 0)
        p.wire(prepend, bridge, 0, 1)
    pak = p.obj("pak s 0", x - 200, 200, 70)
    p.wire(scale, pak, 1, 0)
    p.wire(root_, pak, 0, 1)
    prepend_scale = p.obj("prepend set scale", x - 120, 200, 120)
    p.wire(pak, prepend_scale)
    p.wire(prepend_scale, bridge, 0, 1)
    pressed = p.newobj("sel 1", x - 200, 340, 50)
    p.wire(panic_button, pressed)
    p.wire(pressed, panic, 0, 0)
    for text, rect in (("temp", [5.0, 5.0, 44.0, 15.0]), ("length", [55.0, 20.0, 40.0, 15.0]),
                       ("mode", [105.0, 5.0, 70.0, 15.0]), ("grid", [105.0, 35.0, 70.0, 15.0]),
                       ("scale / root", [185.0, 5.0, 90.0, 15.0]), ("model", [285.0, 5.0, 70.0, 15.0])):
        p.label(text, rect)

    # what the daemon says: its model, the last change, its errors
    shown = p.obj("route /djai/loaded /djai/set /djai/error /djai/status", 20, 580, 330)
    p.wire(bridge, shown, 3, 0)
    for index, (label, rect) in enumerate((("model", [365.0, 5.0, 150.0, 18.0]), ("set", [365.0, 28.0, 150.0, 18.0]),
                                           ("error", [365.0, 51.0, 220.0, 36.0]))):
        prepend = p.obj(f"prepend set {label}:", 20 + 110 * index, 620, 100)
        box = p.shown(p.msg("", 20 + 110 * index, 650, 100), rect)
        p.wire(shown, prepend, index, 0)
        p.wire(prepend, box)
    connected = p.shown(p.msg("", 360, 650, 150), [365.0, 95.0, 150.0, 18.0])
    status = p.obj("prepend set daemon answers:", 360, 620, 170)
    answered = p.msg("connected", 360, 590, 80)  # /djai/status came back: the daemon is there
    p.wire(shown, answered, 3, 0)
    p.wire(answered, status)
    p.wire(status, connected)
    write_device(path, p.patcher)
    return path


def write_device(path: Path, patcher: py2max.Patcher) -> None:
    """The .amxd layout of a MIDI effect as Max saves it (Ableton/maxdevtools' Test.amxd): chunks of a
    4-letter tag and a little-endian 32-bit size: ``ampf`` holding the device type ``mmmm``, ``meta``, then
    ``ptch`` with the patcher JSON, ending in a newline and a NUL."""
    document = patcher.to_dict()
    document["patcher"]["project"] = {
        "version": 1, "creationdate": AMXD_TIME, "modificationdate": AMXD_TIME, "viewrect": [0.0, 0.0, 300.0, 500.0],
        "autoorganize": 1, "hideprojectwindow": 1, "showdependencies": 1, "autolocalize": 0,
        "contents": {"patchers": {}}, "layout": {}, "searchpath": {}, "detailsvisible": 0,
        "amxdtype": int.from_bytes(b"mmmm", "big"), "readonly": 0, "devpathtype": 0, "devpath": ".",
        "sortmode": 0, "viewmode": 0, "includepackages": 0}
    document["patcher"]["parameters"] = {
        box["box"]["id"]: [box["box"]["varname"], box["box"]["varname"], 0]
        for box in document["patcher"]["boxes"] if box["box"].get("parameter_enable")}
    payload = (json.dumps(document, indent="\t") + "\n").encode() + b"\0"
    chunks = [(b"ampf", b"mmmm"), (b"meta", struct.pack("<I", AMXD_META)), (b"ptch", payload)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(tag + struct.pack("<I", len(data)) + data for tag, data in chunks))


def build(out: Path = OUT) -> list[Path]:
    root = out / PACKAGE
    return [write_package_info(root), build_bridge(root), build_midiout(root), build_launch(root),
            build_bridge_help(root), build_midiout_help(root), *(write_reference(root, name) for name in REFERENCE),
            build_device(root)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out-dir", type=Path, default=OUT)
    args = parser.parse_args()
    for path in build(args.out_dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
