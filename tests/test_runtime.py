"""The NumPy step runtime must give the Keras model's distributions (|d log p| < 1e-4)."""
import numpy as np
import pytest

from djai_live.config import DjaiConfig
from djai_live.model import build_model, keras_log_probs, logits_to_log_probs
from djai_live.runtime import make_runtime
from tests.test_model import random_windows

TOLERANCE = 1e-4


def perturbed_model(config, seed=0):
    """Random weights large enough that every gate and head matters."""
    model = build_model(config, seed=seed)
    rng = np.random.default_rng(seed)
    model.set_weights([w + rng.normal(0, 0.3, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def keras_reference(model, config, tokens):
    """Keras' log-probabilities after the last of (n, 6) tokens, averaged over transposed views as the
    config asks: each view run through Keras separately, then mixed here from the definition (not with
    the ViewMixer under test): p(q) is the mean over views v of view v's probability of q + s_v, over the
    views where q + s_v is a pitch, renormalized."""
    window = np.asarray(tokens, np.int32)[None]
    spread = config.average_transpositions
    if not spread:
        return {head: values[0, -1] for head, values in keras_log_probs(model, window).items()}
    shifts = range(-spread, spread + 1)
    views = []
    for shift in shifts:
        moved = window.copy()
        moved[..., 0] = np.clip(moved[..., 0] + shift, 0, 127)
        views.append({head: np.exp(values[0, -1].astype(np.float64))
                      for head, values in keras_log_probs(model, moved).items()})
    mixed = {}
    for head in config.head_names:
        if head == "pitch":
            mixture = np.zeros(128)
            for shift, view in zip(shifts, views):
                for pitch in range(128):
                    if 0 <= pitch + shift <= 127:
                        mixture[pitch] += view["pitch"][pitch + shift]
        else:
            mixture = sum(view[head] for view in views)
        with np.errstate(divide="ignore"):
            mixed[head] = np.log(mixture / mixture.sum())
    return mixed


def worst_gap_to_keras(model, config, runtime, tokens) -> float:
    """The largest |d log p| between the runtime stepped through ``tokens`` and Keras, over every position
    and head; also checks both put -inf on the same classes."""
    state = runtime.initial_state()
    worst = 0.0
    for t in range(len(tokens)):
        logits, state = runtime.step(tokens[t], state)
        # recurrent models carry their state; the transformer sees its last sequence_length_i notes
        start = max(0, t + 1 - config.sequence_length_i) if config.model_type == "transformer" else 0
        reference = keras_reference(model, config, tokens[start:t + 1])
        for head in config.head_names:
            ours = logits_to_log_probs(logits[head].astype(np.float64))
            finite = np.isfinite(reference[head])
            assert np.array_equal(finite, np.isfinite(ours))
            worst = max(worst, float(np.abs(ours[finite] - reference[head][finite]).max()))
    return worst


@pytest.mark.parametrize("model_type", ["gru", "lstm", "transformer"])
def test_step_runtime_matches_keras_at_every_position(model_type):
    config = DjaiConfig(model_type=model_type, n_layers=2, n_units=48, n_heads=4, num_instruments=3,
                        sequence_length_i=10)
    model = perturbed_model(config)
    runtime = make_runtime(model, config)
    tokens = random_windows(config, count=1, length=25, seed=1)[0]
    assert worst_gap_to_keras(model, config, runtime, tokens) < TOLERANCE


def test_states_are_not_modified_in_place():
    config = DjaiConfig(n_layers=2, n_units=16)
    runtime = make_runtime(perturbed_model(config), config)
    tokens = random_windows(config, count=1, length=4)[0]
    _, state = runtime.prime(tokens)
    snapshot = [s.copy() for s in state]
    runtime.step(tokens[0], state)
    assert all(np.array_equal(a, b) for a, b in zip(snapshot, state))


def test_the_bundled_model_matches_keras_on_a_real_chorale(chorale):
    from djai_live.corpus import read_midi_notes
    from djai_live.encoding import Codec, tokens_to_array
    from djai_live.model import load_model

    model, config = load_model("default")
    runtime = make_runtime(model, config)
    notes = read_midi_notes(chorale).tracks[0].notes[:config.sequence_length_i]
    tokens = tokens_to_array(Codec(config).encode(notes))
    logits, _ = runtime.prime(tokens)
    reference = keras_reference(model, config, tokens)  # as shipped: with its transposition averaging, if any
    for head in config.head_names:
        finite = np.isfinite(reference[head])
        ours = logits_to_log_probs(logits[head].astype(np.float64))
        assert np.abs(ours[finite] - reference[head][finite]).max() < TOLERANCE


@pytest.mark.parametrize("model_type", ["gru", "lstm", "transformer"])
def test_weights_read_without_tensorflow_give_the_same_runtime(tmp_path, model_type):
    from djai_live.model import save_model
    from djai_live.model_files import StoredModel

    config = DjaiConfig(model_type=model_type, n_layers=2, n_units=32, n_heads=4, num_instruments=2,
                        sequence_length_i=8)
    model = perturbed_model(config, seed=3)
    path = save_model(model, config, tmp_path / "m.keras")
    from_keras, from_file = make_runtime(model, config), make_runtime(StoredModel(path), config)
    tokens = random_windows(config, count=1, length=12, seed=4)[0]
    state_a, state_b = from_keras.initial_state(), from_file.initial_state()
    for token in tokens:
        logits_a, state_a = from_keras.step(token, state_a)
        logits_b, state_b = from_file.step(token, state_b)
        for head in config.head_names:
            assert np.array_equal(logits_a[head], logits_b[head])


def test_a_damaged_weights_file_is_a_model_file_error(tmp_path):
    import zipfile

    from djai_live.model_files import ModelFileError, StoredModel

    broken = tmp_path / "broken.keras"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("config.json", '{"config": {"layers": []}}')
        archive.writestr("model.weights.h5", b"not hdf5")
    with pytest.raises(ModelFileError, match="cannot read the weights"):
        StoredModel(broken)


@pytest.mark.parametrize("model_type", ["gru", "lstm", "transformer"])
def test_transposition_averaging_matches_keras_views_mixed(model_type):
    from djai_live.runtime import TranspositionAveraging

    config = DjaiConfig(model_type=model_type, n_layers=2, n_units=32, n_heads=4, sequence_length_i=12,
                        average_transpositions=2)
    model = perturbed_model(config)
    runtime = make_runtime(model, config)
    assert isinstance(runtime, TranspositionAveraging)
    tokens = random_windows(config, count=1, length=10, seed=2)[0]
    tokens[:2, 0] = (1, 126)  # views that would leave 0..127 are held at the edge
    assert worst_gap_to_keras(model, config, runtime, tokens) < TOLERANCE


def test_a_batch_of_recurrent_steps_equals_the_steps_one_by_one():
    config = DjaiConfig(model_type="gru", n_layers=2, n_units=24)
    runtime = make_runtime(perturbed_model(config), config)
    tokens = random_windows(config, count=3, length=5, seed=3)
    states = [runtime.initial_state() for _ in range(3)]
    batch_state = tuple(np.stack(parts) for parts in zip(*states))
    for t in range(5):
        batch_logits, batch_state = runtime.step(tokens[:, t], batch_state)
        for row in range(3):
            logits, states[row] = runtime.step(tokens[row, t], states[row])
            for head in config.head_names:
                assert np.allclose(batch_logits[head][row], logits[head], atol=1e-5)
