"""The one error type for bad user input in `bench`.

The CLI turns it (and the engines' own `InputError`s) into a one-line message
and exit status 2, the way argparse reports a bad argument.
"""


class InputError(ValueError):
    """Bad user input: the message names the file (or option) and the fault."""
