"""Distributed training through the command line, as a cluster runs it: mirrored over two logical CPU
devices, and multi-worker with two worker processes on loopback. Each run must give a model that loads
and generates."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from djai_live.distribute import DistributeError, make_strategy

TINY = ["--units", "16", "--layers", "1", "--epochs", "2", "--sequence-length-i", "16", "--batch-size", "16"]


def free_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, corpus_dir):
    target = tmp_path_factory.mktemp("distribute") / "prepared"
    result = subprocess.run([sys.executable, "-m", "djai_live.cli", "prepare", str(corpus_dir), "-o", str(target)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return target


def start_training(prepared, output, *extra, env=None):
    return subprocess.Popen([sys.executable, "-m", "djai_live.cli", "train", str(prepared), "-o", str(output),
                             *TINY, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def assert_generates(model_path, chorale):
    from djai_live.corpus import read_midi_notes
    from djai_live.generation import Generator

    generator = Generator.from_file(model_path)
    notes = generator.continue_notes(read_midi_notes(chorale).tracks[0].notes, 8, seed=0)
    assert len(notes) == 8


def test_mirrored_over_two_logical_cpus(tmp_path, prepared, chorale):
    run = start_training(prepared, tmp_path / "mirrored.keras", "--distribute", "mirrored", "--cpu-devices", "2")
    stdout, stderr = run.communicate(timeout=300)
    assert run.returncode == 0, stderr[-3000:]
    assert "distributed over 2 replicas (mirrored)" in stderr
    assert_generates(tmp_path / "mirrored.keras", chorale)


def test_multi_worker_with_two_processes_on_loopback(tmp_path, prepared, chorale):
    ports = [free_tcp_port(), free_tcp_port()]
    workers = []
    for index in range(2):
        tf_config = {"cluster": {"worker": [f"localhost:{port}" for port in ports]},
                     "task": {"type": "worker", "index": index}}
        workers.append(start_training(prepared, tmp_path / "cluster.keras", "--distribute", "multi-worker",
                                      env={"TF_CONFIG": json.dumps(tf_config)}))
    outputs = [worker.communicate(timeout=300) for worker in workers]
    for worker, (_, stderr) in zip(workers, outputs):
        assert worker.returncode == 0, stderr[-3000:]
        assert "distributed over 2 replicas (multi-worker)" in stderr
    chief_model = tmp_path / "cluster.keras"
    assert f"wrote {chief_model}" in outputs[0][0]
    assert (tmp_path / "cluster.training.png").exists()
    other_model = re.search(r"wrote (\S+\.keras)", outputs[1][0]).group(1)
    assert other_model != str(chief_model)  # the second worker never writes over the chief's file
    assert_generates(chief_model, chorale)

    from djai_live.model_files import StoredModel

    try:
        chief, other = StoredModel(chief_model), StoredModel(other_model)
        assert chief._layers.keys() == other._layers.keys()
        for name in chief._layers:  # gradients were all-reduced: both workers hold the same model
            for ours, theirs in zip(chief.get_layer(name).get_weights(), other.get_layer(name).get_weights()):
                np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    finally:  # the second worker's scratch folder (it says where it wrote) is this test's to remove
        shutil.rmtree(Path(other_model).parent, ignore_errors=True)


@pytest.mark.parametrize("tf_config, message", [
    ("", "needs TF_CONFIG"),
    ("{not json", "not a usable cluster description"),
    ('{"cluster": {"worker": ["localhost:1"]}, "task": {"type": "worker", "index": 3}}', "index 3 is outside"),
])
def test_multi_worker_settings_are_checked_before_anything_starts(monkeypatch, tf_config, message):
    monkeypatch.setenv("TF_CONFIG", tf_config)
    with pytest.raises(DistributeError, match=message):
        make_strategy("multi-worker")
