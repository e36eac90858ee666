"""New empty staves at the bottom of a MuseScore score (.mscx), for the MuseScore plugin's "Harmonize selection"
when the model has more voices than the score has staves below the melody.

MuseScore 3.2's plugin API cannot add a part to an open score (``Score.appendPart`` came with 3.5), but it can
save the score (``writeScore``) and open a file (``readScore``): the plugin saves a copy, this adds the staves to
it, and the plugin opens the result and writes the voices there with its cursor as it does into staves the user
made. Each new staff takes the bars of a given staff (their lengths, pickups included, key and time signatures,
repeats), a clef and a name, and holds one full-bar rest a bar; nothing else in the score is changed.
"""
from __future__ import annotations

import copy
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from .files import atomic_path

CLEFS = ("G", "G8vb", "F", "C3", "C4")   # MuseScore's names: treble, tenor's treble an octave down, bass, alto, tenor
CHOIR_AAHS = 52                          # General MIDI program (0-based) the new parts sound with
# A bar's children that belong to the bar on every staff (MuseScore writes them into each staff's measure).
MEASURE_LEVEL = ("startRepeat", "endRepeat", "irregular", "breakMultiMeasureRest", "noOffset", "measureNumberMode")
# What a new staff keeps of a bar's first voice: the key and the meter (a clef change is the old staff's).
KEPT_IN_VOICE = ("KeySig", "TimeSig")


class ScoreFileError(ValueError):
    """A .mscx that cannot be read, or is not the score it should be; the message names the file."""


@dataclass(frozen=True)
class NewStaff:
    name: str
    clef: str = "G"

    @classmethod
    def parse(cls, text: str) -> NewStaff:
        """``NAME`` or ``NAME:CLEF`` (CLEF one of :data:`CLEFS`)."""
        name, _, clef = text.rpartition(":") if ":" in text else (text, "", "G")
        name = name.strip()
        if not name:
            raise ValueError(f"a staff needs a name: {text!r} (NAME or NAME:CLEF)")
        if clef not in CLEFS:
            raise ValueError(f"unknown clef {clef!r} in {text!r}: one of {', '.join(CLEFS)}")
        return cls(name, clef)


def add_staves(source: str | os.PathLike, target: str | os.PathLike, staves: list[NewStaff], like: int) -> int:
    """Write ``source`` with ``staves`` added below its last staff to ``target`` (atomically), each new staff
    with the bars of staff ``like`` (1-based). Returns how many staves the score has now.

    Raises:
        ScoreFileError: ``source`` is not a MuseScore 3 score, or has no staff ``like``.
    """
    if not staves:
        raise ValueError("no staff to add")
    try:
        tree = ET.parse(source)
    except (ET.ParseError, OSError) as error:
        raise ScoreFileError(f"{source}: not a readable MuseScore file ({error})") from error
    score = tree.getroot().find("Score")
    if tree.getroot().tag != "museScore" or score is None:
        raise ScoreFileError(f"{source}: not a MuseScore score (no museScore/Score element)")
    parts = score.findall("Part")
    music = score.findall("Staff")
    if not parts or not music:
        raise ScoreFileError(f"{source}: the score has no staff")
    if not 1 <= like <= len(music):
        raise ScoreFileError(f"{source}: there is no staff {like} (the score has {len(music)})")
    model = music[like - 1]
    if not model.findall("Measure"):
        raise ScoreFileError(f"{source}: staff {like} has no bars")
    part_at = list(score).index(parts[-1]) + 1
    for offset, staff in enumerate(staves):
        score.insert(part_at + offset, _part(staff, len(music) + offset + 1))
    for offset in range(len(staves)):
        score.append(_staff_like(model, len(music) + offset + 1))
    ET.indent(tree, space="  ")
    with atomic_path(target) as path:
        tree.write(path, encoding="UTF-8", xml_declaration=True)
    return len(music) + len(staves)


def _part(staff: NewStaff, number: int) -> ET.Element:
    part = ET.Element("Part")
    described = ET.SubElement(part, "Staff", id=str(number))
    ET.SubElement(ET.SubElement(described, "StaffType", group="pitched"), "name").text = "stdNormal"
    if staff.clef != "G":
        ET.SubElement(described, "defaultClef").text = staff.clef
    ET.SubElement(part, "trackName").text = staff.name
    instrument = ET.SubElement(part, "Instrument")
    ET.SubElement(instrument, "longName").text = staff.name
    ET.SubElement(instrument, "trackName").text = staff.name
    if staff.clef != "G":
        ET.SubElement(instrument, "clef").text = staff.clef
    ET.SubElement(ET.SubElement(instrument, "Channel"), "program", value=str(CHOIR_AAHS))
    return part


def _staff_like(model: ET.Element, number: int) -> ET.Element:
    """A staff with ``model``'s bars, key and meter, a full-bar rest in each."""
    staff = ET.Element("Staff", id=str(number))
    meter = "4/4"
    for bar in model.findall("Measure"):
        measure = ET.SubElement(staff, "Measure", dict(bar.attrib))
        for child in bar:
            if child.tag in MEASURE_LEVEL:
                measure.append(copy.deepcopy(child))
        voice = ET.SubElement(measure, "voice")
        first = bar.find("voice")
        for element in (first if first is not None else []):
            if element.tag in KEPT_IN_VOICE:
                voice.append(copy.deepcopy(element))
                if element.tag == "TimeSig":
                    meter = _time_signature(element, meter)
        rest = ET.SubElement(voice, "Rest")
        ET.SubElement(rest, "durationType").text = "measure"
        ET.SubElement(rest, "duration").text = bar.get("len") or meter   # a pickup's own length, else the meter's
    return staff


def _time_signature(element: ET.Element, current: str) -> str:
    """"N/D" of a TimeSig element (as MuseScore writes a bar's length: 6/8 stays 6/8), else ``current``."""
    numerator, denominator = (element.findtext("sigN") or "").strip(), (element.findtext("sigD") or "").strip()
    return f"{numerator}/{denominator}" if numerator.isdigit() and denominator.isdigit() else current
