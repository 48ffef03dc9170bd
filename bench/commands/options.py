"""Argument types shared by several subcommands."""

from __future__ import annotations

import argparse


def buffer_arg(text: str) -> int | str:
    """A spatial-CV buffer: a number of pixels, or "auto" (matched to the test pixels' distances)."""
    if text == "auto":
        return text
    try:
        return int(text)  # a negative one is refused with the folds' (or the config's) own message
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of pixels or auto, got {text!r}") from None
