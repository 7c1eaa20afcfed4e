"""The ``aiscale`` the sensitivity-analysis subcommand."""

#: Subcommand name -> handler(args) -> exit code.
COMMANDS: dict = {}


def register(subparsers) -> None:
    """Add this module's subcommands to the ``aiscale`` parser."""
