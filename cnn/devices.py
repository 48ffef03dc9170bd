"""Devices: data parallelism over every visible device (JAX), and the device's name for the results."""

from __future__ import annotations

import keras

from hsbench.cnn.config import Config
from hsbench.cnn.errors import InputError


def set_up_devices(config: Config) -> int:
    """Install data parallelism for `--devices all`; return the number of devices a step runs on."""
    if config.devices == "1":
        return 1
    if keras.backend.backend() != "jax":
        raise InputError(f"--devices all needs the JAX backend (KERAS_BACKEND=jax), not {keras.backend.backend()}")
    devices = keras.distribution.list_devices()
    if config.batch_size % len(devices):
        raise InputError(f"--batch-size {config.batch_size} is not divisible by the {len(devices)} devices")
    # The global batch is split across devices; gradients are averaged, so one step equals a one-device step.
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    return len(devices)


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
