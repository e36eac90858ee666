import pytest

from djai_live.config import DjaiConfig, musical_time_bins


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
