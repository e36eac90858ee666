"""Choosing a tf.distribute strategy for training: one device, every device of this machine, or a cluster.

``mirrored`` replicates the model on every GPU of the machine (or, with no GPU, on every logical CPU
device: see :func:`split_cpu`) and averages gradients each step. ``multi-worker`` does the same across
processes or machines described by the ``TF_CONFIG`` environment variable, as TensorFlow documents it:

    TF_CONFIG='{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}'

Worker 0 is the chief: it writes the model, the curve and the checkpoint; the others write theirs to a
scratch directory. The global batch is ``batch_size``, split between replicas.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

STRATEGIES = ("none", "mirrored", "multi-worker")


class DistributeError(Exception):
    """A distribution setting that cannot work here, in words."""


def split_cpu(devices: int) -> None:
    """Show the CPU to TensorFlow as ``devices`` logical devices (to mirror on a machine without GPUs).

    Must run before TensorFlow has started its runtime (before any op or strategy is created).
    """
    import tensorflow as tf

    if devices < 2:
        return
    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * devices)
    except RuntimeError as error:
        raise DistributeError(f"cannot split the CPU into {devices} devices now: {error}") from None


def make_strategy(kind: str = "none"):
    """The tf.distribute strategy for ``kind`` (one of STRATEGIES).

    Raises:
        DistributeError: an unknown kind, or multi-worker without a usable TF_CONFIG.
    """
    import tensorflow as tf

    if kind == "none":
        return tf.distribute.get_strategy()
    if kind == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        if gpus:
            return tf.distribute.MirroredStrategy()
        cpus = [device.name for device in tf.config.list_logical_devices("CPU")]
        # NCCL is for GPUs; on CPUs gradients are summed on one device.
        return tf.distribute.MirroredStrategy(devices=cpus,
                                              cross_device_ops=tf.distribute.ReductionToOneDevice())
    if kind == "multi-worker":
        _check_tf_config()
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise DistributeError(f"unknown --distribute {kind!r}; choose one of {', '.join(STRATEGIES)}")


def _check_tf_config() -> None:
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise DistributeError("--distribute multi-worker needs TF_CONFIG describing the cluster and this "
                              "worker's index (see README, 'Training on several machines')")
    try:
        config = json.loads(raw)
        workers = config["cluster"]["worker"]
        index = int(config["task"]["index"])
        if config["task"]["type"] not in ("worker", "chief") or not workers:
            raise ValueError("task type must be worker or chief")
    except (ValueError, KeyError, TypeError) as error:
        raise DistributeError(f"TF_CONFIG is not a usable cluster description ({error}): {raw}") from None
    if config["task"]["type"] == "worker" and not 0 <= index < len(workers):
        raise DistributeError(f"TF_CONFIG task index {index} is outside the {len(workers)} workers")


def is_chief(strategy) -> bool:
    """Whether this process writes the results: always, except on non-chief multi-worker workers."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    if has_chief:
        return resolver.task_type == "chief"
    return resolver.task_type == "worker" and resolver.task_id == 0


def worker_scratch_dir(strategy) -> Path:
    resolver = strategy.cluster_resolver
    return Path(tempfile.mkdtemp(prefix=f"djai_live_{resolver.task_type}{resolver.task_id}_"))


def fix_keras_multi_worker(model) -> None:
    """Work around two Keras 3 bugs that stop ``fit`` under MultiWorkerMirroredStrategy.

    keras-team/keras#20585 and #20329 (open at Keras 3.15): (1) before the first step, Keras averages the
    first batch across workers with ``strategy.reduce`` on the whole nested batch, which collective
    reduction cannot take; any replica's batch serves to build the model, so the local one is used;
    (2) the logs are averaged across workers with ``axis=0`` although they are scalars. Both only touch
    shapes and logged values; gradients are all-reduced by the strategy as usual (the tests check that
    both workers end with the same weights).
    """
    import types

    import tensorflow as tf
    from keras.src import tree
    from keras.src.backend.tensorflow import trainer as keras_trainer

    def local_symbolic_build(self, iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, batches in iterator:
                batch = next(batches)
                data_batch = tree.map_structure(
                    lambda value: self.distribute_strategy.experimental_local_results(value)[0]
                    if isinstance(value, tf.distribute.DistributedValues) else value, batch)
                break
        with self.distribute_strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    model._maybe_symbolic_build = types.MethodType(local_symbolic_build, model)
    if getattr(keras_trainer.reduce_per_replica, "djai_live_fixed", False):
        return
    original = keras_trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and keras_trainer._collective_all_reduce_multi_worker(strategy):
            return tree.map_structure(
                lambda value: strategy.reduce("MEAN", value, axis=None)
                if isinstance(value, tf.distribute.DistributedValues) else value, values)
        return original(values, strategy, reduction)

    reduce_per_replica.djai_live_fixed = True  # type: ignore[attr-defined]  # a mark on the function object
    keras_trainer.reduce_per_replica = reduce_per_replica
