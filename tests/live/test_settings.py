import pytest

from djai_live.live.settings import LiveSettings, SettingError


def test_values_from_max_and_pd_are_coerced():
    settings = LiveSettings()
    assert settings.set("length", 16.0) == 16 and isinstance(settings.length, int)
    assert settings.set("interrupt", 0.0) is False
    assert settings.set("temperature", 1) == 1.0
    assert settings.set("mode", "manual") == "manual"


@pytest.mark.parametrize("name, value, message", [
    ("volume", 1, "unknown parameter"), ("mode", "loop", "one of"), ("length", 2.5, "integer"),
    ("temperature", float("nan"), "finite"), ("top_p", 0, "between"), ("channel_out", 17, "between"),
    ("interrupt", 3, "0 or 1"), ("phrase_gap_ms", "fast", "number"),
])
def test_bad_values_are_refused_and_change_nothing(name, value, message):
    settings = LiveSettings()
    before = settings.items()
    with pytest.raises(SettingError, match=message):
        settings.set(name, value)
    assert settings.items() == before


def test_pitch_range_cannot_be_inverted():
    settings = LiveSettings()
    settings.set("pitch_max", 70)
    with pytest.raises(SettingError, match="pitch_min"):
        settings.set("pitch_min", 80)
