"""``python -m publisher``: the command line."""

from .cli import run

run()
