import mido
import numpy as np
import pytest

from djai_live.corpus import read_midi_notes, scan_midi_files
from djai_live.scales import SCALES, Scale, ScaleError, estimate_key, parse_root


def test_named_scales_rotate_to_their_root():
    d_dorian = Scale.named("dorian", "D")
    assert d_dorian.pitch_classes == {2, 4, 5, 7, 9, 11, 0}
    assert Scale.named("minor", 9).pitch_classes == Scale.named("major", "C").pitch_classes
    assert Scale.named("aeolian", "A") == Scale.named("minor", "A")
    mask = Scale.named("major_pentatonic", "C").mask()
    assert mask.sum() == sum(1 for p in range(128) if p % 12 in (0, 2, 4, 7, 9))
    assert all(len(steps) == len(set(steps)) and steps[0] == 0 for steps in SCALES.values())


@pytest.mark.parametrize("value, pc", [("C", 0), ("c#", 1), ("Db", 1), ("Bb", 10), ("B", 11), (62, 2),
                                        (2.0, 2), ("7", 7)])
def test_roots_from_names_and_numbers(value, pc):
    assert parse_root(value) == pc


@pytest.mark.parametrize("call, message", [
    (lambda: Scale.named("lydian_dominant"), "unknown scale"),
    (lambda: Scale.named("major", "H"), "unknown root"),
    (lambda: Scale.named("major", 2.5), "whole number"),
    (lambda: Scale.custom([0, 4, 12]), "pitch classes 0-11"),
    (lambda: Scale.custom([]), "at least one"),
    (lambda: estimate_key([]), "no notes"),
])
def test_bad_scales_are_named(call, message):
    with pytest.raises(ScaleError, match=message):
        call()


def test_key_of_a_plain_scale_and_arpeggio():
    notes = [62, 64, 66, 67, 69, 71, 73, 74, 69, 66, 62]  # D major, ending on D
    scale, _ = estimate_key(notes, onsets=np.arange(len(notes)))
    assert (scale.root, scale.name) == (2, "major")
    a_minor = [69, 71, 72, 74, 76, 77, 80, 81, 76, 72, 69]
    scale, _ = estimate_key(a_minor, onsets=np.arange(len(a_minor)))
    assert (scale.root, scale.name) == (9, "minor")


def written_key(path) -> tuple[int, str]:
    key = next(m.key for t in mido.MidiFile(path).tracks for m in t if m.type == "key_signature")
    minor = key.endswith("m")
    return parse_root(key[:-1] if minor else key), "minor" if minor else "major"


def test_key_auto_finds_the_key_of_held_out_chorales(data_dir):
    files = scan_midi_files(data_dir / "keys")
    assert len(files) == 30
    found = 0
    for path in files:
        notes = np.concatenate([track.notes for track in read_midi_notes(path).tracks])
        scale, _ = estimate_key(notes["pitch"], notes["duration"], notes["onset"])
        found += (scale.root, scale.name) == written_key(path)
    assert found / len(files) >= 0.8, f"{found} of {len(files)}"
