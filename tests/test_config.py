import pytest

from djai_live.config import FROM_SCRATCH, DjaiConfig, TrainSettings, musical_time_bins
from djai_live.finetune import FINE_TUNE, FineTuneDefaults


def test_round_trips_through_json():
    config = DjaiConfig(model_type="transformer", n_units=64, n_heads=4, loss_weights={"pitch": 2.0})
    assert DjaiConfig.from_json(config.to_json()) == config


@pytest.mark.parametrize("changes, message", [
    ({"model_type": "rnn"}, "model_type"),
    ({"n_units": 0}, "n_units"),
    ({"sequence_length_i": 2.5}, "sequence_length_i"),
    ({"dropout": 1.0}, "dropout"),
    ({"learning_rate": 0}, "learning_rate"),
    ({"model_type": "transformer", "n_units": 30, "n_heads": 4}, "divisible"),
    ({"loss_weights": {"tempo": 1.0}}, "tempo"),
    ({"time_bins": [0.0, 1.0, 0.5]}, "time_bins"),
])
def test_rejects_bad_values_naming_them(changes, message):
    with pytest.raises(ValueError, match=message):
        DjaiConfig(**changes)


def test_refuses_unknown_keys_and_newer_versions():
    data = DjaiConfig().to_dict()
    with pytest.raises(ValueError, match="unknown config keys"):
        DjaiConfig.from_dict({**data, "colour": "red"})
    with pytest.raises(ValueError, match="newer"):
        DjaiConfig.from_dict({**data, "version": 99})
    with pytest.raises(ValueError, match="older note encoding"):
        DjaiConfig.from_dict({**data, "version": 1})


def test_time_bins_hold_common_note_values_exactly():
    bins = musical_time_bins()
    for value in (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 1 / 3, 2 / 3):
        assert any(abs(b - value) < 1e-12 for b in bins), value


def test_head_names_follow_instruments():
    assert "instrument" not in DjaiConfig().head_names
    assert DjaiConfig(num_instruments=4).head_names[-1] == "instrument"


def parse_train(folder, *flags: str):
    from djai_live.cli import build_parser

    return build_parser().parse_args(["train", str(folder), "-o", str(folder / "m.keras"), *flags])


@pytest.mark.parametrize("flags, fields", [
    ((), {}),
    (("--units", "64", "--layers", "1", "--model-type", "lstm", "--dropout", "0.1", "--batch-size", "8",
      "--learning-rate", "0.01", "--sequence-length-i", "32", "--instruments", "2", "--average-transpositions", "1",
      "--loss-weights", "pitch=1,dt=0.5"),
     dict(n_units=64, n_layers=1, model_type="lstm", dropout=0.1, batch_size=8, learning_rate=0.01,
          sequence_length_i=32, num_instruments=2, average_transpositions=1, loss_weights={"pitch": 1.0, "dt": 0.5})),
])
def test_the_cli_builds_the_config_the_python_api_builds_from_the_same_settings(tmp_path, flags, fields):
    from djai_live.cli.train import _settings

    config, _ = _settings(parse_train(tmp_path, *flags), include_drums=False)
    assert config == DjaiConfig(**fields)  # every field, architecture and training alike


def test_the_cli_and_the_python_api_run_training_with_the_same_defaults(tmp_path):
    import inspect

    from djai_live.cli.train import _settings
    from djai_live.training import train

    _, settings = _settings(parse_train(tmp_path), include_drums=False)
    assert settings == FROM_SCRATCH == TrainSettings()
    _, settings = _settings(parse_train(tmp_path, "--epochs", "3", "--patience", "2"), include_drums=False)
    assert settings == FROM_SCRATCH.replace(epochs=3, patience=2)
    parameters = inspect.signature(train).parameters
    for name, value in FROM_SCRATCH.to_dict().items():
        if name == "lr_schedule":  # None there: chosen from lr_patience, else the scratch default
            assert parameters[name].default is None
        else:
            assert parameters[name].default == value, name


def test_fine_tune_defaults_differ_from_scratch_only_in_the_fields_fine_tune_names(tmp_path):
    from djai_live.cli.train import _settings
    from djai_live.model_files import read_config, resolve_model_path

    scratch_config = DjaiConfig()
    assert FINE_TUNE.changed == set(FINE_TUNE.config_changes) | {
        name for name, value in FINE_TUNE.run.to_dict().items() if value != getattr(FROM_SCRATCH, name)}
    assert all(value != getattr(scratch_config, name) for name, value in FINE_TUNE.config_changes.items())
    # through the CLI: the base model's config with only the named config fields (and the record of the base) changed
    config, settings = _settings(parse_train(tmp_path, "--from", "default"), include_drums=False)
    base = read_config(resolve_model_path("default"))
    changed = {name for name, value in config.to_dict().items() if value != getattr(base, name)}
    assert changed <= set(FINE_TUNE.config_changes) | {"fine_tuned_from"} and "fine_tuned_from" in changed
    assert {name: getattr(config, name) for name in FINE_TUNE.config_changes} == dict(FINE_TUNE.config_changes)
    assert settings == FINE_TUNE.run


def test_fine_tune_defaults_refuse_a_change_that_is_none():
    with pytest.raises(ValueError, match="from-scratch default already"):
        FineTuneDefaults.differing_from_scratch(validation_split=FROM_SCRATCH.validation_split)
    with pytest.raises(ValueError, match="not a training setting"):
        FineTuneDefaults.differing_from_scratch(n_units=64)  # the base model's weights fix it
    with pytest.raises(ValueError, match="not a training setting"):
        FineTuneDefaults.differing_from_scratch(colour="red")
