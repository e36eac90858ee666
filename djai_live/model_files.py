"""Model files without TensorFlow: where they are, their config, and their weights read with h5py.

A ``.keras`` file is a zip of ``config.json`` (the Keras model), ``model.weights.h5`` and our
``djai_config.json``. :class:`StoredModel` reads the weights and answers ``get_layer(name).get_weights()``
like a Keras model does, which is all the NumPy runtime needs: the daemon and ``generate`` start in well
under a second instead of importing TensorFlow.
"""
from __future__ import annotations

import io
import json
import os
import re
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np

from .config import DjaiConfig

CONFIG_ENTRY = "djai_config.json"
DEFAULT_MODEL = "default"


class ModelFileError(Exception):
    """A model file that is missing, damaged or not a djai_live model."""


BUNDLED_SUFFIX = "_model.keras"


def bundled_folder() -> Path:
    return Path(str(resources.files("djai_live") / "data"))


def default_model_path() -> Path:
    return bundled_folder() / f"{DEFAULT_MODEL}{BUNDLED_SUFFIX}"


def bundled_models() -> list[str]:
    """The names of the models shipped with the package (``data/NAME_model.keras``), 'default' first."""
    names = sorted(path.name[:-len(BUNDLED_SUFFIX)] for path in bundled_folder().glob(f"*{BUNDLED_SUFFIX}"))
    return sorted(names, key=lambda name: name != DEFAULT_MODEL)


def resolve_model_path(model: str | os.PathLike | None) -> Path:
    """``None`` or a bundled model's name ('default', ...) name the bundled file; anything else is a path."""
    if model is None or str(model) == DEFAULT_MODEL:
        return default_model_path()
    if isinstance(model, str) and model in bundled_models():
        return bundled_folder() / f"{model}{BUNDLED_SUFFIX}"
    return Path(model)


def _bundled_hint(path: Path) -> str:
    """For a missing file named like a bundled model ('chorael'): the bundled names, the nearest first."""
    if path.parent != Path(".") or path.suffix:
        return ""
    import difflib

    names = bundled_models()
    close = difflib.get_close_matches(path.name, names, 1, 0.5)
    return (f" (did you mean {close[0]!r}? " if close else " (") + f"bundled models: {', '.join(names)})"


def _read_entry(path: Path, entry: str) -> bytes:
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file{_bundled_hint(path)}")
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.read(entry)
    except zipfile.BadZipFile:
        raise ModelFileError(f"{path}: not a .keras model file (not a zip archive)") from None
    except KeyError:
        if entry == CONFIG_ENTRY:
            raise ModelFileError(f"{path}: a Keras file without a djai_live config; "
                                 "was it saved by djai-live?") from None
        raise ModelFileError(f"{path}: damaged model file (no {entry})") from None


def read_config(path: str | os.PathLike) -> DjaiConfig:
    """The config stored in a model file.

    Raises:
        ModelFileError: the file is missing, not a zip, or has no valid djai_live config.
    """
    path = Path(path)
    text = _read_entry(path, CONFIG_ENTRY).decode()
    try:
        return DjaiConfig.from_json(text)
    except (ValueError, TypeError) as error:
        raise ModelFileError(f"{path}: bad djai_live config: {error}") from None


def write_config(path: str | os.PathLike, config: DjaiConfig) -> None:
    """Replace the config stored in a model file (weights untouched), atomically: for settings learned
    after the weights, such as the instrument ranges of a model trained before they were stored.

    Raises:
        ModelFileError: as :func:`read_config`.
    """
    from .files import atomic_path

    path = Path(path)
    read_config(path)  # a djai_live model file, or a clear error
    with atomic_path(path, suffix=".tmp.keras") as temporary:
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                if item.filename != CONFIG_ENTRY:
                    target.writestr(item, source.read(item))
            target.writestr(CONFIG_ENTRY, config.to_json())


def sinusoidal_table(length: int, depth: int) -> np.ndarray:
    """The Transformer's sinusoidal position encoding (Vaswani et al.), shared by Keras and NumPy."""
    positions = np.arange(length)[:, None]
    rates = 1.0 / np.power(10000.0, (2 * (np.arange(depth)[None, :] // 2)) / depth)
    angles = positions * rates
    table = np.where(np.arange(depth)[None, :] % 2 == 0, np.sin(angles), np.cos(angles))
    return table.astype(np.float32)


def _snake_case(name: str) -> str:
    """Keras' own rule for naming a layer's group in the weights file after its class."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


class StoredLayer:
    """One layer's arrays, in the order Keras' ``get_weights()`` gives them."""

    def __init__(self, group) -> None:
        variables = group.get("vars")
        self._arrays = [np.asarray(variables[str(i)], np.float32) for i in range(len(variables))] if variables else []
        cell = group.get("cell")
        if cell is not None:  # recurrent layers keep their variables in the cell
            self._arrays = StoredLayer(cell)._arrays
        # MultiHeadAttention's sublayers, under the attribute names Keras uses
        for attribute, child in (("_query_dense", "query_dense"), ("_key_dense", "key_dense"),
                                 ("_value_dense", "value_dense"), ("_output_dense", "output_dense")):
            if child in group:
                setattr(self, attribute, StoredLayer(group[child]))

    def get_weights(self) -> list[np.ndarray]:
        return list(self._arrays)


class StoredModel:
    """The weights of a ``.keras`` file, addressed by layer name, read without TensorFlow.

    Raises:
        ModelFileError: the file is damaged or not laid out as Keras 3 writes it.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        import h5py

        path = Path(path)
        self.path = path
        try:
            model_config = json.loads(_read_entry(path, "config.json"))
            data = _read_entry(path, "model.weights.h5")
            counters: dict[str, int] = {}
            self._layers: dict[str, StoredLayer] = {}
            with h5py.File(io.BytesIO(data), "r") as weights:
                for layer in model_config["config"]["layers"]:
                    base = _snake_case(layer["class_name"])
                    count = counters.get(base, 0)
                    counters[base] = count + 1
                    group_name = base if count == 0 else f"{base}_{count}"
                    group = weights["layers"].get(group_name)
                    if group is not None:
                        self._layers[layer["config"]["name"]] = StoredLayer(group)
        except ModelFileError:
            raise
        except (KeyError, ValueError, OSError, TypeError) as error:
            raise ModelFileError(f"{path}: cannot read the weights ({type(error).__name__}: {error})") from None

    def get_layer(self, name: str) -> StoredLayer:
        try:
            return self._layers[name]
        except KeyError:
            raise ModelFileError(f"{self.path}: no layer {name!r} with weights; "
                                 "was it saved by this djai-live?") from None
