import zipfile

import numpy as np
import pytest

from djai_live.config import DjaiConfig
from djai_live.model import (CONFIG_ENTRY, ModelFileError, build_model, default_model_path, keras_log_probs,
                             load_model, read_config, resolve_model_path, save_model)


def random_windows(config, count=3, length=12, seed=0):
    rng = np.random.default_rng(seed)
    highs = (128, len(config.time_bins), len(config.time_bins), len(config.velocity_bins), config.num_instruments, 49)
    return np.stack([rng.integers(0, h, (count, length)) for h in highs], axis=-1).astype(np.int32)


@pytest.mark.parametrize("model_type", ["gru", "lstm", "transformer"])
def test_save_load_round_trip_keeps_config_and_outputs(tmp_path, model_type):
    config = DjaiConfig(model_type=model_type, n_layers=2, n_units=32, n_heads=4, num_instruments=3)
    model = build_model(config, seed=0)
    path = save_model(model, config, tmp_path / "m.keras")
    loaded, loaded_config = load_model(path)
    assert loaded_config == config
    windows = random_windows(config)
    before, after = keras_log_probs(model, windows), keras_log_probs(loaded, windows)
    assert set(before) == set(config.head_names)
    for head in before:
        assert np.allclose(before[head], after[head], atol=1e-6)
        assert np.allclose(np.exp(before[head]).sum(-1), 1.0, atol=1e-4)


@pytest.mark.parametrize("model_type", ["gru", "lstm", "transformer"])
def test_predictions_are_causal(model_type):
    config = DjaiConfig(model_type=model_type, n_layers=1, n_units=32, n_heads=2)
    model = build_model(config, seed=0)
    windows = random_windows(config, count=2, length=10)
    changed = windows.copy()
    changed[:, 6:] = 0
    a, b = keras_log_probs(model, windows), keras_log_probs(model, changed)
    assert np.allclose(a["pitch"][:, :6], b["pitch"][:, :6], atol=1e-6)
    assert not np.allclose(a["pitch"][:, 6:], b["pitch"][:, 6:], atol=1e-6)


def test_model_files_hold_weights_without_optimizer_state(tmp_path):
    import io

    import h5py

    from djai_live.model import compile_model

    config = DjaiConfig(n_layers=1, n_units=16)
    model = build_model(config, seed=0)
    compile_model(model, config)
    path = save_model(model, config, tmp_path / "m.keras")
    with zipfile.ZipFile(path) as archive, h5py.File(io.BytesIO(archive.read("model.weights.h5"))) as weights:
        assert "optimizer" not in weights
    loaded, _ = load_model(path)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        assert np.array_equal(a, b)


def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    config = DjaiConfig(n_layers=1, n_units=16)
    model = build_model(config, seed=0)
    path = save_model(model, config, tmp_path / "m.keras")
    original = path.read_bytes()

    def explode(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(type(model), "save", explode)
    with pytest.raises(KeyboardInterrupt):
        save_model(model, config, path)
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]


def test_bad_model_files_get_clear_errors(tmp_path):
    with pytest.raises(ModelFileError, match="no such model file"):
        read_config(tmp_path / "missing.keras")
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ModelFileError, match="not a zip"):
        read_config(junk)
    plain = tmp_path / "plain.keras"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("config.json", "{}")
    with pytest.raises(ModelFileError, match="without a djai_live config"):
        load_model(plain)
    broken = tmp_path / "broken.keras"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr(CONFIG_ENTRY, '{"model_type": "rnn"}')
    with pytest.raises(ModelFileError, match="model_type"):
        load_model(broken)


def test_default_names_the_bundled_model():
    assert resolve_model_path(None) == resolve_model_path("default") == default_model_path()
    assert default_model_path().is_file(), "the bundled default model is missing from the package"
