"""The `hsbench` command line: one entry point, one module per subcommand.

argparse lives here and in `bench.commands.*` only; everything below takes
typed arguments. Bad input raised as an `InputError` by any layer becomes one
line on stderr and exit status 2, like argparse's own errors.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Subcommand modules under hsbench.commands; each has `register(subparsers)`
# which adds its parser and sets `func(args) -> int`.
COMMANDS = ("prepare", "grid", "simulate", "cnn", "report", "run", "scenes")


def _input_errors() -> tuple[type[BaseException], ...]:
    from hsbench.cnn.errors import InputError as CnnError
    from hsbench.errors import InputError as BenchError
    from hsbench.svm.errors import InputError as SvmError

    return (BenchError, SvmError, CnnError)


def build_parser() -> argparse.ArgumentParser:
    from hsbench import __version__

    parser = argparse.ArgumentParser(
        prog="hsbench",
        description=(
            "Hyperspectral land-cover benchmark: an MPI-parallel SVM grid search "
            "(10-fold CV over gamma x C) against a 3D-CNN on the same pixels, "
            "reported as markdown with accuracy and time side by side."
        ),
    )
    parser.add_argument("--version", action="version", version=f"hsbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"hsbench.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except _input_errors() as exc:
        print(f"hsbench {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"hsbench {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # python -m hsbench (used under mpiexec)
    sys.exit(main())
