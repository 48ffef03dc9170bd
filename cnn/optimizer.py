"""The optimizer of a `Config`: SGD with Keras 2's per-step decay, or Adam."""

from __future__ import annotations

import keras

from hsbench.cnn.config import Config


def learning_rate(config: Config) -> float | keras.optimizers.schedules.LearningRateSchedule:
    """Keras 2's `decay`: lr_t = lr / (1 + decay * t), t = updates done before this one."""
    if not config.decay:
        return config.lr
    return keras.optimizers.schedules.InverseTimeDecay(config.lr, decay_steps=1, decay_rate=config.decay)


def make_optimizer(config: Config) -> keras.optimizers.Optimizer:
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate(config), momentum=config.momentum)
    return keras.optimizers.Adam(learning_rate(config))  # Config allows only sgd and adam
