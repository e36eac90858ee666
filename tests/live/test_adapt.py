"""`/djai/adapt`: a fine-tune on the takes in a background process, swapped in between answers; and the one
clear line for each reason it cannot start."""
import importlib.util
import shutil
import time

import pytest

from djai_live.live.adapt import ADAPTED_FOLDER, AdaptError, Adapter
from djai_live.model_files import resolve_model_path
from tests.support.osc import OscPeer, free_udp_port, running_daemon


def adapter_for(folder) -> Adapter:
    return Adapter(folder, lambda: resolve_model_path("default"), lambda fraction: None, lambda path: None,
                   lambda reason: None)


def test_an_adaptation_that_cannot_start_says_why(tmp_path, monkeypatch, corpus_dir):
    with pytest.raises(AdaptError, match="no takes in .* yet: play first"):
        adapter_for(tmp_path).start(60)
    (tmp_path / ADAPTED_FOLDER).mkdir()
    shutil.copy(next((corpus_dir / "bach").glob("*.mid")), tmp_path / ADAPTED_FOLDER / "not a take.mid")
    with pytest.raises(AdaptError, match="no takes"):   # what an adaptation made is not a take
        adapter_for(tmp_path).start(60)
    shutil.copy(next((corpus_dir / "bach").glob("*.mid")), tmp_path / "take-1.mid")
    with pytest.raises(AdaptError, match="seconds must be 10-3600, got 5"):
        adapter_for(tmp_path).start(5)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "tensorflow" else real_find_spec(name, *args))
    with pytest.raises(AdaptError, match=r"needs TensorFlow: pip install 'djai-live\[train\]'"):
        adapter_for(tmp_path).start(60)


def test_adapting_on_takes_swaps_the_model_in_and_no_answer_is_lost(tmp_path, corpus_dir):
    takes = tmp_path / "takes"
    takes.mkdir()
    for path in sorted((corpus_dir / "essen").glob("*.mid")):
        shutil.copy(path, takes / f"take-{path.stem}.mid")
    reply_port = free_udp_port()
    with running_daemon("--record", str(takes), "--mode", "manual", "--length", "4", reply_port=reply_port) \
            as (_, port):
        host = OscPeer(port, listen_port=reply_port)
        try:
            for pitch in (60, 62, 64, 65, 67, 69, 71, 72):
                host.send("/djai/note", pitch, 90)
                host.send("/djai/note", pitch, 0)
            host.send("/djai/adapt", 15)
            [(_, _, started)] = host.wait_for("/djai/adapt", 1)
            assert started[0] == "started" and started[1] == 15.0 and started[2].endswith(".keras")
            asked, deadline = 0, time.monotonic() + 150
            while not host.messages("/djai/loaded") and time.monotonic() < deadline:
                host.send("/djai/generate")   # a performer asking for answers all the while
                asked += 1
                time.sleep(0.5)
            [(_, _, [name])] = host.wait_for("/djai/loaded", 1, timeout=5)
            host.send("/djai/generate")
            asked += 1
            host.wait_for("/djai/phrase", asked, timeout=10)
            status = host.wait_for_status(lambda values: values.get("model") == name)
        finally:
            host.close()
    said = [args for _, _, args in host.messages("/djai/adapt")]
    assert [args[0] for args in said][:2] == ["started", "progress"] and said[-1] == ["done", started[2]]
    assert all(0.0 < args[1] < 1.0 for args in said if args[0] == "progress")
    assert name == started[2].rsplit("/", 1)[1].removesuffix(".keras") and status["adapting"] == 0
    assert len(host.messages("/djai/phrase")) == asked   # every request answered, through the swap
    assert not host.messages("/djai/error")
