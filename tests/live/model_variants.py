"""A second model whose answers are recognisable, made without TensorFlow: a copy of a model file whose
pitch head favours one register. A swap to it shows in the very notes of the next answer."""
from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import h5py
import numpy as np


def _pitch_bias_group(config: dict) -> str:
    """The weights group of the 'pitch_logits' Dense layer (Keras numbers groups by class, in order)."""
    dense = [layer["config"]["name"] for layer in config["config"]["layers"] if layer["class_name"] == "Dense"]
    index = dense.index("pitch_logits")
    return "dense" if index == 0 else f"dense_{index}"


def write_register_model(source: Path, target: Path, low: int, high: int, boost: float = 30.0) -> Path:
    """Copy ``source`` to ``target`` (atomically) with the pitch logits of ``low..high`` raised by ``boost``."""
    with zipfile.ZipFile(source) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    group = _pitch_bias_group(json.loads(entries["config.json"]))
    buffer = io.BytesIO(entries["model.weights.h5"])
    with h5py.File(buffer, "r+") as weights:
        bias = weights["layers"][group]["vars"]["1"]
        values = np.array(bias)
        values[low:high + 1] += boost
        bias[...] = values
    entries["model.weights.h5"] = buffer.getvalue()
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".partial")
    os.close(handle)
    with zipfile.ZipFile(temporary, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    os.replace(temporary, target)
    return target
