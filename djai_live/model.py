"""The network: LSTM, GRU or causal Transformer over encoded notes, with one softmax head per feature.

Model files are ``.keras`` zips with the :class:`DjaiConfig` added as ``djai_config.json``; they are
written atomically (temporary file, fsync, rename) and loaded with Keras' safe mode.
"""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from .config import DjaiConfig
from .encoding import FEATURES, Codec
from .files import atomic_path
from .model_files import (CONFIG_ENTRY, DEFAULT_MODEL, ModelFileError, default_model_path, read_config,  # noqa: F401
                          resolve_model_path, sinusoidal_table)
from .tensorflow_import import import_tensorflow_quietly

import_tensorflow_quietly()
import keras  # noqa: E402  (after the quiet import above, this only binds the name)
from keras import layers, ops  # noqa: E402

@keras.saving.register_keras_serializable(package="djai_live")
class PositionalEncoding(layers.Layer):
    """Adds the sinusoidal position encoding of Vaswani et al. to a (batch, time, features) tensor."""

    def __init__(self, max_length: int = 2048, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_length = max_length

    def build(self, input_shape) -> None:
        depth = int(input_shape[-1])
        self.table = ops.convert_to_tensor(sinusoidal_table(self.max_length, depth))
        super().build(input_shape)

    def call(self, inputs):
        length = ops.shape(inputs)[1]
        table = ops.slice(self.table, (0, 0), (length, ops.shape(self.table)[1]))
        return inputs + ops.cast(table[None], inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "max_length": self.max_length}


@keras.saving.register_keras_serializable(package="djai_live")
class OneHot(layers.Layer):
    """Instrument identity as a one-hot vector, as in the original djai."""

    def __init__(self, depth: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.depth = depth

    def call(self, inputs):
        return ops.one_hot(inputs, self.depth)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.depth)

    def get_config(self) -> dict:
        return {**super().get_config(), "depth": self.depth}


def build_model(config: DjaiConfig, seed: int | None = None) -> keras.Model:
    """A Keras model mapping token windows to next-note logits for every head at every position."""
    if seed is not None:
        keras.utils.set_random_seed(seed)
    sizes = Codec(config).vocab_sizes
    inputs = {name: keras.Input(shape=(None,), dtype="int32", name=name) for name in FEATURES}
    parts = [
        layers.Embedding(128, config.pitch_embedding, name="pitch_embedding")(inputs["pitch"]),
        layers.Embedding(sizes["dt"], config.time_embedding, name="dt_embedding")(inputs["dt"]),
        layers.Embedding(sizes["duration"], config.time_embedding, name="duration_embedding")(inputs["duration"]),
        layers.Embedding(sizes["velocity"], config.velocity_embedding, name="velocity_embedding")(inputs["velocity"]),
        OneHot(config.num_instruments, name="instrument_onehot")(inputs["instrument"]),
        layers.Embedding(sizes["interval"], config.time_embedding, name="interval_embedding")(inputs["interval"]),
    ]
    x = layers.Concatenate(name="features")(parts)
    x = layers.Dense(config.n_units, name="input_projection")(x)
    if config.model_type == "transformer":
        x = PositionalEncoding(name="positional_encoding")(x)
        x = layers.Dropout(config.dropout, name="input_dropout")(x)
        for i in range(config.n_layers):
            x = _transformer_block(x, config, i)
    else:
        recurrent = layers.GRU if config.model_type == "gru" else layers.LSTM
        for i in range(config.n_layers):
            x = recurrent(config.n_units, return_sequences=True, name=f"rnn_{i}")(x)
            # Without it the small recurrent outputs let the easy timing heads stall pitch learning
            # (measured: a GRU never learned an 8-note cycle; with it, in 8 epochs).
            x = layers.LayerNormalization(epsilon=1e-6, name=f"rnn_norm_{i}")(x)
            x = layers.Dropout(config.dropout, name=f"rnn_dropout_{i}")(x)
    outputs = {name: layers.Dense(sizes[name], name=name + "_logits")(x) for name in config.head_names}
    return keras.Model(inputs=inputs, outputs=outputs, name=f"djai_live_{config.model_type}")


def _transformer_block(x, config: DjaiConfig, index: int):
    attention = layers.MultiHeadAttention(num_heads=config.n_heads, key_dim=config.n_units // config.n_heads,
                                          dropout=config.dropout, name=f"attention_{index}")
    attended = attention(x, x, use_causal_mask=True)
    x = layers.LayerNormalization(epsilon=1e-6, name=f"attention_norm_{index}")(
        layers.Add()([x, layers.Dropout(config.dropout)(attended)]))
    hidden = layers.Dense(4 * config.n_units, activation="relu", name=f"ffn_in_{index}")(x)
    hidden = layers.Dense(config.n_units, name=f"ffn_out_{index}")(hidden)
    return layers.LayerNormalization(epsilon=1e-6, name=f"ffn_norm_{index}")(
        layers.Add()([x, layers.Dropout(config.dropout)(hidden)]))


def compile_model(model: keras.Model, config: DjaiConfig, jit_compile: bool | str = "auto") -> None:
    """Losses, metrics and optimizer; ``jit_compile`` as Keras' (its "auto" leaves XLA off on CPUs).

    Build and compile under a tf.distribute strategy's scope to train distributed."""
    losses = {name: keras.losses.SparseCategoricalCrossentropy(from_logits=True) for name in config.head_names}
    metrics = {"pitch": [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]}
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=1.0), loss=losses,
                  loss_weights=config.head_loss_weights(), metrics=metrics, jit_compile=jit_compile)


def save_model(model: keras.Model, config: DjaiConfig, path: str | os.PathLike) -> Path:
    """Write ``model`` and ``config`` to ``path`` atomically: an interrupted save keeps the old file."""
    target = Path(path)
    if target.suffix != ".keras":
        raise ValueError(f"model files end in .keras, got {target}")
    if getattr(model, "optimizer", None) is not None:
        # A model file carries weights only (optimizer state is for --resume, kept in the checkpoint):
        # an uncompiled twin from the same config gets the weights (clone_model keeps the compile state).
        bare = build_model(config)
        bare.set_weights(model.get_weights())
        model = bare
    with atomic_path(target, suffix=".tmp.keras") as temporary:
        model.save(temporary)
        with zipfile.ZipFile(temporary, "a") as archive:
            archive.writestr(CONFIG_ENTRY, config.to_json())
    return target


def load_model(path: str | os.PathLike | None = None) -> tuple[keras.Model, DjaiConfig]:
    """Load a model file (the bundled one for None/"default") in Keras' safe mode.

    Raises:
        ModelFileError: as :func:`read_config`, or Keras could not rebuild the model.
    """
    path = resolve_model_path(path)
    config = read_config(path)
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as error:
        raise ModelFileError(f"{path}: Keras could not load the model ({type(error).__name__}: {error})") from None
    return model, config


def logits_to_log_probs(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def keras_log_probs(model: keras.Model, windows: np.ndarray, batch_size: int = 256) -> dict[str, np.ndarray]:
    """Log-probabilities of every head at every position for (N, T, 6) token windows, by Keras."""
    inputs = {name: windows[:, :, i] for i, name in enumerate(FEATURES)}
    outputs = model.predict(inputs, batch_size=batch_size, verbose=0)
    return {name: logits_to_log_probs(np.asarray(value, np.float64))
            for name, value in outputs.items()}


def describe(config: DjaiConfig, model: keras.Model | None = None) -> str:
    text = (f"{config.model_type} {config.n_layers}x{config.n_units}, sequence {config.sequence_length_i}"
            f"->{config.sequence_length_o}, {config.num_instruments} instrument(s)")
    if model is not None:
        text += f", {model.count_params():,} parameters"
    return text


__all__ = ["PositionalEncoding", "OneHot", "build_model", "compile_model", "save_model", "load_model",
           "read_config", "resolve_model_path", "default_model_path", "ModelFileError", "keras_log_probs"]
