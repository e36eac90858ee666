"""The original djai notebook's calls run unchanged on djai_live."""
import pytest

from djai_live import djai


def test_the_original_notebook_calls(tmp_path, pattern_dir):
    midi_files = djai.scan_midi_files(str(pattern_dir))
    assert len(midi_files) == 6
    model_manager = djai.ModelManager(sequence_length_i=30, sequence_length_o=10, num_instruments=1,
                                      model_type="gru", n_layers=2, n_units=16, dropout=0.1, batch_size=32,
                                      learning_rate=0.005, loss_weights=None)
    history = model_manager.fit(midi_files, epochs=2)
    assert len(history.history["loss"]) == 2
    model_manager.save(str(tmp_path / "x.keras"))
    loaded = djai.ModelManager.load(str(tmp_path / "x.keras"))
    generated = loaded.generate(midi_files[0], length=10)
    assert len(generated) == 1 and len(generated[0]) == 10
    for pitch, duration, offset in generated[0]:
        assert isinstance(pitch, int) and 0 <= pitch <= 127
        assert duration >= 0 and offset > 0


def test_n_instruments_and_original_loss_weight_names_are_accepted():
    manager = djai.ModelManager(sequence_length_i=24, sequence_length_o=16, n_instruments=2,
                                model_type="transformer", n_layers=1, n_units=32, dropout=0.25, batch_size=32,
                                learning_rate=0.001, n_heads=4,
                                loss_weights={"pitch": 1.0, "duration": 1.0, "offset": 0.5})
    assert manager.config.num_instruments == 2
    assert manager.config.loss_weights == {"pitch": 1.0, "duration": 1.0, "dt": 0.5}
    assert isinstance(manager.model.get_layer("positional_encoding"), djai.PositionalEncoding)


def test_short_prompt_is_a_clear_error(tmp_path, pattern_dir):
    import pretty_midi

    short = tmp_path / "short.mid"
    midi = pretty_midi.PrettyMIDI()
    track = pretty_midi.Instrument(0)
    track.notes = [pretty_midi.Note(80, 60 + i, i * 0.5, i * 0.5 + 0.4) for i in range(5)]
    midi.instruments.append(track)
    midi.write(str(short))
    manager = djai.ModelManager(sequence_length_i=30, n_layers=1, n_units=8)
    with pytest.raises(ValueError, match="5 notes; generation needs at least 8"):
        manager.generate(str(short))


def test_data_processor_makes_windows(corpus_dir):
    processor = djai.DataProcessor(sequence_length_i=16, sequence_length_o=4)
    windows = processor.process_midi_files(djai.scan_midi_files(corpus_dir / "essen"))
    assert windows.inputs.shape[1:] == (16, 6) and len(windows) > 0
    tracks = processor.extract_features(djai.scan_midi_files(corpus_dir / "bach")[0])
    assert len(tracks) >= 4 and tracks[0].shape[1] == 6
