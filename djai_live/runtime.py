"""The fast inference path: the trained weights run one note at a time in NumPy.

``model.predict`` costs tens of milliseconds per call on a CPU; one step here costs tens of
microseconds. Embeddings and the linear input projection are folded into one lookup table per feature
(and, for recurrent models, through the first layer's input kernel too), so feeding a note is a few table
lookups plus the recurrent matrix products. :func:`make_runtime` picks the implementation for the model
type; all share ``initial_state`` / ``step`` / ``prime`` and return logits per head.

States are never modified in place, so the engine can branch a generation off the performer's context.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from .config import DjaiConfig
from .encoding import FEATURES
from .model_files import sinusoidal_table
from .transposition import ViewMixer, transpose_pitches

Logits = dict[str, np.ndarray]


class Runtime(Protocol):
    """What every runtime of :func:`make_runtime` offers the generator and the live engine."""

    def initial_state(self) -> tuple: ...

    def step(self, token: Sequence[int] | np.ndarray, state: tuple) -> tuple[Logits, tuple]: ...

    def prime(self, tokens: np.ndarray, state: Any = None) -> tuple[Logits, Any]: ...


def _weights(model, name: str) -> list[np.ndarray]:
    return [np.asarray(w, dtype=np.float32) for w in model.get_layer(name).get_weights()]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # overflow-free and exact


class _Base:
    def __init__(self, model, config: DjaiConfig) -> None:
        self.config = config
        projection_kernel, self.projection_bias = _weights(model, "input_projection")
        embeddings = [_weights(model, f"{name}_embedding")[0] for name in ("pitch", "dt", "duration", "velocity")]
        embeddings.append(np.eye(config.num_instruments, dtype=np.float32))
        embeddings.append(_weights(model, "interval_embedding")[0])
        self.feature_tables: list[np.ndarray] = []
        row = 0
        for table in embeddings:
            width = table.shape[1]
            self.feature_tables.append(table @ projection_kernel[row:row + width])
            row += width
        heads = [_weights(model, name + "_logits") for name in config.head_names]
        self.head_kernel = np.concatenate([kernel for kernel, _ in heads], axis=1)
        self.head_bias = np.concatenate([bias for _, bias in heads])
        sizes = np.cumsum([0] + [bias.shape[0] for _, bias in heads])
        self.head_slices = {name: slice(sizes[i], sizes[i + 1]) for i, name in enumerate(config.head_names)}

    def _input(self, tables: list[np.ndarray], bias: np.ndarray, token: Sequence[int] | np.ndarray) -> np.ndarray:
        """The summed input of one token (6,), or of a batch of them (batch, 6)."""
        if np.ndim(token) == 2:
            return bias + sum(table[column] for table, column in zip(tables, np.asarray(token).T))
        x = bias.copy()
        for table, value in zip(tables, token):
            x += table[value]
        return x

    def _heads(self, hidden: np.ndarray) -> Logits:
        flat = hidden @ self.head_kernel + self.head_bias
        return {name: flat[..., part] for name, part in self.head_slices.items()}

    def initial_state(self) -> tuple:
        raise NotImplementedError  # each runtime has its own state

    def step(self, token: Sequence[int] | np.ndarray, state: tuple) -> tuple[Logits, tuple]:
        raise NotImplementedError

    def prime(self, tokens: np.ndarray, state: Any = None) -> tuple[Logits, Any]:
        """Feed (n, 6) tokens from ``state`` (fresh if None); logits after the last one."""
        state = self.initial_state() if state is None else state
        if len(tokens) == 0:
            raise ValueError("prime needs at least one note")
        logits: Logits = {}  # replaced: there is at least one token
        for token in np.asarray(tokens, dtype=np.int64):
            logits, state = self.step(token, state)
        return logits, state


class RecurrentRuntime(_Base):
    """GRU or LSTM stacks, stepped in NumPy with the Keras gate layouts (GRU with reset_after).

    ``step`` also takes a batch: tokens (batch, 6) with a state of (batch, units) arrays, which costs
    little more than one token (the weight matrices are read once)."""

    def __init__(self, model, config: DjaiConfig) -> None:
        super().__init__(model, config)
        self.is_gru = config.model_type == "gru"
        self.layers = []
        for i in range(config.n_layers):
            kernel, recurrent, bias = _weights(model, f"rnn_{i}")
            if self.is_gru:
                input_bias, recurrent_bias = bias[0], bias[1]
            else:
                input_bias, recurrent_bias = bias, np.zeros_like(bias)
            self.layers.append((kernel, recurrent, input_bias, recurrent_bias))
        self.norms = [_weights(model, f"rnn_norm_{i}") for i in range(config.n_layers)]
        first_kernel, _, first_bias, _ = self.layers[0]
        self.first_tables = [table @ first_kernel for table in self.feature_tables]
        self.first_bias = self.projection_bias @ first_kernel + first_bias
        self.units = config.n_units

    def initial_state(self) -> tuple:
        zeros = np.zeros(self.units, np.float32)
        return tuple(zeros for _ in range(self.config.n_layers * (1 if self.is_gru else 2)))

    def step(self, token: Sequence[int] | np.ndarray, state: tuple) -> tuple[Logits, tuple]:
        u = self.units
        norm = _layer_norm_vector if np.ndim(token) == 1 else _layer_norm
        new_state = []
        x_gates = self._input(self.first_tables, self.first_bias, token)
        hidden = x_gates  # a placeholder: the first layer sets it, the second on read it
        for i, (kernel, recurrent, input_bias, recurrent_bias) in enumerate(self.layers):
            if i:
                x_gates = norm(hidden, *self.norms[i - 1]) @ kernel + input_bias
            if self.is_gru:
                h = state[i]
                inner = h @ recurrent + recurrent_bias
                gates = _sigmoid(x_gates[..., :2 * u] + inner[..., :2 * u])  # update and reset gates in one pass
                z = gates[..., :u]
                candidate = np.tanh(x_gates[..., 2 * u:] + gates[..., u:] * inner[..., 2 * u:])
                hidden = candidate + z * (h - candidate)  # = z*h + (1-z)*candidate
                new_state.append(hidden)
            else:
                h, c = state[2 * i], state[2 * i + 1]
                gates = x_gates + h @ recurrent
                c = _sigmoid(gates[..., u:2 * u]) * c + _sigmoid(gates[..., :u]) * np.tanh(gates[..., 2 * u:3 * u])
                hidden = _sigmoid(gates[..., 3 * u:]) * np.tanh(c)
                new_state.extend((hidden, c))
        return self._heads(norm(hidden, *self.norms[-1])), tuple(new_state)


class TransformerRuntime(_Base):
    """The causal Transformer with a key/value cache over the last ``sequence_length_i`` notes.

    While the window fills, a step computes only the new position; once full, the window slides and is
    recomputed, so the model always sees exactly what Keras would see for that window.
    """

    def __init__(self, model, config: DjaiConfig) -> None:
        super().__init__(model, config)
        self.positions = sinusoidal_table(config.sequence_length_i, config.n_units)
        self.heads, self.key_dim = config.n_heads, config.n_units // config.n_heads
        self.blocks = []
        for i in range(config.n_layers):
            attention = model.get_layer(f"attention_{i}")
            parts = {key: [np.asarray(w, np.float32) for w in getattr(attention, attribute).get_weights()]
                     for key, attribute in (("q", "_query_dense"), ("k", "_key_dense"), ("v", "_value_dense"),
                                            ("o", "_output_dense"))}
            self.blocks.append({
                **{key: tuple(value) for key, value in parts.items()},
                "norm1": _weights(model, f"attention_norm_{i}"),
                "ffn_in": _weights(model, f"ffn_in_{i}"),
                "ffn_out": _weights(model, f"ffn_out_{i}"),
                "norm2": _weights(model, f"ffn_norm_{i}"),
            })

    def initial_state(self) -> tuple:
        return ()  # the tokens in the window; caches ride along after them

    def step(self, token: Sequence[int] | np.ndarray, state: tuple) -> tuple[Logits, tuple]:
        tokens = state[0] if state else np.zeros((0, len(FEATURES)), np.int64)
        caches = state[1] if state else None
        tokens = np.vstack([tokens, np.asarray(token, np.int64)[None]])
        if len(tokens) > self.config.sequence_length_i or caches is None:
            tokens = tokens[-self.config.sequence_length_i:]
            hidden, caches = self._forward(tokens, None)
        else:
            hidden, caches = self._forward(tokens[-1:], caches)
        return self._heads(hidden[-1]), (tokens, caches)

    def _embed(self, tokens: np.ndarray, first_position: int) -> np.ndarray:
        x = np.repeat(self.projection_bias[None], len(tokens), axis=0)
        for table, column in zip(self.feature_tables, tokens.T):
            x += table[column]
        return x + self.positions[first_position:first_position + len(tokens)]

    def _forward(self, tokens: np.ndarray, caches: list | None) -> tuple[np.ndarray, list]:
        start = 0 if caches is None else caches[0][0].shape[0]
        x = self._embed(tokens, start)
        new_caches = []
        for i, block in enumerate(self.blocks):
            q = np.einsum("tc,chd->thd", x, block["q"][0]) + block["q"][1]
            k = np.einsum("tc,chd->thd", x, block["k"][0]) + block["k"][1]
            v = np.einsum("tc,chd->thd", x, block["v"][0]) + block["v"][1]
            if caches is not None:
                k = np.concatenate([caches[i][0], k])
                v = np.concatenate([caches[i][1], v])
            new_caches.append((k, v))
            scores = np.einsum("qhd,khd->hqk", q / np.sqrt(self.key_dim), k)
            total = k.shape[0]
            causal = np.arange(total)[None, :] > (np.arange(start, start + len(tokens))[:, None])
            scores = np.where(causal[None], -np.inf, scores)
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            attended = np.einsum("hqk,khd->qhd", scores, v)
            attended = np.einsum("qhd,hdc->qc", attended, block["o"][0]) + block["o"][1]
            x = _layer_norm(x + attended, *block["norm1"])
            hidden = np.maximum(x @ block["ffn_in"][0] + block["ffn_in"][1], 0.0)
            x = _layer_norm(x + hidden @ block["ffn_out"][0] + block["ffn_out"][1], *block["norm2"])
        return x, new_caches


def _layer_norm_vector(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *,
                       epsilon: float = 1e-6) -> np.ndarray:
    """Layer normalization of one vector, in the fewest NumPy calls (ndarray.mean costs 5x a sum)."""
    centred = x - x.sum() * (1.0 / x.shape[0])
    variance = np.dot(centred, centred) * (1.0 / x.shape[0])
    return centred * (gamma * (1.0 / np.sqrt(variance + epsilon))) + beta


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *, epsilon: float = 1e-6) -> np.ndarray:
    centred = x - x.mean(axis=-1, keepdims=True)
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred * (gamma / np.sqrt(variance + epsilon)) + beta


class TranspositionAveraging:
    """A runtime whose predictions are averaged over 2N+1 transposed views of the context
    (:mod:`djai_live.transposition`). Same interface as the runtime it wraps; its logits are the
    mixture's log-probabilities. Recurrent views run as one batch; Transformer views one after another."""

    def __init__(self, runtime: RecurrentRuntime | TransformerRuntime, spread: int) -> None:
        self.runtime, self.config = runtime, runtime.config
        self.mixer = ViewMixer(spread)
        self.batched = isinstance(runtime, RecurrentRuntime)

    def initial_state(self) -> tuple:
        views = len(self.mixer.shifts)
        if self.batched:
            return tuple(np.tile(part, (views, 1)) for part in self.runtime.initial_state())
        return tuple(self.runtime.initial_state() for _ in range(views))

    def step(self, token: Sequence[int] | np.ndarray, state: tuple) -> tuple[Logits, tuple]:
        tokens = np.tile(np.asarray(token, np.int64), (len(self.mixer.shifts), 1))
        tokens[:, 0] = transpose_pitches(tokens[:, 0], self.mixer.shifts)
        if self.batched:
            logits, state = self.runtime.step(tokens, state)
        else:
            steps = [self.runtime.step(view_token, view_state) for view_token, view_state in zip(tokens, state)]
            logits = {head: np.stack([view_logits[head] for view_logits, _ in steps]) for head in steps[0][0]}
            state = tuple(view_state for _, view_state in steps)
        return self.mixer.mix(logits), state

    prime = _Base.prime


def single_threaded_blas() -> None:
    """Keep NumPy's BLAS on one thread for the rest of this process (the daemon, ``generate``).

    The runtime's matrix products are small: extra BLAS threads only add wake-ups, and when other
    processes keep the cores busy (a DAW, training) they wait for each other: a 7-view step measured
    11 ms with OpenBLAS' threads against 1.3 ms on one, on this 2-core machine under load."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


def make_runtime(model, config: DjaiConfig) -> RecurrentRuntime | TransformerRuntime | TranspositionAveraging:
    """The NumPy step runtime for a model built by :func:`djai_live.model.build_model`: a Keras model, or
    a :class:`djai_live.model_files.StoredModel` read from its file without TensorFlow. With
    ``config.average_transpositions`` N > 0, its predictions are averaged over 2N+1 transposed views."""
    if config.model_type == "transformer":
        runtime: RecurrentRuntime | TransformerRuntime = TransformerRuntime(model, config)
    else:
        runtime = RecurrentRuntime(model, config)
    if config.average_transpositions:
        return TranspositionAveraging(runtime, config.average_transpositions)
    return runtime
