"""Devices: data parallelism over every visible device (JAX), of one process or several, and the device's name."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import keras
import numpy as np

from hsbench.cnn.config import Config
from hsbench.cnn.distributed import Launch, check_launch, initialize
from hsbench.cnn.errors import InputError


def set_up_devices(config: Config, launch: Launch) -> int:
    """Install data parallelism for `--devices all`; return the number of devices a step runs on.

    A multi-process launch joins JAX's distributed runtime first, so the devices listed are
    those of every process.
    """
    check_launch(launch, keras.backend.backend(), config.devices)
    if config.devices == "1":
        return 1
    if keras.backend.backend() != "jax":
        raise InputError(f"--devices all needs the JAX backend (KERAS_BACKEND=jax), not {keras.backend.backend()}")
    initialize(launch)
    devices = keras.distribution.list_devices()
    if config.batch_size % len(devices):
        raise InputError(f"--batch-size {config.batch_size} is not divisible by the {len(devices)} devices")
    # The global batch is split across devices; gradients are averaged, so one step equals a one-device step.
    # auto_shard_dataset=False: each process already feeds its own slice (WindowDataset's shard)
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices, auto_shard_dataset=False))
    return len(devices)


@contextlib.contextmanager
def undistributed() -> Iterator[None]:
    """No Keras distribution inside: for what one process does alone.

    Saving a model makes Keras create variables (a throw-away optimizer); under a multi-process
    distribution that is a collective every process must join, so process 0 saving alone would
    wait forever. Replicated weights read locally, so saving without the distribution is safe.
    """
    previous = keras.distribution.distribution()
    keras.distribution.set_distribution(None)
    try:
        yield
    finally:
        keras.distribution.set_distribution(previous)


def predict(model: keras.Model, data: keras.utils.PyDataset, launch: Launch) -> np.ndarray:
    """Class probabilities for `data`, on every process.

    A multi-process model's outputs are sharded over all processes and no process can read them
    whole, so there each process predicts with a local copy (same weights, no distribution).
    """
    if not launch.multi:
        return model.predict(data, verbose=0)
    weights = model.get_weights()  # replicated: every process reads them locally
    with undistributed():
        copy = keras.models.clone_model(model)
        copy.set_weights(weights)
        return copy.predict(data, verbose=0)


def device_name() -> str:
    """"cpu", or the first accelerator's name as the backend reports it."""
    backend = keras.backend.backend()
    try:
        if backend == "torch":  # keras.distribution has no torch implementation: ask torch
            import torch

            return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
        devices = keras.distribution.list_devices()
        if not any(d.lower().startswith(("gpu", "cuda")) for d in devices):
            return "cpu"
        if backend == "jax":
            import jax

            return jax.devices()[0].device_kind
        import tensorflow as tf

        gpu = tf.config.list_physical_devices("GPU")[0]
        return tf.config.experimental.get_device_details(gpu).get("device_name", "gpu")
    except Exception:  # a name is nice to have, never worth failing a finished run
        return "unknown"
