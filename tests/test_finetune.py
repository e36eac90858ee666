"""Fine-tuning from a trained model: it moves toward the new style, keeps its base's architecture, records its
base, and every training run stops at --max-minutes with the best model on disk."""
import contextlib
import hashlib
import io
import itertools

import numpy as np
import pytest

from djai_live.cli import build_parser, main
from djai_live.cli.train import _settings
from djai_live.config import FROM_SCRATCH, DjaiConfig
from djai_live.corpus import load_corpus, scan_midi_files
from djai_live.djai import ModelManager
from djai_live.encoding import Codec, tokens_to_array
from djai_live.finetune import FINE_TUNE, FineTuneConflict, describe_origin, fine_tune_config
from djai_live.model import keras_log_probs, load_model, read_config
from djai_live.training import train
from djai_live.windows import cut_windows
from tests.conftest import PATTERN, write_pattern_midi

NEW_STYLE_SHIFT = 20  # the pattern 20 semitones up: a pitch set the tiny base model never saw


@pytest.fixture(scope="module")
def new_style_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("new_style")
    for i in range(4):
        write_pattern_midi(folder / f"high_{i}.mid", repeats=20 + 4 * i, transpose=NEW_STYLE_SHIFT)
    return folder


def mass_on_new_pitches(model, config: DjaiConfig, folder) -> float:
    """The mean probability the model gives the new style's pitch set, at every position of its tracks."""
    codec = Codec(config)
    corpus = load_corpus(scan_midi_files(folder), cache_dir=None)
    sequences = [tokens_to_array(codec.encode(track.notes)) for piece in corpus.pieces for track in piece.tracks]
    windows = cut_windows(sequences, config.sequence_length_i)
    pitch = np.exp(keras_log_probs(model, windows.inputs)["pitch"])
    new_set = sorted({p + NEW_STYLE_SHIFT for p in PATTERN})
    mass = pitch[..., new_set].sum(axis=-1)
    return float((mass * windows.mask).sum() / windows.mask.sum())


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_api_fine_tune_moves_toward_a_new_style_and_records_its_base(tiny_model, new_style_dir, tmp_path):
    manager = ModelManager.load(tiny_model)
    before = mass_on_new_pitches(manager.model, manager.config, new_style_dir)
    # a few steps an epoch on this toy folder: a high rate and enough epochs that the move is not marginal
    manager.fit(scan_midi_files(new_style_dir), epochs=12, learning_rate=0.02, max_minutes=None, transpose=0,
                patience=12, verbose=0)
    after = mass_on_new_pitches(manager.model, manager.config, new_style_dir)
    assert before < 0.1 and after > 0.5, (before, after)
    output = tmp_path / "mine.keras"
    manager.save(output)
    stored = read_config(output)
    assert stored.fine_tuned_from == {"model": str(tiny_model), "sha256": sha256(tiny_model), "base": None}
    assert stored.n_units == read_config(tiny_model).n_units and stored.learning_rate == 0.02
    assert describe_origin(stored).startswith(f"fine-tuned from {tiny_model}")
    # evaluate and generate take it as any other model file
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["evaluate", str(new_style_dir), "--model", str(output)]) == 0
        prompt = scan_midi_files(new_style_dir)[0]
        assert main(["generate", "--prompt", prompt, "--model", str(output), "--out", str(tmp_path / "g.mid"),
                     "--seed", "1"]) == 0
    assert (tmp_path / "g.mid").stat().st_size > 0


def test_a_fine_tune_of_a_fine_tune_keeps_the_chain(tiny_model, tmp_path):
    first = fine_tune_config(tiny_model)
    model, _ = load_model(tiny_model)
    middle = tmp_path / "middle.keras"
    from djai_live.model import save_model

    save_model(model, first, middle)
    second = fine_tune_config(middle)
    assert second.fine_tuned_from["base"] == first.fine_tuned_from
    assert describe_origin(second).count("<-") == 1


def parse_train(*flags: str, folder, base=None):
    argv = ["train", str(folder), "-o", str(folder / "m.keras"), *flags]
    if base is not None:
        argv += ["--from", str(base)]
    return build_parser().parse_args(argv)


def test_with_from_and_no_other_flag_the_fine_tuning_defaults_apply(tiny_model, tmp_path):
    config, settings = _settings(parse_train(folder=tmp_path, base=tiny_model), include_drums=False)
    base = read_config(tiny_model)
    assert (config.n_units, config.n_layers, config.sequence_length_i) == (base.n_units, base.n_layers,
                                                                           base.sequence_length_i)
    assert config.learning_rate == FINE_TUNE.config_changes["learning_rate"]
    assert config.batch_size == FINE_TUNE.config_changes["batch_size"]
    assert settings == FINE_TUNE.run
    # a training flag given explicitly wins, even when it equals the scratch default
    config, settings = _settings(parse_train("--learning-rate", "0.003", "--transpose", "0", "--units",
                                             str(base.n_units), folder=tmp_path, base=tiny_model), False)
    assert config.learning_rate == 0.003 and settings.transpose == 0
    # without --from: the scratch defaults
    config, settings = _settings(parse_train(folder=tmp_path), include_drums=False)
    assert config.n_units == DjaiConfig().n_units and config.learning_rate == DjaiConfig().learning_rate
    assert settings == FROM_SCRATCH and settings.max_minutes is None and config.fine_tuned_from is None


def test_lr_patience_alone_means_the_plateau_schedule_and_with_another_schedule_is_refused(tiny_model, tmp_path,
                                                                                          pattern_dir, capsys):
    for base in (tiny_model, None):  # fine-tuning (default cosine) and from scratch (default constant)
        _, settings = _settings(parse_train("--lr-patience", "3", folder=tmp_path, base=base), False)
        assert (settings.lr_schedule, settings.lr_patience) == ("plateau", 3)
    _, settings = _settings(parse_train("--lr-schedule", "constant", folder=tmp_path, base=tiny_model), False)
    assert settings.lr_schedule == "constant"
    code = main(["train", str(pattern_dir), "-o", str(tmp_path / "m.keras"), "--lr-schedule", "cosine",
                 "--lr-patience", "2"])
    error = capsys.readouterr().err.strip()
    assert code == 1 and error.count("\n") == 0
    assert "patience applies to the plateau schedule, not to cosine" in error and "--lr-patience" in error
    with pytest.raises(ValueError, match="not to cosine"):
        train([], DjaiConfig(), tmp_path / "m.keras", lr_schedule="cosine", lr_patience=2)
    with pytest.raises(ValueError, match="must be one of constant, plateau, cosine"):
        train([], DjaiConfig(), tmp_path / "m.keras", lr_schedule="linear")


@pytest.mark.parametrize("flag, value, field", [("--units", "64", "n_units"), ("--layers", "3", "n_layers"),
                                                ("--model-type", "lstm", "model_type"),
                                                ("--sequence-length-i", "32", "sequence_length_i"),
                                                ("--instruments", "2", "num_instruments")])
def test_flags_that_change_the_base_architecture_are_refused(tiny_model, pattern_dir, tmp_path, capsys, flag,
                                                             value, field):
    output = tmp_path / "m.keras"
    code = main(["train", str(pattern_dir), "-o", str(output), "--from", str(tiny_model), flag, value])
    error = capsys.readouterr().err.strip()
    assert code == 1 and not output.exists()
    assert error.count("\n") == 0 and error.startswith("djai-live train: error: ")
    base_value = getattr(read_config(tiny_model), field)
    assert f"{flag} {value} conflicts with --from {tiny_model}: that model has {field}={base_value!r}" in error
    with pytest.raises(FineTuneConflict, match=field):
        fine_tune_config(tiny_model, **{field: type(base_value)(value) if field != "model_type" else value})


def test_max_minutes_stops_within_an_epoch_on_its_clock_and_keeps_the_best(pattern_dir, tmp_path):
    ticks = itertools.count()
    calls = []

    def clock() -> float:  # one second per call: the start, then one call per finished batch
        calls.append(None)
        return float(next(ticks))

    config = DjaiConfig(n_layers=1, n_units=8, sequence_length_i=16, batch_size=4, dropout=0.0)
    output = tmp_path / "m.keras"
    result = train(scan_midi_files(pattern_dir), config, output, epochs=50, validation_split=0.2, cache_dir=None,
                   verbose=0, plot=False, max_minutes=10 / 60, clock=clock)
    assert result.out_of_time and result.epochs_run == 1
    assert len(calls) == 1 + 10  # stopped at the end of the tenth batch, in the middle of the first epoch
    log = (tmp_path / "m.training.csv").read_text().splitlines()
    assert len(log) == 2 and "val_loss" in log[0]  # the partial epoch was validated ...
    stored, _ = load_model(output)  # ... and, the best so far, written
    for saved, kept in zip(stored.get_weights(), result.model.get_weights()):
        assert np.array_equal(saved, kept)


def test_max_minutes_on_the_command_line(pattern_dir, tmp_path, capsys):
    output = tmp_path / "m.keras"
    code = main(["train", str(pattern_dir), "-o", str(output), "--units", "8", "--layers", "1",
                 "--sequence-length-i", "16", "--epochs", "50", "--max-minutes", "0.0001", "--no-cache"])
    said = capsys.readouterr().out
    assert code == 0 and output.exists()
    assert "stopped at the time limit (--max-minutes 0.0001)" in said and "(1 epochs)" in said


def test_a_fine_tune_on_one_file_says_it_holds_none_out_and_finishes(tiny_model, new_style_dir, tmp_path,
                                                                      capsys, caplog):
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "only.mid").write_bytes((new_style_dir / "high_0.mid").read_bytes())
    output = tmp_path / "mine.keras"
    code = main(["train", str(folder), "-o", str(output), "--from", str(tiny_model), "--epochs", "2",
                 "--max-minutes", "5", "--no-cache"])
    said = capsys.readouterr().out + caplog.text
    assert code == 0 and output.exists()
    assert "1 readable file: too few to hold one out for validation" in said
    assert (tmp_path / "mine.training.png").exists()  # drawn from a log whose val_ columns are all "NA"


def test_freeze_rnn_keeps_the_recurrent_weights_and_trains_the_rest(tiny_model, new_style_dir, tmp_path):
    base, _ = load_model(tiny_model)
    config = fine_tune_config(tiny_model, learning_rate=0.01)
    result = train(scan_midi_files(new_style_dir), config, tmp_path / "f.keras", epochs=2, cache_dir=None,
                   verbose=0, plot=False, init_from=tiny_model, freeze=("rnn",))
    for layer in base.layers:
        before, after = layer.get_weights(), result.model.get_layer(layer.name).get_weights()
        same = all(np.array_equal(a, b) for a, b in zip(before, after))
        if layer.name.startswith("rnn_"):
            assert same, layer.name
        elif layer.name == "pitch_logits":
            assert not same
