"""MuseScore 3 scores for the plugin's tests: written by hand (.mscx, the format mscore3 saves), read back note
for note (tied notes joined into one, as a reader of the score hears them), and the plugin run headless."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from djai_live.corpus import read_midi_notes

DIVISION = 480                      # ticks a quarter note, as MuseScore writes
PLUGINS = Path(__file__).resolve().parents[2] / "max_patches" / "musescore"
ROOT = Path(__file__).resolve().parents[2]
VALUES = {"breve": Fraction(2), "whole": Fraction(1), "half": Fraction(1, 2), "quarter": Fraction(1, 4),
          "eighth": Fraction(1, 8), "16th": Fraction(1, 16), "32nd": Fraction(1, 32), "64th": Fraction(1, 64)}


@dataclass(frozen=True)
class ScoreNote:
    pitch: int
    tick: int
    ticks: int


def _value_of(ticks: int) -> tuple[str, int]:
    """The duration type and dots of one note value in ticks."""
    for name, whole in VALUES.items():
        for dots, factor in ((0, Fraction(1)), (1, Fraction(3, 2)), (2, Fraction(7, 4))):
            if whole * factor * 4 * DIVISION == ticks:
                return name, dots
    raise ValueError(f"{ticks} ticks is not one note value")


def _pieces(ticks: int) -> list[int]:
    """``ticks`` as note values, longest first."""
    values = sorted((int(whole * factor * 4 * DIVISION) for whole in VALUES.values()
                     for factor in (Fraction(1), Fraction(3, 2), Fraction(7, 4))
                     if (whole * factor * 4 * DIVISION).denominator == 1), reverse=True)
    pieces = []
    while ticks > 0:
        value = next(v for v in values if v <= ticks)
        pieces.append(value)
        ticks -= value
    return pieces


def write_score(path: Path, staves: list[list[tuple]], time_signature: tuple[int, int] = (4, 4),
                measures: int | None = None, tempo_bpm: float = 100.0, sharps: int = 0,
                clefs: list[str] | None = None) -> Path:
    """An .mscx of ``staves``, each a list of (pitch, a list of pitches, or None for a rest; ticks) one after another
    from tick 0: split at barlines and into note values, tied; every staff as long as the longest, or
    ``measures`` bars, rests to the end; ``sharps`` the key signature (negative: flats), ``clefs`` each staff's
    (G, G8vb, F; default: F for the last of several staves, else G)."""
    bar = time_signature[0] * 4 * DIVISION // time_signature[1]
    length = max(sum(ticks for _, ticks in staff) for staff in staves)
    count = measures or max(1, -(-length // bar))
    score = ET.Element("museScore", version="3.01")
    body = ET.SubElement(score, "Score")
    ET.SubElement(body, "Division").text = str(DIVISION)
    for number in range(1, len(staves) + 1):
        part = ET.SubElement(body, "Part")
        staff = ET.SubElement(part, "Staff", id=str(number))
        ET.SubElement(ET.SubElement(staff, "StaffType", group="pitched"), "name").text = "stdNormal"
        clef = clefs[number - 1] if clefs else "F" if number == len(staves) and len(staves) > 1 else "G"
        if clef != "G":
            ET.SubElement(staff, "defaultClef").text = clef
        ET.SubElement(part, "trackName").text = f"Voice {number}"
        instrument = ET.SubElement(part, "Instrument")
        ET.SubElement(instrument, "longName").text = f"Voice {number}"
        ET.SubElement(ET.SubElement(instrument, "Channel"), "program", value="52")
    for number, events in enumerate(staves, start=1):
        staff = ET.SubElement(body, "Staff", id=str(number))
        by_measure: list[list[tuple]] = [[] for _ in range(count)]
        tick = 0
        back_hops: tuple[int, Fraction] = (0, Fraction(0))
        for pitches, ticks in events:
            pitches = [] if pitches is None else [pitches] if isinstance(pitches, int) else list(pitches)
            end = tick + ticks
            while tick < end:
                measure = tick // bar
                if measure >= count:
                    raise ValueError(f"staff {number} is longer than {count} bars")
                piece_end = min(end, (measure + 1) * bar)
                for value in _pieces(piece_end - tick):
                    # a tie's other end as MuseScore locates it: bars on, then the change of tick within a bar
                    hops = ((tick + value) // bar - measure,
                            Fraction((tick + value) % bar - tick % bar, 4 * DIVISION))
                    by_measure[measure].append((pitches, value, back_hops if tick > end - ticks else None,
                                                hops if tick + value < end else None))
                    back_hops = (-hops[0], -hops[1])
                    tick += value
        for index, content in enumerate(by_measure):
            voice = ET.SubElement(ET.SubElement(staff, "Measure"), "voice")
            if index == 0:
                if sharps:
                    ET.SubElement(ET.SubElement(voice, "KeySig"), "accidental").text = str(sharps)
                signature = ET.SubElement(voice, "TimeSig")
                ET.SubElement(signature, "sigN").text = str(time_signature[0])
                ET.SubElement(signature, "sigD").text = str(time_signature[1])
                if number == 1:
                    tempo = ET.SubElement(voice, "Tempo")
                    ET.SubElement(tempo, "tempo").text = f"{tempo_bpm / 60:.6f}"
                    ET.SubElement(tempo, "text").text = f"♩ = {tempo_bpm:g}"
            if not content:
                rest = ET.SubElement(voice, "Rest")
                ET.SubElement(rest, "durationType").text = "measure"
                ET.SubElement(rest, "duration").text = f"{time_signature[0]}/{time_signature[1]}"
            filled = sum(entry[1] for entry in content)
            content = content + [([], value, None, None) for value in _pieces(bar - filled)] if content else []
            for pitches, value, tied_back, tied_on in content:
                name, dots = _value_of(value)
                element = ET.SubElement(voice, "Chord" if pitches else "Rest")
                if dots:
                    ET.SubElement(element, "dots").text = str(dots)
                ET.SubElement(element, "durationType").text = name
                for pitch in pitches:
                    note = ET.SubElement(element, "Note")
                    if tied_on:
                        tie = ET.SubElement(note, "Spanner", type="Tie")
                        ET.SubElement(tie, "Tie")
                        _location(ET.SubElement(tie, "next"), tied_on)
                    if tied_back:
                        _location(ET.SubElement(ET.SubElement(note, "Spanner", type="Tie"), "prev"), tied_back)
                    ET.SubElement(note, "pitch").text = str(pitch)
    ET.indent(score)
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(score, encoding="unicode") + "\n")
    return path


@dataclass
class ReadScore:
    """What a saved score holds: each staff's notes (voice 1, ties joined), its chords, bars and meter."""

    staves: list[list[ScoreNote]]
    chords: list[int]                      # per staff: chords of more than one note
    measures: list[int]                    # per staff
    time_signatures: list[tuple[int, int]]  # per staff, the first
    other_voices: list[int]                # per staff: notes outside voice 1


def _location(parent: ET.Element, hops: tuple[int, Fraction]) -> None:
    location = ET.SubElement(parent, "location")
    if hops[0]:
        ET.SubElement(location, "measures").text = str(hops[0])
    if hops[1]:
        ET.SubElement(location, "fractions").text = str(hops[1])


def _duration(element: ET.Element, measure_ticks: int) -> int:
    kind = element.findtext("durationType")
    if kind == "measure":
        return int(Fraction(element.findtext("duration") or "0") * 4 * DIVISION) or measure_ticks
    dots = int(element.findtext("dots") or 0)
    factor = {0: Fraction(1), 1: Fraction(3, 2), 2: Fraction(7, 4), 3: Fraction(15, 8)}[dots]
    return int(VALUES[kind] * factor * 4 * DIVISION)


def read_score(path: Path) -> ReadScore:
    """The notes of every staff of an .mscx (ticks from the start), tied notes joined into one."""
    body = ET.parse(path).getroot().find("Score")
    assert body is not None, f"{path}: no Score"
    result = ReadScore([], [], [], [], [])
    for staff in body.findall("Staff"):
        notes: list[ScoreNote] = []
        open_ties: dict[int, int] = {}     # pitch -> index in notes of the note whose tie goes on
        signature, chords, others = None, 0, 0
        measure_tick, measures = 0, 0
        bar = 4 * DIVISION
        for measure in staff.findall("Measure"):
            measures += 1
            ticks_here = bar
            for number, voice in enumerate(measure.findall("voice")):
                tick = measure_tick
                for element in voice:
                    if element.tag == "TimeSig":
                        found = (int(element.findtext("sigN")), int(element.findtext("sigD")))
                        signature = signature or found
                        bar = found[0] * 4 * DIVISION // found[1]
                        ticks_here = bar
                    elif element.tag == "location":
                        tick += int(Fraction(element.findtext("fractions") or "0") * 4 * DIVISION)
                    elif element.tag in ("Chord", "Rest"):
                        length = _duration(element, ticks_here)
                        pitches = [(int(n.findtext("pitch")), n) for n in element.findall("Note")]
                        if number > 0:
                            others += len(pitches)
                        elif element.tag == "Chord":
                            chords += len(pitches) > 1
                            for pitch, note in pitches:
                                ties = note.findall("Spanner[@type='Tie']")
                                tied_back = any(t.find("prev") is not None for t in ties)
                                tied_on = any(t.find("next") is not None for t in ties)
                                if tied_back and pitch in open_ties:
                                    index = open_ties.pop(pitch)
                                    notes[index] = ScoreNote(pitch, notes[index].tick, notes[index].ticks + length)
                                else:
                                    index = len(notes)
                                    notes.append(ScoreNote(pitch, tick, length))
                                if tied_on:
                                    open_ties[pitch] = index
                        tick += length
            if measure.get("len"):
                ticks_here = int(Fraction(measure.get("len")) * 4 * DIVISION)
            measure_tick += ticks_here
        result.staves.append(notes)
        result.chords.append(chords)
        result.measures.append(measures)
        result.time_signatures.append(signature or (4, 4))
        result.other_voices.append(others)
    return result


@dataclass
class PluginRun:
    returncode: int
    output: str                 # mscore's stdout and stderr: the plugin prints there


def run_plugin(plugin: str, score: Path, env: dict[str, str], home: Path, timeout: float = 180) -> PluginRun:
    """``QT_QPA_PLATFORM=offscreen mscore3 -p PLUGIN score`` with ``env`` added and HOME at ``home`` (the
    plugin's settings file is read from there: the user's own is never used)."""
    full = {**_mscore_environment(home), "PYTHONPATH": str(ROOT), **env}
    for name in ("DJAI_LIVE_ACTION", "DJAI_LIVE_SAVE", "DJAI_LIVE_COMMAND"):
        if name not in env:
            full.pop(name, None)
    done = subprocess.run([shutil.which("mscore3") or "mscore3", "-p", str(PLUGINS / plugin), str(score)],
                          capture_output=True, text=True, timeout=timeout, env=full, cwd=home)
    return PluginRun(done.returncode, done.stdout + done.stderr)


def _mscore_environment(home: Path) -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(home), "XDG_RUNTIME_DIR": str(home)}


def export_score(score: Path, target: Path) -> list[Path]:
    """``mscore3 -o target score``: MuseScore's own reading of a saved score, written as ``target``'s format;
    the files made (a page-numbered file a page for .svg and .png, as mscore3 names them)."""
    done = subprocess.run([shutil.which("mscore3") or "mscore3", "-o", str(target), str(score)], capture_output=True,
                          text=True, timeout=120, env=_mscore_environment(target.parent), cwd=target.parent)
    made = sorted(target.parent.glob(f"{target.stem}-*{target.suffix}"),
                  key=lambda page: int(page.stem.rsplit("-", 1)[1])) or [target] * target.exists()
    assert done.returncode == 0 and made, f"mscore3 -o {target} {score} failed:\n{done.stdout}{done.stderr}"
    return made


_POINT = re.compile(r"(-?[\d.]+),(-?[\d.]+)")


def key_signature_glyphs(pages: list[Path], staves: int) -> list[list[int]]:
    """Per system, per staff (top to bottom): how many key signature accidentals MuseScore drew on that staff, read
    from its SVG rendering (each drawn element carries its kind as its class; a staff is its five lines)."""
    systems = []
    for page in pages:
        text = page.read_text()
        heights = sorted({float(found.group(1)) for found in
                          re.finditer(r'class="StaffLines"[^>]*points="[-\d.]+,([-\d.]+)', text)})
        assert len(heights) % (5 * staves) == 0, f"{page}: staff lines do not make systems of {staves} staves"
        drawn = [heights[first:first + 5] for first in range(0, len(heights), 5)]
        accidentals = []
        for found in re.finditer(r'class="KeySig" d="([^"]*)"', text):
            ys = [float(y) for _, y in _POINT.findall(found.group(1))]
            accidentals.append((min(ys) + max(ys)) / 2)
        counts = []
        for lines in drawn:
            margin = 2 * (lines[1] - lines[0])        # an accidental of the key sits within two spaces of it
            counts.append(sum(lines[0] - margin <= y <= lines[-1] + margin for y in accidentals))
        systems += [counts[first:first + staves] for first in range(0, len(counts), staves)]
    return systems


def recording_command(folder: Path) -> str:
    """A DJAI_LIVE_COMMAND that runs the real djai-live and keeps a copy of what the plugin sent and got back."""
    return f"{sys.executable} -m tests.support.record_djai_live {folder}"


def melody_events(path: Path) -> list[tuple]:
    """A corpus file's first track as (pitch or None, ticks) events: its notes and the rests between them."""
    notes = read_midi_notes(path).tracks[0].notes
    events, tick = [], 0
    for note in notes:
        onset, length = round(note["onset"] * DIVISION), round(note["duration"] * DIVISION)
        if onset > tick:
            events.append((None, onset - tick))
        events.append((int(note["pitch"]), length))
        tick = onset + length
    return events
