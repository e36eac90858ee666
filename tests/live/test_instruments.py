"""Several instruments live: channels map to the model's instruments and generated instruments to channels."""
import pytest

from djai_live.generation import Generator
from djai_live.live.instruments import InstrumentMap, InstrumentMapError
from djai_live.live.settings import LiveSettings
from tests.support.live import CallAndResponseRig, FakeClock, play


@pytest.fixture(scope="module")
def band_model(tmp_path_factory, corpus_dir):
    """A small model of four-part chorales: four instruments in one sequence."""
    from djai_live.config import DjaiConfig
    from djai_live.corpus import scan_midi_files
    from djai_live.training import train

    output = tmp_path_factory.mktemp("band") / "band.keras"
    config = DjaiConfig(model_type="gru", n_layers=1, n_units=32, sequence_length_i=16, num_instruments=4,
                        batch_size=16, learning_rate=0.01)
    train(scan_midi_files(corpus_dir / "bach"), config, output, epochs=3, cache_dir=None, verbose=0)
    return output


def test_maps_from_flags_and_config_tables():
    flags = InstrumentMap.parse("1:0,2:1,10:2", "0:5,2:11")
    assert flags.inputs == {1: 0, 2: 1, 10: 2} and flags.outputs == {0: 5, 2: 11}
    assert flags.channel_of(0, 1) == 5 and flags.channel_of(1, 1) == 2 and flags.channel_of(3, 1) == 1
    assert flags.instrument_of(10, 4) == 2 and flags.instrument_of(10, 2) == 1 and flags.instrument_of(7, 4) == 0
    tables = InstrumentMap.from_tables([{"index": 1, "in_channels": [2, 3], "out_channel": 4}])
    assert tables.inputs == {2: 1, 3: 1} and tables.outputs == {1: 4}


@pytest.mark.parametrize("inputs, outputs, message", [
    ("17:0", None, "channel is 1-16"), ("1-0", None, "pairs like"), (None, "0:0", "channel is 1-16"),
    ("1:200", None, "instrument index is 0-127"),
])
def test_bad_maps_are_named(inputs, outputs, message):
    with pytest.raises(InstrumentMapError, match=message):
        InstrumentMap.parse(inputs, outputs)


def test_each_channel_plays_its_instrument_and_answers_go_out_per_instrument(band_model):
    generator = Generator.from_file(band_model)
    clock = FakeClock()
    rig = CallAndResponseRig(generator, LiveSettings(mode="manual", length=60, temperature=1.5), clock=clock, seed=0)
    rig.instruments = InstrumentMap.parse("1:0,2:1,3:2,4:3", "0:5,1:6,2:7,3:8")
    for channel, pitches in ((1, [72, 74, 76]), (4, [48, 50, 52])):
        for pitch in pitches:
            rig.note_on(pitch, 90, channel)
            clock.now += 0.2
            rig.note_off(pitch, channel)
    tokens = [rig.token(note, None, 0.2)[4] for note in rig.notes]
    assert tokens == [0, 0, 0, 3, 3, 3]
    phrase = rig.generate()
    channels = {note.channel for note in phrase.notes}
    assert channels <= {5, 6, 7, 8} and len(channels) >= 2


def test_a_one_instrument_model_ignores_the_map(tiny_model):
    rig = CallAndResponseRig(Generator.from_file(tiny_model), LiveSettings(mode="manual", channel_out=9),
                             clock=FakeClock())
    rig.instruments = InstrumentMap.parse("2:1", "1:4")
    play(rig, rig.clock, [60, 62, 64])
    assert {note.channel for note in rig.generate().notes} == {9}
