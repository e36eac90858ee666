from types import SimpleNamespace

import numpy as np
import pytest

from djai_live.config import DjaiConfig
from djai_live.corpus import load_corpus, scan_midi_files
from djai_live.evaluation import evaluate_model
from djai_live.model import load_model
from djai_live.training import (LR_MIN_DELTA, LR_REDUCTION_FACTOR, MIN_LEARNING_RATE, NoUsableDataError,
                                best_logged, is_validation_file, train)
from djai_live.windows import cut_windows, window_count
from tests.conftest import write_bad_midi_files


def test_windows_predict_the_next_note_and_mask_padding():
    tokens = np.arange(10 * 6).reshape(10, 6).astype(np.int32)
    windows = cut_windows([tokens, tokens[:3]], length=4)
    for inputs, targets, mask in zip(windows.inputs, windows.targets, windows.mask):
        real = int(mask.sum())
        assert np.array_equal(targets[:real - 1], inputs[1:real])
    assert windows.mask[-1].tolist() == [1, 1, 0, 0]  # the 3-note track: 2 scored positions
    covered = {int(t[0]) for w, m in zip(windows.targets, windows.mask) for t, k in zip(w, m) if k}
    assert covered == {int(r[0]) for r in tokens[1:]} | {int(r[0]) for r in tokens[1:3]}


def test_window_count_matches_the_windows_cut():
    for notes in range(0, 140):
        for length, stride in ((1, None), (8, None), (8, 3), (64, None)):
            cut = cut_windows([np.zeros((notes, 6), np.int32)], length, stride)
            assert window_count(notes, length, stride) == len(cut)


def test_split_is_stable_by_file_name():
    names = [f"/a/piece{i}.mid" for i in range(200)]
    chosen = [is_validation_file(n, 0.1) for n in names]
    assert chosen == [is_validation_file("/elsewhere/" + n.split("/")[-1], 0.1) for n in names]
    assert 5 <= sum(chosen) <= 40


def test_a_tiny_model_learns_a_repeating_pattern(tiny_model, pattern_dir):
    model, config = load_model(tiny_model)
    corpus = load_corpus(scan_midi_files(pattern_dir), cache_dir=None)
    scores = evaluate_model(model, config, corpus).as_dict()
    assert scores["pitch_accuracy"] > 0.9
    assert scores["dt_accuracy"] > 0.9
    assert tiny_model.with_name("tiny.training.png").stat().st_size > 1000
    assert not tiny_model.with_name("tiny.keras.checkpoint").exists()


def test_a_run_without_validation_ends_with_its_curve_drawn(tmp_path, pattern_dir):
    # Keras' CSVLogger adds val_ columns filled with "NA" when nothing is validated: reading them as numbers
    # once made such a run (--validation-split 0, or a single file) fail after writing its model.
    config = DjaiConfig(n_layers=1, n_units=8, sequence_length_i=16, batch_size=4, dropout=0.0)
    output = tmp_path / "m.keras"
    result = train(scan_midi_files(pattern_dir), config, output, epochs=2, validation_split=0.0, cache_dir=None,
                   verbose=0)
    assert result.epochs_run == 2 and output.exists()
    log = (tmp_path / "m.training.csv").read_text().splitlines()
    assert "val_loss" in log[0] and log[1].endswith("NA")  # what Keras writes, which the curve must take
    assert (tmp_path / "m.training.png").stat().st_size > 1000
    assert best_logged(tmp_path / "m.training.csv", "val_loss") == np.inf
    assert best_logged(tmp_path / "m.training.csv", "loss") == min(result.history.history["loss"])


def test_nothing_usable_stops_training_with_a_clear_error(tmp_path):
    bad = write_bad_midi_files(tmp_path / "bad")
    with pytest.raises(NoUsableDataError, match="none of the 5 files"):
        train(sorted(map(str, bad.values())), DjaiConfig(n_units=8, n_layers=1), tmp_path / "m.keras",
              epochs=1, cache_dir=None, verbose=0)
    assert not (tmp_path / "m.keras").exists()


def interrupted_run(tmp_path, pattern_dir, monkeypatch):
    """Train with a Ctrl-C at the end of the second epoch; returns (config, output, files)."""
    import keras

    config = DjaiConfig(n_layers=1, n_units=16, sequence_length_i=8, batch_size=16)
    output = tmp_path / "m.keras"
    files = scan_midi_files(pattern_dir)
    saved = {}

    class StopAfterTwoEpochs(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                saved.update(state_of(self.model))  # what the checkpoint must hold
                raise KeyboardInterrupt

    original_fit = keras.Model.fit

    def fit_then_interrupt(self, *args, callbacks=(), **kwargs):
        return original_fit(self, *args, callbacks=list(callbacks) + [StopAfterTwoEpochs()], **kwargs)

    monkeypatch.setattr(keras.Model, "fit", fit_then_interrupt)
    result = train(files, config, output, epochs=5, cache_dir=None, verbose=0)
    monkeypatch.setattr(keras.Model, "fit", original_fit)
    assert result.interrupted and output.exists()
    assert (tmp_path / "m.keras.checkpoint" / "config.json").exists()
    return config, output, files, saved


def state_of(model) -> dict:
    """A model's weights and its optimizer's state (step count, Adam's moments)."""
    return {"weights": [np.array(w) for w in model.get_weights()],
            "iterations": int(model.optimizer.iterations.numpy()),
            "optimizer": [np.array(v) for v in model.optimizer.variables]}


def test_a_resume_that_does_not_improve_keeps_the_best_model(tmp_path, pattern_dir, monkeypatch):
    config, output, files, _ = interrupted_run(tmp_path, pattern_dir, monkeypatch)
    best = output.read_bytes()
    resumed = train(files, config, output, epochs=2, resume=True, cache_dir=None, verbose=0)  # nothing left to run
    assert resumed.epochs_run == 0
    assert output.read_bytes() == best


def test_interrupt_keeps_the_best_model_and_resume_continues(tmp_path, pattern_dir, monkeypatch):
    import keras

    config, output, files, saved = interrupted_run(tmp_path, pattern_dir, monkeypatch)
    restored = {}

    class StateAtStart(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):  # after every on_train_begin: restored by then
            if not restored:
                restored.update(state_of(self.model), epoch=epoch)

    original_fit = keras.Model.fit
    monkeypatch.setattr(keras.Model, "fit", lambda self, *args, callbacks=(), **kwargs: original_fit(
        self, *args, callbacks=list(callbacks) + [StateAtStart()], **kwargs))
    resumed = train(files, config.replace(n_units=99), output, epochs=5, resume=True, cache_dir=None, verbose=0)
    # the resumed run starts at epoch 3 from the weights and the optimizer state the interruption left
    assert restored["epoch"] == 2 and restored["iterations"] == saved["iterations"] > 0
    assert all(np.array_equal(a, b) for a, b in zip(restored["weights"], saved["weights"]))
    assert len(restored["optimizer"]) == len(saved["optimizer"])
    assert all(np.array_equal(a, b) for a, b in zip(restored["optimizer"], saved["optimizer"]))
    assert resumed.config == config  # the interrupted run's settings win
    assert resumed.epochs_run == 3  # epochs 3-5: the first two were restored from the checkpoint
    assert not (tmp_path / "m.keras.checkpoint").exists()
    rows = (tmp_path / "m.training.csv").read_text().strip().splitlines()
    assert len(rows) == 1 + 5


def test_lr_patience_halves_the_rate_exactly_when_validation_stalls(tmp_path):
    import csv

    import pretty_midi

    # Random pitches: once the model has their spread, it can only overfit, so the validation loss stalls.
    rng = np.random.default_rng(0)
    folder = tmp_path / "random"
    folder.mkdir()
    for index in range(10):
        midi = pretty_midi.PrettyMIDI(initial_tempo=120.0)
        track = pretty_midi.Instrument(program=0)
        for step, pitch in enumerate(rng.integers(48, 84, size=300)):
            track.notes.append(pretty_midi.Note(velocity=90, pitch=int(pitch), start=step * 0.25,
                                                end=step * 0.25 + 0.25))
        midi.instruments.append(track)
        midi.write(str(folder / f"random_{index}.mid"))
    config = DjaiConfig(model_type="gru", n_layers=1, n_units=64, sequence_length_i=16, sequence_length_o=8,
                        batch_size=16, learning_rate=0.01, dropout=0.0)
    output = tmp_path / "m.keras"
    train(scan_midi_files(folder), config, output, epochs=8, patience=8, lr_patience=1,
          validation_split=0.2, cache_dir=None, verbose=0, plot=False)
    with open(tmp_path / "m.training.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    losses = [float(row["val_loss"]) for row in rows]
    rates = [float(row["learning_rate"]) for row in rows]  # the rate each epoch ran at
    assert rates[0] == pytest.approx(0.01)
    best = float("inf")
    halvings = 0
    for epoch in range(1, len(rows)):
        # stalled: the epoch did not beat the best so far by more than the documented margin
        stalled = not losses[epoch - 1] < best - LR_MIN_DELTA
        if not stalled:
            best = losses[epoch - 1]
        expected = max(rates[epoch - 1] * (LR_REDUCTION_FACTOR if stalled else 1.0), MIN_LEARNING_RATE)
        assert rates[epoch] == pytest.approx(expected), (epoch, losses, rates)
        halvings += stalled
    assert halvings >= 1, (losses, rates)  # the schedule really acted in this run


class FakeOptimizer:
    def __init__(self) -> None:
        import keras

        self.learning_rate = keras.Variable(1.0, dtype="float32")


class FakeModel:
    def __init__(self) -> None:
        self.optimizer = FakeOptimizer()


def rates_of(schedule, batches: int, epoch: int = 0, tick=lambda: None) -> list[float]:
    schedule.set_model(FakeModel())
    schedule.on_epoch_begin(epoch)
    rates = []
    for batch in range(batches):
        tick()
        schedule.on_train_batch_begin(batch)
        rates.append(float(schedule.model.optimizer.learning_rate.numpy()))
    return rates


def test_cosine_schedule_warms_up_then_decays_to_the_floor_at_the_last_batch():
    from djai_live.training import LR_FLOOR, WARMUP_STEPS, CosineToEnd

    peak, steps = 0.01, 50
    rates = rates_of(CosineToEnd(peak, steps_per_epoch=steps, epochs=1), steps + 1)
    assert rates[0] == pytest.approx(0.1 * peak, rel=1e-5)  # warm-up starts at a tenth
    assert all(a < b for a, b in zip(rates[:WARMUP_STEPS - 1], rates[1:WARMUP_STEPS]))
    assert max(rates) <= peak * (1 + 1e-6)
    assert all(a > b for a, b in zip(rates[WARMUP_STEPS:steps], rates[WARMUP_STEPS + 1:steps + 1]))
    assert rates[steps // 2] == pytest.approx(peak * (LR_FLOOR + (1 - LR_FLOOR) * 0.5), rel=1e-5)  # half way
    assert rates[steps] == pytest.approx(LR_FLOOR * peak, rel=1e-5)  # the end of the run: the floor


def test_cosine_schedule_follows_the_clock_when_time_runs_out_first():
    from djai_live.training import LR_FLOOR, CosineToEnd

    now = [100.0]

    def tick() -> None:
        now[0] += 1.0  # one second a batch

    # 60 s from the start; the first batch comes at 101 s, 10 s later: 50 s are left for the decay.
    schedule = CosineToEnd(0.01, steps_per_epoch=1000, epochs=10, seconds=60.0, clock=lambda: now[0],
                           started=91.0)
    rates = rates_of(schedule, 61, tick=tick)
    assert rates[25] == pytest.approx(0.01 * (LR_FLOOR + (1 - LR_FLOOR) * 0.5), rel=1e-5)
    assert rates[50] == pytest.approx(LR_FLOOR * 0.01, rel=1e-5)
    assert rates[60] == pytest.approx(LR_FLOOR * 0.01, rel=1e-5)  # past the limit it stays at the floor


def test_cosine_schedule_resumes_where_the_epochs_left_it():
    from djai_live.training import CosineToEnd

    fresh = rates_of(CosineToEnd(0.01, steps_per_epoch=10, epochs=4), 40)
    resumed = rates_of(CosineToEnd(0.01, steps_per_epoch=10, epochs=4), 12, epoch=2)
    # after the resumed run's own warm-up, its rates are the fresh run's third epoch
    assert resumed[11] == pytest.approx(fresh[31], rel=1e-5)
    assert resumed[0] < fresh[20]


def test_training_state_is_built_before_fit_so_the_step_is_traced_once():
    from djai_live.encoding import FEATURES
    from djai_live.model import build_model, compile_model
    from djai_live.streaming import WindowStream
    from djai_live.training import build_training_state

    config = DjaiConfig(model_type="gru", n_layers=1, n_units=8, sequence_length_i=8, batch_size=4)
    model = build_model(config)
    compile_model(model, config)
    assert not model.optimizer.built
    windows = cut_windows([np.ones((20, len(FEATURES)), np.int32)], length=8)
    # the training stream's own dataset, fed these windows
    stream = SimpleNamespace(config=config, window_count=len(windows), shuffle=False,
                             chunks=lambda: iter([(windows.inputs, windows.targets, windows.mask)]))
    build_training_state(model, WindowStream.dataset(stream))
    assert model.optimizer.built
    assert len(model.optimizer.variables) >= 2 * len(model.trainable_variables)  # Adam's two moments each
