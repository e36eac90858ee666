import numpy as np
import pytest

import djai_live.prepared as prepared_module
from djai_live.config import DjaiConfig
from djai_live.corpus import scan_midi_files
from djai_live.encoding import FEATURES
from djai_live.prepared import PreparedCorpus
from djai_live.streaming import CHUNK_WINDOWS, WindowStream


@pytest.fixture
def store(tmp_path, corpus_dir, monkeypatch):
    monkeypatch.setattr(prepared_module, "SHARD_NOTES", 300)  # several shards from the small test corpus
    prepared = PreparedCorpus(tmp_path / "store")
    prepared.update(scan_midi_files(corpus_dir))
    assert len(set(prepared.shards_of(prepared.usable_files))) >= 3
    return prepared


def test_the_stream_holds_every_window_once_per_epoch(store):
    config = DjaiConfig(sequence_length_i=8, batch_size=16)
    stream = WindowStream(store, store.usable_files, config, shuffle=True, seed=1)
    epochs = []
    for _ in range(2):
        chunks = list(stream.chunks())
        assert all(len(chunk[0]) <= CHUNK_WINDOWS for chunk in chunks)
        inputs = np.concatenate([chunk[0] for chunk in chunks])
        assert len(inputs) == len(stream)
        epochs.append(inputs)
    assert not np.array_equal(epochs[0], epochs[1])  # reshuffled
    key = lambda a: sorted(map(bytes, a))  # noqa: E731
    assert key(epochs[0]) == key(epochs[1])  # same windows


def test_shards_are_read_one_at_a_time_in_a_new_order_each_epoch(store, monkeypatch):
    config = DjaiConfig(sequence_length_i=8)
    stream = WindowStream(store, store.usable_files, config, shuffle=True, seed=3)
    reads = []
    original = store.read_shard
    monkeypatch.setattr(store, "read_shard", lambda shard, paths: reads.append(shard) or original(shard, paths))
    orders = []
    for _ in range(4):
        reads.clear()
        for _ in stream.chunks():
            pass
        assert sorted(reads) == sorted(stream.groups)  # each shard once
        orders.append(tuple(reads))
    assert len(set(orders)) > 1


def test_the_dataset_has_the_announced_length(store):
    config = DjaiConfig(sequence_length_i=8, batch_size=16)
    stream = WindowStream(store, store.usable_files, config, shuffle=True)
    batches = list(stream.dataset(transpose=6).as_numpy_iterator())
    assert len(batches) == -(-len(stream) // 16)
    assert sum(len(x["pitch"]) for x, _, _ in batches) == len(stream)


def test_transposition_moves_each_window_and_its_targets_by_one_interval(store):
    """--transpose: every window (inputs and the targets it is trained to predict) moves by one random
    interval within the limit, nothing but the pitches changes, and every interval is drawn."""
    config = DjaiConfig(sequence_length_i=8, batch_size=16)
    plain = [np.concatenate(parts) for parts in zip(*WindowStream(store, store.usable_files, config,
                                                                   shuffle=False).chunks())]
    inputs, targets, mask = plain
    batches = list(WindowStream(store, store.usable_files, config, shuffle=False)
                   .dataset(transpose=3).as_numpy_iterator())  # unshuffled: window i is plain window i
    moved_inputs = np.stack([np.concatenate([x[name] for x, _, _ in batches]) for name in FEATURES], axis=-1)
    moved_targets = {head: np.concatenate([y[head] for _, y, _ in batches]) for head in config.head_names}
    assert moved_inputs.shape == inputs.shape
    shifts = []
    for i in range(len(inputs)):
        real = mask[i] > 0
        shift = int(moved_inputs[i, 0, 0]) - int(inputs[i, 0, 0])
        assert np.array_equal(moved_inputs[i, real, 0], inputs[i, real, 0] + shift)
        assert np.array_equal(moved_targets["pitch"][i, real], targets[i, real, 0] + shift)
        assert np.array_equal(moved_inputs[i, ~real], inputs[i, ~real])        # padding untouched
        assert np.array_equal(moved_inputs[i, :, 1:], inputs[i, :, 1:])         # only pitches move
        for head in config.head_names:
            if head != "pitch":
                assert np.array_equal(moved_targets[head][i], targets[i, :, FEATURES.index(head)])
        assert moved_inputs[i, real, 0].min() >= 0 and moved_inputs[i, real, 0].max() <= 127
        shifts.append(shift)
    assert set(shifts) == set(range(-3, 4)), sorted(set(shifts))


def test_several_instruments_stream_merged_tracks(store):
    config = DjaiConfig(sequence_length_i=8, num_instruments=4)
    stream = WindowStream(store, store.usable_files, config, shuffle=False)
    instruments = np.concatenate([chunk[0][:, :, 4] for chunk in stream.chunks()])
    assert instruments.max() == 3 and len(np.unique(instruments)) == 4


def test_shuffled_chords_change_order_between_epochs_and_stay_fixed_for_validation(store):
    config = DjaiConfig(sequence_length_i=8, num_instruments=4)
    training = WindowStream(store, store.usable_files, config, shuffle=True, seed=2, shuffle_chords=True)
    epochs = [np.concatenate([chunk[0] for chunk in training.chunks()]) for _ in range(2)]
    key = lambda a: sorted(map(bytes, a))  # noqa: E731
    assert key(epochs[0]) != key(epochs[1])  # the windows themselves differ: chords reordered afresh
    validation = WindowStream(store, store.usable_files, config, shuffle=False, seed=2, shuffle_chords=True)
    plain = WindowStream(store, store.usable_files, config, shuffle=False)
    first, second = ([np.concatenate([c[0] for c in s.chunks()])] for s in (validation, validation))
    assert np.array_equal(first[0], second[0])  # validation: the same order every epoch
    assert not np.array_equal(first[0], np.concatenate([c[0] for c in plain.chunks()]))
