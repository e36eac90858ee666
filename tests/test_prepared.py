import json
import os
import shutil

import numpy as np
import pytest

import djai_live.midi_files as midi_files_module
import djai_live.prepared as prepared_module
from djai_live.corpus import read_midi_notes, scan_midi_files
from djai_live.prepared import MANIFEST, PreparedCorpus, PreparedCorpusError
from tests.conftest import write_bad_midi_files


@pytest.fixture
def midi_dir(tmp_path, corpus_dir):
    folder = tmp_path / "midi"
    shutil.copytree(corpus_dir, folder)
    return folder


@pytest.fixture
def parse_counter(monkeypatch):
    """Counts the files really parsed. Parsing is made serial, so that the count (and any stand-in parser a
    test installs) lives in this process rather than in pool workers."""
    monkeypatch.setattr("djai_live.midi_files.reading_workers", lambda files: 1)
    parsed = []
    original = read_midi_notes

    def counting(path, include_drums=False):
        parsed.append(str(path))
        return original(path, include_drums)

    monkeypatch.setattr("djai_live.midi_files.read_midi_notes", counting)
    return parsed


def test_prepared_notes_equal_a_direct_read(tmp_path, midi_dir):
    files = scan_midi_files(midi_dir)
    store = PreparedCorpus(tmp_path / "store")
    report = store.update(files)
    assert report.parsed == len(files) and not report.skipped
    pieces = {piece.path: piece for piece in store.pieces(files)}
    assert sorted(pieces) == files
    for path in files:
        direct = read_midi_notes(path)
        assert [t.name for t in pieces[path].tracks] == [t.name for t in direct.tracks]
        for ours, theirs in zip(pieces[path].tracks, direct.tracks):
            assert np.array_equal(ours.notes, theirs.notes) and ours.program == theirs.program


def test_adding_files_parses_only_the_new_ones(tmp_path, midi_dir, parse_counter):
    files = scan_midi_files(midi_dir)
    store_dir = tmp_path / "store"
    PreparedCorpus(store_dir).update(files[:-3])
    parse_counter.clear()
    report = PreparedCorpus(store_dir).update(files)
    assert sorted(parse_counter) == sorted(files[-3:])
    assert (report.parsed, report.reused) == (3, len(files) - 3)
    assert PreparedCorpus(store_dir).usable_files == sorted(files)


def test_touched_renamed_or_copied_files_are_not_parsed_again(tmp_path, midi_dir, parse_counter):
    files = scan_midi_files(midi_dir)
    store = PreparedCorpus(tmp_path / "store")
    store.update(files)
    parse_counter.clear()
    moved = midi_dir / "moved.mid"
    shutil.copy(files[0], moved)
    for path in files[1:3]:
        stat = os.stat(path)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # same bytes, new modification time
    report = store.update(files + [str(moved)])
    assert parse_counter == []
    assert report.reused == len(files) + 1
    assert [t.notes.tolist() for t in next(store.pieces([str(moved)])).tracks] == \
        [t.notes.tolist() for t in next(store.pieces([files[0]])).tracks]


def test_a_file_edited_in_place_is_parsed_again_and_read_back_new(tmp_path, midi_dir, parse_counter):
    """Same path, new content: replaced by another file (a new size), or a note moved a semitone by an
    editor (the same size, a new modification time): the store reads back the new notes."""
    files = scan_midi_files(midi_dir)
    store = PreparedCorpus(tmp_path / "store")
    store.update(files)
    replaced, nudged = files[0], files[1]
    donor = next(path for path in files[2:] if os.path.getsize(path) != os.path.getsize(replaced))
    shutil.copyfile(donor, replaced)
    before = [t.notes.tolist() for t in read_midi_notes(nudged).tracks]
    first = read_midi_notes(nudged).tracks[0].notes[0]
    data = bytearray(open(nudged, "rb").read())
    where = min(i for i in (data.find(bytes([0x90 | channel, int(first["pitch"])])) for channel in range(16)) if i > 0)
    data[where + 1] += 1                                    # a note a semitone higher, same size
    stat = os.stat(nudged)
    open(nudged, "wb").write(data)
    os.utime(nudged, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert os.path.getsize(nudged) == stat.st_size
    parse_counter.clear()
    report = store.update(files)
    assert parse_counter == [nudged] and report.parsed == 1  # the replaced one has a known file's bytes
    for path in (replaced, nudged):
        assert [t.notes.tolist() for t in next(store.pieces([path])).tracks] == \
            [t.notes.tolist() for t in read_midi_notes(path).tracks]
    assert [t.notes.tolist() for t in next(store.pieces([nudged])).tracks] != before


def test_bad_files_are_kept_with_their_reason_and_reported_every_time(tmp_path, midi_dir, parse_counter):
    bad = write_bad_midi_files(midi_dir / "bad")
    files = scan_midi_files(midi_dir)
    store = PreparedCorpus(tmp_path / "store")
    first = store.update(files)
    assert {path for path, _ in first.skipped} == {str(p) for p in bad.values()}
    parse_counter.clear()
    second = PreparedCorpus(tmp_path / "store").update(files)
    assert parse_counter == []
    assert second.skipped == first.skipped
    assert all(reason for _, reason in second.skipped)


def test_prune_forgets_removed_files_and_their_shards(tmp_path, midi_dir, monkeypatch):
    monkeypatch.setattr(prepared_module, "SHARD_NOTES", 1)  # one shard per file
    files = scan_midi_files(midi_dir)
    store = PreparedCorpus(tmp_path / "store")
    store.update(files)
    assert len(list(store.directory.glob("shard-*.npz"))) == len(files)
    report = store.update(files[2:], prune=True)
    assert report.removed == 2
    assert store.usable_files == files[2:]
    assert len(list(store.directory.glob("shard-*.npz"))) == len(files) - 2


def test_an_interrupted_prepare_keeps_every_finished_shard(tmp_path, midi_dir, monkeypatch, parse_counter):
    monkeypatch.setattr(prepared_module, "SHARD_NOTES", 1)
    files = scan_midi_files(midi_dir)
    original = midi_files_module._read_or_reason

    def interrupt_on_fourth(job):
        if len(parse_counter) == 3:
            raise KeyboardInterrupt
        return original(job)

    monkeypatch.setattr(midi_files_module, "_read_or_reason", interrupt_on_fourth)
    with pytest.raises(KeyboardInterrupt):
        PreparedCorpus(tmp_path / "store").update(files)
    kept = PreparedCorpus(tmp_path / "store")
    assert kept.usable_files == files[:3]
    monkeypatch.setattr(midi_files_module, "_read_or_reason", original)
    parse_counter.clear()
    kept.update(files)
    assert parse_counter == files[3:]
    assert not list(kept.directory.glob(".*tmp*"))


def test_a_damaged_manifest_means_preparing_again_not_a_crash(tmp_path, midi_dir, caplog):
    files = scan_midi_files(midi_dir)
    store = PreparedCorpus(tmp_path / "store")
    store.update(files)
    (store.directory / MANIFEST).write_text("{not json")
    again = PreparedCorpus(tmp_path / "store")
    assert again.files == {}
    assert "damaged" in caplog.text
    again.update(files)
    assert again.usable_files == files


def test_a_damaged_shard_is_named_with_what_to_do(tmp_path, midi_dir):
    files = scan_midi_files(midi_dir)
    store = PreparedCorpus(tmp_path / "store")
    store.update(files)
    shard = next(store.directory.glob("shard-*.npz"))
    shard.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(PreparedCorpusError, match=f"{shard.name}.*prepare"):
        list(store.pieces(files))


def test_drum_settings_are_not_mixed(tmp_path, midi_dir):
    PreparedCorpus(tmp_path / "store").update(scan_midi_files(midi_dir))
    with pytest.raises(PreparedCorpusError, match="include_drums"):
        PreparedCorpus(tmp_path / "store", include_drums=True)
    assert PreparedCorpus.open_existing(tmp_path / "store").include_drums is False
    with pytest.raises(PreparedCorpusError, match="not a prepared corpus"):
        PreparedCorpus.open_existing(tmp_path)


def test_manifest_records_hashes_and_track_lengths(tmp_path, midi_dir):
    files = scan_midi_files(midi_dir)
    store = PreparedCorpus(tmp_path / "store")
    store.update(files)
    manifest = json.loads((store.directory / MANIFEST).read_text())
    entry = manifest["files"][files[0]]
    assert len(entry["sha256"]) == 64
    assert sum(entry["track_lengths"]) == read_midi_notes(files[0]).note_count


def test_identical_new_files_are_parsed_once_and_read_back_once_each(tmp_path, midi_dir, parse_counter):
    from djai_live.config import DjaiConfig
    from djai_live.streaming import WindowStream

    files = scan_midi_files(midi_dir)
    twin = midi_dir / "twin_of_first.mid"
    shutil.copy(files[0], twin)
    everything = sorted(files + [str(twin)])
    store = PreparedCorpus(tmp_path / "store")
    report = store.update(everything)
    assert len(parse_counter) == len(files) and report.reused == 1
    pieces = {piece.path: piece for piece in store.pieces(everything)}
    assert pieces[str(twin)].note_count == pieces[files[0]].note_count == read_midi_notes(files[0]).note_count
    stream = WindowStream(store, everything, DjaiConfig(sequence_length_i=8), shuffle=False)
    assert sum(len(chunk[0]) for chunk in stream.chunks()) == len(stream)  # the count the dataset asserts
