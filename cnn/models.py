"""Model builders, chosen by name (`hsbench cnn --model NAME`). Each returns an uncompiled, named keras.Model."""

from __future__ import annotations

from collections.abc import Callable

import keras
from keras import layers


def build_model_standard(input_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    """The Juelich "standard model" (3 Conv3D + 2 Dense), as in the seed's lecture.

    Settings from the seed (Keras 2.0.6, 2017): filters 48, 32, 32 with kernel
    (3, 3, 5); spectral max-pooling (1, 1, 3), (1, 1, 3), (1, 1, 2) "adapted to
    220 channels"; zero padding of 2 bands each side between blocks; Dense 128,
    128, softmax. 578,544 parameters for (9, 9, 220, 1) and 16 classes; with
    200 bands it simply has a shorter flattened vector.
    """
    conv = dict(kernel_size=(3, 3, 5), activation="relu")
    return keras.Sequential(
        [
            keras.Input(shape=tuple(input_shape)),
            layers.Conv3D(48, **conv),
            layers.MaxPooling3D(pool_size=(1, 1, 3)),
            layers.ZeroPadding3D((0, 0, 2)),
            layers.Conv3D(32, **conv),
            layers.MaxPooling3D(pool_size=(1, 1, 3)),
            layers.ZeroPadding3D((0, 0, 2)),
            layers.Conv3D(32, **conv),
            layers.MaxPooling3D(pool_size=(1, 1, 2)),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(128, activation="relu"),
            # float32 output keeps softmax and the loss stable under a bf16 mixed-precision policy
            layers.Dense(num_classes, activation="softmax", dtype="float32"),
        ],
        name="standard",
    )


MODELS: dict[str, Callable[[tuple[int, ...], int], keras.Model]] = {
    "standard": build_model_standard,
}


def build_model(name: str, input_shape: tuple[int, ...], num_classes: int) -> keras.Model:
    try:
        builder = MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r} (choose from {', '.join(MODELS)})") from None
    return builder(input_shape, num_classes)
