import os
import stat

import pytest

from djai_live.files import atomic_path


def test_a_failed_write_leaves_the_old_file_and_no_debris(tmp_path):
    target = tmp_path / "model.keras"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            temporary.write_text("half")
            raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_a_finished_write_replaces_the_file_with_normal_permissions(tmp_path):
    target = tmp_path / "out.mid"
    previous = os.umask(0o022)
    try:
        with atomic_path(target) as temporary:
            temporary.write_text("new")
    finally:
        os.umask(previous)
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
