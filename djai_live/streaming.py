"""Streaming training input: windows cut on the fly from a prepared corpus, one shard in memory at a time.

Per epoch the shards are visited in a fresh random order, each shard's windows are permuted, and a bounded
shuffle buffer mixes neighbouring shards; then tf.data batches, augments and prefetches. Memory is one
shard plus the shuffle buffer, whatever the size of the corpus. The number of windows is known from the
manifest, so Keras shows a progress bar with a total and distribution strategies know the epoch's length.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from .config import DjaiConfig
from .encoding import FEATURES, Codec, tokens_to_array
from .prepared import PreparedCorpus
from .windows import Windows, cut_windows, shuffle_simultaneous, window_count

SHUFFLE_WINDOWS = 8_192  # shuffle buffer: a fixed number of windows, not a share of the corpus
CHUNK_WINDOWS = 256      # windows handed from Python to tf.data at a time


def sequence_lengths(track_lengths: Sequence[int], config: DjaiConfig) -> list[int]:
    """Lengths of the token sequences a file contributes (see :meth:`Codec.sequences`)."""
    return [sum(track_lengths)] if config.num_instruments > 1 else list(track_lengths)


class WindowStream:
    """The training windows of some files of a prepared corpus, produced shard by shard."""

    def __init__(self, store: PreparedCorpus, paths: Sequence[str], config: DjaiConfig, shuffle: bool,
                 seed: int = 0, shuffle_chords: bool = False) -> None:
        """``shuffle_chords``: notes that start together come in a random order (see
        :func:`shuffle_simultaneous`): a fresh order every epoch when ``shuffle``, else a fixed one per shard,
        so that validation losses stay comparable between epochs."""
        self.store, self.config, self.shuffle = store, config, shuffle
        self.shuffle_chords, self.seed = shuffle_chords, seed
        self.groups = store.shards_of(paths)
        self.codec = Codec(config)
        self.rng = np.random.default_rng(seed)
        self.window_count = sum(window_count(length, config.sequence_length_i)
                                for members in self.groups.values()
                                for lengths in store.track_lengths(members)
                                for length in sequence_lengths(lengths, config))

    def __len__(self) -> int:
        return self.window_count

    def shard_windows(self, shard: str) -> Windows:
        pieces = self.store.read_shard(shard, self.groups[shard])
        sequences = [tokens_to_array(tokens) for piece in pieces for tokens in self.codec.sequences(piece)]
        if self.shuffle_chords:
            rng = self.rng if self.shuffle else np.random.default_rng([self.seed, list(self.groups).index(shard)])
            sequences = [shuffle_simultaneous(tokens, rng) for tokens in sequences]
        return cut_windows(sequences, self.config.sequence_length_i)

    def chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """One epoch, in chunks of at most CHUNK_WINDOWS windows."""
        shards = list(self.groups)
        if self.shuffle:
            shards = [shards[i] for i in self.rng.permutation(len(shards))]
        for shard in shards:
            windows = self.shard_windows(shard)
            order = self.rng.permutation(len(windows)) if self.shuffle else np.arange(len(windows))
            for start in range(0, len(order), CHUNK_WINDOWS):
                picked = order[start:start + CHUNK_WINDOWS]
                yield windows.inputs[picked], windows.targets[picked], windows.mask[picked]

    def dataset(self, transpose: int = 0, seed: int = 0):
        """(inputs, targets, sample weights) dicts, batched and prefetched, with a known length."""
        import tensorflow as tf

        length = self.config.sequence_length_i
        spec = (tf.TensorSpec((None, length, len(FEATURES)), tf.int32),
                tf.TensorSpec((None, length, len(FEATURES)), tf.int32),
                tf.TensorSpec((None, length), tf.float32))
        data = tf.data.Dataset.from_generator(self.chunks, output_signature=spec).unbatch()
        data = data.apply(tf.data.experimental.assert_cardinality(self.window_count))
        if self.shuffle:
            data = data.shuffle(min(max(self.window_count, 1), SHUFFLE_WINDOWS), seed=seed,
                                reshuffle_each_iteration=True)
        data = data.batch(self.config.batch_size)
        heads = self.config.head_names

        def to_dicts(inputs, targets, mask):
            if transpose:
                inputs, targets = random_transposition(inputs, targets, mask, transpose)
            x = {name: inputs[:, :, i] for i, name in enumerate(FEATURES)}
            y = {name: targets[:, :, FEATURES.index(name)] for name in heads}
            w = {name: mask for name in heads}
            return x, y, w

        options = tf.data.Options()
        # A generator cannot be split by file; DATA sharding gives every worker its slice of each batch.
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        return (data.map(to_dicts, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
                .with_options(options))


def random_transposition(inputs, targets, mask, semitones: int):
    """Shift each window's pitches by a random interval that keeps every real note inside 0-127."""
    import tensorflow as tf

    real = mask > 0
    pitches = tf.concat([inputs[:, :, 0], targets[:, :, 0]], axis=1)
    both = tf.concat([real, real], axis=1)
    highest = tf.reduce_max(tf.where(both, pitches, 0), axis=1)
    lowest = tf.reduce_min(tf.where(both, pitches, 127), axis=1)
    low = tf.maximum(-semitones, -lowest)
    high = tf.minimum(semitones, 127 - highest)
    shift = low + tf.cast(tf.floor(tf.random.uniform(tf.shape(low)) * tf.cast(high - low + 1, tf.float32)), tf.int32)
    shift = tf.minimum(shift, high)[:, None]
    offset = tf.stack([shift] + [tf.zeros_like(shift)] * (len(FEATURES) - 1), axis=-1)
    return inputs + offset * tf.cast(real, tf.int32)[:, :, None], targets + offset * tf.cast(real, tf.int32)[:, :, None]
