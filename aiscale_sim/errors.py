"""Errors that mean the user gave bad input (as opposed to a bug in the package)."""


class UserInputError(ValueError):
    """Bad input from a user: an unknown lever, a value out of range, a broken file.

    The command-line interface prints the message without a traceback and exits with code 2.
    """
