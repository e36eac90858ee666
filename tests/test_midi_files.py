"""Parsing many files: a pool only when the work pays for starting one."""
import djai_live.midi_files as midi_files
from djai_live.midi_files import POOL_MIN_BYTES, POOL_MIN_FILES, reading_workers


def test_small_work_is_parsed_serially_and_large_work_in_a_pool(tmp_path, monkeypatch):
    monkeypatch.setattr(midi_files.os, "cpu_count", lambda: 4)
    few_small = []
    for i in range(POOL_MIN_FILES):
        path = tmp_path / f"small{i}.mid"
        path.write_bytes(b"x" * 100)
        few_small.append(str(path))
    assert reading_workers(few_small) == 1  # enough files, too few bytes
    big = tmp_path / "big.mid"
    big.write_bytes(b"x" * POOL_MIN_BYTES)
    assert reading_workers([str(big)]) == 1  # enough bytes, one file: nothing to share out
    assert reading_workers(few_small + [str(big)]) == 4
    assert reading_workers(few_small + [str(big), str(tmp_path / "missing.mid")]) == 4  # a missing file is read later
    monkeypatch.setattr(midi_files.os, "cpu_count", lambda: 1)
    assert reading_workers(few_small + [str(big)]) == 1
