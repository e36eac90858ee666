import logging

import numpy as np
import pytest

from djai_live.corpus import MidiReadError, load_corpus, read_midi_notes, scan_midi_files
from tests.conftest import write_bad_midi_files


def test_scan_is_recursive_sorted_and_case_insensitive(tmp_path):
    (tmp_path / "b" / "deep").mkdir(parents=True)
    for name in ("z.mid", "a.MID", "b/deep/c.midi", "b/d.MiDi", "notes.txt", "e.mid.bak"):
        (tmp_path / name).write_bytes(b"x")
    found = scan_midi_files(tmp_path)
    assert found == sorted(found)
    assert {p.split("/")[-1] for p in found} == {"z.mid", "a.MID", "c.midi", "d.MiDi"}
    assert len(scan_midi_files(tmp_path, max_files=2)) == 2


def test_scan_names_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        scan_midi_files(tmp_path / "nope")


def test_chorale_has_four_monophonic_voices_in_beats(chorale):
    piece = read_midi_notes(chorale)
    assert len(piece.tracks) >= 4
    for track in piece.tracks:
        notes = track.notes
        assert np.all(np.diff(notes["onset"]) >= 0)
        assert np.all((notes["pitch"] >= 0) & (notes["pitch"] < 128))
        assert np.all(notes["duration"] > 0)
        assert np.all(notes["instrument"] == track.index)
    # times are in beats: chorale onsets land on the sixteenth-note grid, not on seconds
    onsets = np.concatenate([t.notes["onset"] for t in piece.tracks])
    assert np.allclose(onsets * 4, np.round(onsets * 4), atol=1e-6)
    assert not np.allclose(onsets * 4, np.round(onsets * 2) * 2, atol=1e-6)


def test_polyphonic_piano_tracks_are_sorted_by_onset_then_pitch(piano_file):
    piece = read_midi_notes(piano_file)
    notes = piece.tracks[0].notes
    order = np.lexsort((notes["pitch"], notes["onset"]))
    assert np.array_equal(order, np.arange(len(notes)))
    merged = piece.merged_notes(num_instruments=2)
    assert len(merged) == piece.note_count
    assert set(np.unique(merged["instrument"])) == {0, 1}


@pytest.mark.parametrize("kind, reason", [
    ("random", "not a readable MIDI file"),
    ("truncated", "not a readable MIDI file (the file ends in the middle of a track"),
    ("empty", "empty file"),
    ("text", "not a readable MIDI file"),
    ("header_only", "no notes"),
])
def test_each_kind_of_broken_file_gets_a_reason(tmp_path, kind, reason):
    path = write_bad_midi_files(tmp_path)[kind]
    with pytest.raises(MidiReadError) as caught:
        read_midi_notes(path)
    assert reason in caught.value.reason
    assert str(path) in str(caught.value)


def test_load_corpus_skips_bad_files_and_reports_each(tmp_path, corpus_dir, caplog):
    bad = write_bad_midi_files(tmp_path / "mixed")
    good = scan_midi_files(corpus_dir / "essen")
    corpus = load_corpus(sorted(map(str, bad.values())) + good, cache_dir=None)
    assert len(corpus.pieces) == len(good)
    assert {path for path, _ in corpus.skipped} == {str(p) for p in bad.values()}
    with caplog.at_level(logging.WARNING):
        corpus.report_skipped()
    for path in bad.values():
        assert str(path) in caplog.text
    assert f"skipped {len(bad)} of {len(bad) + len(good)} files" in caplog.text


def test_cached_reads_parse_once_and_keep_the_given_paths(tmp_path, chorale, monkeypatch):
    cache = tmp_path / "cache"
    first = load_corpus([str(chorale)], cache_dir=cache)

    def fail(*args, **kwargs):
        raise AssertionError("parsed again despite the cache")

    monkeypatch.setattr("djai_live.midi_files.read_midi_notes", fail)
    copy = tmp_path / "renamed.mid"
    copy.write_bytes(chorale.read_bytes())
    second = load_corpus([str(copy)], cache_dir=cache)
    assert second.pieces[0].path == str(copy)
    for a, b in zip(first.pieces[0].tracks, second.pieces[0].tracks):
        assert np.array_equal(a.notes, b.notes) and a.name == b.name and a.program == b.program


def test_damaged_cache_shard_is_rebuilt(tmp_path, chorale, caplog):
    cache = tmp_path / "cache"
    expected = load_corpus([str(chorale)], cache_dir=cache).note_count
    shard = next(cache.rglob("shard-*.npz"))
    shard.write_bytes(b"garbage")
    with caplog.at_level(logging.WARNING):
        assert load_corpus([str(chorale)], cache_dir=cache).note_count == expected > 0
    assert "unreadable shard" in caplog.text


def test_pool_and_serial_reads_agree(corpus_dir):
    files = scan_midi_files(corpus_dir)
    serial = load_corpus(files, cache_dir=None, workers=1)
    pooled = load_corpus(files, cache_dir=None, workers=2)
    assert [p.path for p in serial.pieces] == [p.path for p in pooled.pieces]
    assert serial.note_count == pooled.note_count > 0
