"""Bad user input for the `svm` engine (the hsbench CLI reports it and exits 2)."""


class InputError(ValueError):
    """Bad input: the message names the file (file:line where it applies) and the fault."""
